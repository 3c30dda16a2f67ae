"""Alerts CLI in-process through main(): add, list, check, history, ack, snooze, disable, rearm, delete, errors."""

from __future__ import annotations

import json

import pytest

from engine.__main__ import main
from engine.alerts import checker
from tests.engine.alert_helpers import after, crafted_bars, store

ADD = ["alerts", "add", "--kind", "price_above", "--symbol", "INFY.NS", "--param", "level=1500"]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    calls: list[dict] = []
    monkeypatch.setattr(checker, "notify", lambda db, **kw: calls.append(kw))
    return calls


@pytest.fixture
def infy(db_engine):  # noqa: ANN001, ANN201
    """Two NSE sessions of INFY.NS, the second closing above 1,500."""
    bars = crafted_bars([1490, 1523.4], start="2024-06-27")
    store(db_engine, bars, symbol="INFY.NS")
    return bars


def run(capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_check_history_ack(capsys, infy, sent) -> None:  # noqa: ANN001
    code, out, err = run(capsys, *ADD, "--mode", "repeating", "--cooldown", "60", "--channel", "email", "--json")
    assert code == 0, err
    rule = json.loads(out)
    assert (rule["kind"], rule["symbol"], rule["params"], rule["mode"], rule["cooldown_minutes"], rule["channels"]) == (
        "price_above", "INFY.NS", {"level": 1500.0, "interval": "1d"}, "repeating", 60, ["email"])
    assert rule["name"] == "INFY.NS · closed above ₹1,500.00" and rule["state"] == "active"

    code, out, _ = run(capsys, "alerts", "list", "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [rule["id"]]

    code, out, _ = run(capsys, "alerts", "check", "--now", "2024-06-28 10:01", "--json")
    events = json.loads(out)
    assert code == 0 and len(events) == 1
    assert events[0]["message"] == "INFY.NS closed above ₹1,500.00 · ₹1,523.40 · bar 28 Jun 2024"
    assert events[0]["bar_time"] == "2024-06-28T00:00:00+00:00" and sent[0]["channels"] == ["email"]
    code, out, _ = run(capsys, "alerts", "check", "--now", "2024-06-28 10:05")
    assert code == 0 and out.strip() == "no alert fired"

    code, out, _ = run(capsys, "alerts", "history", "--rule", str(rule["id"]), "--json")
    history = json.loads(out)
    assert [h["rule_id"] for h in history] == [rule["id"]] and history[0]["acknowledged_at"] is None

    code, out, _ = run(capsys, "alerts", "ack", str(rule["id"]), "--json")
    assert json.loads(out) == {"id": rule["id"], "acknowledged": 1, "state": "active"}  # cooldown long over (wall clock)
    code, out, _ = run(capsys, "alerts", "history")
    assert code == 0 and "INFY.NS closed above ₹1,500.00" in out


def test_text_output(capsys, infy, sent) -> None:  # noqa: ANN001
    assert run(capsys, "alerts", "list")[1].strip() == "no alert rules — add one with `alerts add`"
    code, out, _ = run(capsys, *ADD)
    assert code == 0 and out.strip() == "alert rule 1 added: INFY.NS · closed above ₹1,500.00 (one_shot)"
    code, out, _ = run(capsys, "alerts", "check", "--now", "2024-06-28 10:01")
    assert out.strip() == "#1 INFY.NS closed above ₹1,500.00 · ₹1,523.40 · bar 28 Jun 2024"
    listing = run(capsys, "alerts", "list")[1]
    assert "triggered" in listing and "one_shot" in listing and "2024-06-28 10:01" in listing
    assert "price_above" in run(capsys, "alerts", "kinds")[1]


def test_snooze_disable_rearm_delete(capsys, db_engine, sent) -> None:  # noqa: ANN001
    bars = crafted_bars([95, 105])
    store(db_engine, bars)
    code, out, _ = run(capsys, "alerts", "add", "--kind", "price_cross", "--symbol", "BTC-USD", "--param", "level=100",
                       "--json")
    rule_id = json.loads(out)["id"]
    code, out, _ = run(capsys, "alerts", "snooze", str(rule_id), "--minutes", "60", "--json")
    assert code == 0 and json.loads(out)["snooze_until"] is not None
    code, out, _ = run(capsys, "alerts", "snooze", str(rule_id), "--minutes", "0")
    assert out.strip() == f"alert rule {rule_id} awake"
    assert json.loads(run(capsys, "alerts", "disable", str(rule_id), "--json")[1])["state"] == "disabled"
    assert json.loads(run(capsys, "alerts", "check", "--now", str(after(bars, 1)), "--json")[1]) == []
    assert json.loads(run(capsys, "alerts", "rearm", str(rule_id), "--json")[1])["state"] == "active"
    assert len(json.loads(run(capsys, "alerts", "check", "--now", str(after(bars, 1)), "--json")[1])) == 1
    code, out, _ = run(capsys, "alerts", "delete", str(rule_id), "--json")
    assert code == 0 and json.loads(out) == {"id": rule_id, "deleted": True}
    assert json.loads(run(capsys, "alerts", "list", "--json")[1]) == []


@pytest.mark.parametrize(("argv", "message"), [
    (["alerts", "add", "--kind", "price_abve", "--symbol", "INFY.NS"], "did you mean 'price_above'?"),
    ([*ADD, "--param", "levl=3"], "has no parameter 'levl'; did you mean 'level'?"),
    (["alerts", "add", "--kind", "pct_change", "--symbol", "INFY.NS", "--param", "window=-2"],
     "parameter 'window' must be between 1 and 5000, got -2"),
    (["alerts", "add", "--kind", "price_above", "--param", "level=10"], "watch one symbol; give one"),
    ([*ADD, "--param", "level"], "must look like name=value"),
    (["alerts", "ack", "42"], "no alert rule with id 42"),
    (["alerts", "delete", "42"], "no alert rule with id 42"),
    (["alerts", "snooze", "42", "--minutes", "5"], "no alert rule with id 42"),
    (["alerts", "history", "--rule", "42"], "no alert rule with id 42"),
])
def test_bad_input_is_one_line_and_non_zero(capsys, db_engine, argv, message) -> None:  # noqa: ANN001
    code, out, err = run(capsys, *argv, "--json")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_bad_choice_is_a_usage_error(capsys, db_engine) -> None:  # noqa: ANN001
    with pytest.raises(SystemExit) as exit_:
        main([*ADD, "--mode", "often"])
    assert exit_.value.code == 2 and "invalid choice: 'often'" in capsys.readouterr().err
