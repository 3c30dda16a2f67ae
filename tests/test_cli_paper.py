"""Paper CLI: deploy, tick, list, positions, orders, trades, replay and the controls, with --json."""

from __future__ import annotations

import json

import pytest

from engine.__main__ import main
from engine.config import get_settings
from storage.candles import upsert_candles
from storage.db import make_engine, transaction
from storage.migrate import upgrade


def run(capsys, *argv: str) -> tuple[int, object, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


@pytest.fixture
def stored(goog):
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    with transaction(engine) as s:
        upsert_candles(s, "GOOG", "1d", goog.iloc[:250], "csv")
    yield goog.iloc[:250]
    engine.dispose()


def _deploy(capsys, bars) -> int:
    code, out, err = run(capsys, "paper", "deploy", "--strategy", "sma_cross", "--symbols", "GOOG",
                         "--param", "fast=5", "--param", "slow=20", "--allow-short", "--param", "allow_short=true",
                         "--start", str(bars.index[0].date()), "--history-start", str(bars.index[0].date()), "--json")
    assert code == 0, err
    return out["id"]


def test_deploy_tick_and_inspect(capsys, stored) -> None:
    dep_id = _deploy(capsys, stored)
    code, out, _ = run(capsys, "paper", "tick", "--now", "2005-06-01", "--no-sync", "--json")
    assert code == 0 and out["ok"] == 1 and out["orders"] > 0
    code, again, _ = run(capsys, "paper", "tick", "--now", "2005-06-01", "--no-sync", "--json")
    assert code == 0 and again["ok"] == 0 and again["orders"] == 0
    code, listing, _ = run(capsys, "paper", "list", "--json")
    assert [d["id"] for d in listing] == [dep_id] and listing[0]["status"] == "running"
    code, orders, _ = run(capsys, "paper", "orders", "--id", str(dep_id), "--json")
    assert code == 0 and {o["status"] for o in orders} >= {"FILLED"}
    code, filled, _ = run(capsys, "paper", "orders", "--id", str(dep_id), "--status", "filled", "--json")
    assert len(filled) == sum(o["status"] == "FILLED" for o in orders)
    code, trades, _ = run(capsys, "paper", "trades", "--id", str(dep_id), "--json")
    assert code == 0 and len(trades) >= 1 and {"pnl", "exit_reason"} <= set(trades[0])
    code, positions, _ = run(capsys, "paper", "positions", "--id", str(dep_id), "--json")
    assert code == 0 and isinstance(positions, list)


def test_controls_and_replay(capsys, stored) -> None:
    dep_id = _deploy(capsys, stored)
    assert run(capsys, "paper", "pause", "--id", str(dep_id), "--json")[1]["done"] == "pause"
    code, out, _ = run(capsys, "paper", "tick", "--now", "2005-06-01", "--no-sync", "--json")
    assert out["deployments"] == 0
    assert run(capsys, "paper", "resume", "--id", str(dep_id), "--json")[0] == 0
    code, out, _ = run(capsys, "paper", "replay", "--id", str(dep_id), "--start", "2004-08-19", "--end",
                       "2004-12-31", "--json")
    assert code == 0 and out["ticks"] > 50 and out["failed"] == 0
    assert run(capsys, "paper", "reset", "--id", str(dep_id), "--json")[0] == 0
    code, orders, _ = run(capsys, "paper", "orders", "--id", str(dep_id), "--json")
    assert orders == []
    assert run(capsys, "paper", "delete", "--id", str(dep_id), "--json")[0] == 0
    code, _, err = run(capsys, "paper", "orders", "--id", str(dep_id), "--json")
    assert code == 1 and "no paper deployment" in err


def test_bad_input_is_one_line_error(capsys, stored) -> None:
    code, _, err = run(capsys, "paper", "deploy", "--strategy", "sma_crosss", "--symbols", "GOOG", "--json")
    assert code == 1 and "sma_cross" in err
    code, _, err = run(capsys, "paper", "deploy", "--strategy", "sma_cross", "--symbols", "GOOG", "--param", "fast",
                       "--json")
    assert code == 1 and "name=value" in err


def test_manual_order_and_cancel(capsys, stored) -> None:
    dep_id = _deploy(capsys, stored)
    run(capsys, "paper", "tick", "--id", str(dep_id), "--now", "2005-06-01", "--json")
    held = run(capsys, "paper", "positions", "--id", str(dep_id), "--json")[1]
    assert len(held) == 1, "sma_cross holds GOOG on 1 June 2005"
    qty = held[0]["qty"]
    side = "sell" if qty > 0 else "buy"  # the order that closes the position
    code, partial, _ = run(capsys, "paper", "order", "--id", str(dep_id), "--symbol", "GOOG", "--side", side,
                           "--qty", "1", "--json")
    assert code == 1 and partial["status"] == "REJECTED" and "whole position" in partial["reason"]
    far = "1" if side == "sell" else "100000"
    code, out, _ = run(capsys, "paper", "order", "--id", str(dep_id), "--symbol", "GOOG", "--side", side, "--qty",
                       str(abs(qty)), "--type", "stop", "--stop", far, "--json")
    assert code == 0 and out["status"] == "OPEN"
    code, cancelled, _ = run(capsys, "paper", "cancel", "--id", str(dep_id), "--order", str(out["id"]), "--json")
    assert code == 0 and cancelled["status"] == "CANCELLED"
    code, _, err = run(capsys, "paper", "cancel", "--id", str(dep_id), "--order", str(out["id"]), "--json")
    assert code == 1 and "not an open manual order" in err


def test_syncing_tick_uses_the_configured_provider(capsys, monkeypatch) -> None:
    """With provider = demo the tick's sync never asks Yahoo (and so never reports being offline)."""
    from storage.sync_runs import recent_runs

    monkeypatch.setenv("QUANTDESK_PROVIDER", "demo")
    get_settings.cache_clear()
    code, out, err = run(capsys, "paper", "deploy", "--strategy", "sma_cross", "--symbols", "INFY.NS",
                         "--start", "2026-01-01", "--json")
    assert code == 0, err
    code, summary, err = run(capsys, "paper", "tick", "--json")
    assert code == 0, err
    runs = recent_runs(make_engine(get_settings().database_url))
    assert list(runs["provider"]) == ["demo"] and list(runs["status"]) == ["ok"]
