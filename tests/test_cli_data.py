"""Data CLI: sync, data list|validate|import, db upgrade — in-process through main() and once as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.__main__ import main
from engine.config import get_settings
from storage.candles import load_candles, upsert_candles
from storage.db import make_engine, transaction

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fast_settings(monkeypatch):
    """No throttle and no retry waits; yfinance must never be reached unless a test stubs it."""
    from engine.data.providers import yahoo

    monkeypatch.setenv("QUANTDESK_PROVIDER_MIN_INTERVAL_S", "0")
    monkeypatch.setenv("QUANTDESK_RETRY_BASE_WAIT_S", "0")
    monkeypatch.setattr(yahoo, "_download", lambda *a: pytest.fail("network access in a test"))
    get_settings.cache_clear()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def engine_for_settings():
    return make_engine(get_settings().database_url)


def test_db_upgrade_is_idempotent(capsys):
    code, out, _ = run(capsys, "db", "upgrade", "--json")
    assert code == 0 and json.loads(out)["revision"]
    code, again, _ = run(capsys, "db", "upgrade", "--json")
    assert code == 0 and json.loads(again) == json.loads(out)


def test_sync_demo_then_list_and_validate(capsys):
    code, out, err = run(capsys, "sync", "--provider", "demo", "--symbols", "INFY.NS,AAPL",
                         "--start", "2024-01-01", "--end", "2024-03-28", "--json")
    assert code == 0, err
    results = json.loads(out)
    assert [(r["symbol"], r["status"], r["source"]) for r in results] == [("INFY.NS", "ok", "demo"), ("AAPL", "ok", "demo")]
    assert results[0]["as_of"].startswith("2024-03-28")  # --end is inclusive
    engine = engine_for_settings()
    rows = len(load_candles(engine, "INFY.NS"))
    code, out, _ = run(capsys, "sync", "--provider", "demo", "--symbols", "INFY.NS", "--start", "2024-01-01",
                       "--end", "2024-03-28", "--json")
    assert code == 0 and len(load_candles(engine, "INFY.NS")) == rows  # no duplicates

    code, out, _ = run(capsys, "data", "list", "--json")
    listing = json.loads(out)
    assert code == 0 and listing["is_demo"] and listing["badge"] == "demo data"
    assert {s["symbol"] for s in listing["symbols"]} == {"INFY.NS", "AAPL"}
    code, text, _ = run(capsys, "data", "list")
    assert "INFY.NS" in text and "demo data" in text

    code, out, _ = run(capsys, "data", "validate", "--json")
    assert code == 0 and all(r["ok"] for r in json.loads(out))


def test_validate_fix_repairs_stored_bars(capsys):
    run(capsys, "db", "upgrade")
    engine = engine_for_settings()
    from engine.data.providers.demo import generate_demo_bars

    bars = generate_demo_bars("INFY.NS", start="2024-01-01", now=pd.Timestamp("2024-02-28", tz="UTC"))
    stray = bars.iloc[[3]].set_axis([pd.Timestamp("2024-01-27", tz="UTC")])  # a Saturday
    with transaction(engine) as s:
        upsert_candles(s, "INFY.NS", "1d", pd.concat([bars, stray]).sort_index(), "csv")
    code, out, _ = run(capsys, "data", "validate", "--symbols", "INFY.NS", "--json")
    assert code == 1 and json.loads(out)[0]["counts"] == {"non_session_bar": 1}
    code, out, _ = run(capsys, "data", "validate", "--symbols", "INFY.NS", "--fix", "--json")
    report = json.loads(out)[0]
    assert code == 0 and report["fixed"] == 1 and report["remaining"] == []
    assert pd.Timestamp("2024-01-27", tz="UTC") not in load_candles(engine, "INFY.NS").index


def test_import_csv(capsys, tmp_path: Path):
    path = tmp_path / "reliance.csv"
    path.write_text("Date;Open;High;Low;Close;Volume\n02-01-2024;2.580,5;2.600,0;2.570,0;2.590,0;1.000\n"
                    "03-01-2024;2.590,0;2.610,0;2.560,0;2.565,5;2.000\n04-01-2024;1;1;2;1;1\n")
    code, out, err = run(capsys, "data", "import", str(path), "--symbol", "reliance.ns", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["symbol"] == "RELIANCE.NS" and payload["rows"] == 2
    assert any(p.startswith("line 4: high 1.0 < low 2.0") for p in payload["problems"])
    stored = load_candles(engine_for_settings(), "RELIANCE.NS")
    assert stored["close"].tolist() == [2590.0, 2565.5] and set(stored["source"]) == {"csv"}
    code, text, _ = run(capsys, "data", "import", str(path), "--symbol", "RELIANCE.NS")
    assert code == 0 and "imported 2 bars" in text and "line 4" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sync", "--provider", "demo", "--symbols", "INFY.NS", "--start", "2024-13-01"], "--start '2024-13-01' is not a date"),
        (["sync", "--provider", "demo", "--symbols", "IN FY"], "not a valid symbol"),
        (["sync", "--provider", "demo", "--period", "5y", "--start", "2024-01-01"], "either --period"),
        (["data", "import", "/no/such/file.csv", "--symbol", "INFY.NS"], "file not found"),
        (["data", "validate", "--symbols", "TCS.NS"], "no 1d bars stored for TCS.NS"),
    ],
)
def test_user_errors_are_one_line_with_exit_1(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_interval_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["sync", "--interval", "2h"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_unknown_symbol_from_yahoo(capsys, monkeypatch):
    from engine.data.providers import yahoo

    monkeypatch.setattr(yahoo, "_download", lambda *a: pd.DataFrame())  # Yahoo answers: nothing
    code, out, err = run(capsys, "sync", "--provider", "yfinance", "--symbols", "NOPE.NS", "--json")
    assert code == 1 and json.loads(out)[0]["status"] == "failed"
    assert err.startswith("error: 1 of 1 symbols failed — NOPE.NS") and err.count("\n") == 1


def test_offline_sync_falls_back_to_demo_and_says_so(capsys, monkeypatch):
    from engine.data.providers import yahoo

    calls = []

    def offline(*args):
        calls.append(args)
        raise ConnectionError("cannot resolve query2.finance.yahoo.com")

    monkeypatch.setattr(yahoo, "_download", offline)
    code, out, err = run(capsys, "sync", "--provider", "yfinance", "--symbols", "INFY.NS,TCS.NS",
                         "--start", "2024-01-01", "--json")
    assert code == 1 and len(calls) == 1
    assert [r["status"] for r in json.loads(out)] == ["demo", "demo"]
    assert "cannot reach Yahoo Finance" in err and "2 symbol(s) got demo data" in err
    code, out, _ = run(capsys, "data", "list", "--json")
    assert json.loads(out)["offline"] is True


def test_subprocess_data_list_json(tmp_path: Path):
    env = {**os.environ, "QUANTDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "QUANTDESK_CONFIG": str(tmp_path / "none.toml"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    python = ROOT / ".venv" / "bin" / "python"
    python = python if python.exists() else Path(sys.executable)
    ok = subprocess.run([str(python), "-m", "engine", "data", "list", "--json"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["symbols"] == []
    assert (tmp_path / "cli.db").exists()  # created and migrated on first use
    bad = subprocess.run([str(python), "-m", "engine", "data", "import", str(tmp_path / "missing.csv"),
                          "--symbol", "INFY.NS"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("error: file not found") and "Traceback" not in bad.stderr
