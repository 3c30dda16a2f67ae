"""Alert storage on a real SQLite file: rules, state changes, check memory, events deduped per bar, ack, cascade."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from engine.errors import DataError
from storage import alerts as store
from storage.db import transaction

T0 = datetime(2024, 6, 28, 10, 0, tzinfo=UTC)
BAR = datetime(2024, 6, 28, tzinfo=UTC)


def _rule(db_engine, **kw) -> int:  # noqa: ANN001
    values = {"name": "INFY above 1500", "kind": "price_above", "symbol": "INFY.NS", "params": {"level": 1500.0},
              "mode": "repeating", "cooldown_minutes": 60, "channels": ["email"]} | kw
    with transaction(db_engine) as s:
        return store.create_rule(s, **values)


def test_migration_creates_both_tables_with_their_constraints(db_engine) -> None:  # noqa: ANN001
    insp = inspect(db_engine)
    assert {"alert_rules", "alert_events"} <= set(insp.get_table_names())
    assert {c["name"] for c in insp.get_unique_constraints("alert_events")} == {"uq_alert_events_rule_bar"}
    fks = insp.get_foreign_keys("alert_events")
    assert fks[0]["referred_table"] == "alert_rules" and fks[0]["options"].get("ondelete") == "CASCADE"


def test_create_and_read_back_a_rule(db_engine) -> None:  # noqa: ANN001
    rule_id = _rule(db_engine)
    with transaction(db_engine) as s:
        rule = store.get_rule(s, rule_id)
    assert (rule.kind, rule.symbol, rule.params, rule.channels) == ("price_above", "INFY.NS", {"level": 1500.0},
                                                                    ["email"])
    assert (rule.state, rule.mode, rule.cooldown_minutes, rule.last_error) == ("active", "repeating", 60, "")
    assert rule.created_at.tzinfo is not None and rule.last_fired_at is None and rule.snooze_until is None
    frame = store.rules_frame(db_engine)
    assert list(frame.columns) == list(store.RULE_COLUMNS) and frame["id"].tolist() == [rule_id]


@pytest.mark.parametrize(("kw", "message"), [
    ({"mode": "sometimes"}, "mode must be one of ['one_shot', 'repeating']"),
    ({"state": "asleep"}, "state must be one of"),
    ({"cooldown_minutes": -1}, "cooldown_minutes must be 0 or more"),
])
def test_bad_rule_fields_are_refused(db_engine, kw: dict, message: str) -> None:  # noqa: ANN001
    with pytest.raises(DataError, match=re.escape(message)):
        _rule(db_engine, **kw)


def test_database_constraints_back_the_checks(db_engine) -> None:  # noqa: ANN001
    rule_id = _rule(db_engine)
    with pytest.raises(IntegrityError), db_engine.begin() as conn:
        conn.execute(text("UPDATE alert_rules SET state = 'asleep' WHERE id = :i"), {"i": rule_id})


def test_state_snooze_and_check_memory(db_engine) -> None:  # noqa: ANN001
    rule_id = _rule(db_engine)
    with transaction(db_engine) as s:
        store.record_check(s, rule_id, checked_at=T0, last_bar_time=BAR, last_value=1523.4)
        store.set_snooze(s, rule_id, T0 + timedelta(hours=1))
    with transaction(db_engine) as s:
        rule = store.get_rule(s, rule_id)
        assert (rule.last_bar_time, rule.last_value, rule.last_checked_at) == (BAR, 1523.4, T0)
        assert rule.snooze_until == T0 + timedelta(hours=1)
        store.record_check(s, rule_id, checked_at=T0, last_bar_time=None, last_value=None, error="boom")
    with transaction(db_engine) as s:
        rule = store.get_rule(s, rule_id)
        assert (rule.last_bar_time, rule.last_value, rule.last_error) == (BAR, 1523.4, "boom")  # memory kept
        store.set_state(s, rule_id, "disabled", forget=True)
    with transaction(db_engine) as s:
        rule = store.get_rule(s, rule_id)
        assert (rule.state, rule.last_bar_time, rule.last_value) == ("disabled", None, None)
    with pytest.raises(DataError, match="no alert rule with id 99"), transaction(db_engine) as s:
        store.set_state(s, 99, "active")


def test_events_are_unique_per_rule_and_bar_and_trigger_the_rule(db_engine) -> None:  # noqa: ANN001
    rule_id, other = _rule(db_engine), _rule(db_engine, name="other")
    with transaction(db_engine) as s:
        first = store.record_fire(s, rule_id, fired_at=T0, bar_time=BAR, value=1523.4, message="above")
        again = store.record_fire(s, rule_id, fired_at=T0 + timedelta(minutes=1), bar_time=BAR, value=1.0,
                                  message="dup")
        elsewhere = store.record_fire(s, other, fired_at=T0, bar_time=BAR, value=1.0, message="other rule")
    assert first is not None and again is None and elsewhere is not None
    with transaction(db_engine) as s:
        rule = store.get_rule(s, rule_id)
    assert rule.state == "triggered" and rule.last_fired_at == T0
    events = store.events_frame(db_engine, rule_id=rule_id)
    assert list(events.columns) == list(store.EVENT_COLUMNS)
    assert events[["rule", "kind", "symbol", "value", "message"]].values.tolist() == [
        ["INFY above 1500", "price_above", "INFY.NS", 1523.4, "above"]]
    assert events["bar_time"][0] == BAR and events["acknowledged_at"].isna().all()


def test_acknowledge_and_history_order(db_engine) -> None:  # noqa: ANN001
    rule_id = _rule(db_engine)
    with transaction(db_engine) as s:
        for day in range(3):
            store.record_fire(s, rule_id, fired_at=T0 + timedelta(days=day), bar_time=BAR + timedelta(days=day),
                              value=float(day), message=f"day {day}")
    with transaction(db_engine) as s:
        assert store.acknowledge(s, rule_id, T0 + timedelta(days=5)) == 3
        assert store.acknowledge(s, rule_id, T0 + timedelta(days=6)) == 0
        assert store.get_rule(s, rule_id).state == "acknowledged"
    events = store.events_frame(db_engine)
    assert events["message"].tolist() == ["day 2", "day 1", "day 0"]  # newest first
    assert (events["acknowledged_at"] == T0 + timedelta(days=5)).all()
    assert store.events_frame(db_engine, limit=1)["message"].tolist() == ["day 2"]
    assert len(store.events_frame(db_engine, since=T0 + timedelta(days=1))) == 2


def test_deleting_a_rule_deletes_its_events(db_engine) -> None:  # noqa: ANN001
    rule_id = _rule(db_engine)
    with transaction(db_engine) as s:
        store.record_fire(s, rule_id, fired_at=T0, bar_time=BAR, value=1.0, message="x")
    with transaction(db_engine) as s:
        assert store.delete_rule(s, rule_id) is True
        assert store.delete_rule(s, rule_id) is False
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM alert_events")).scalar() == 0


def test_sync_history_of_one_symbol(db_engine) -> None:  # noqa: ANN001
    from storage.sync_runs import finish_run, start_run

    with transaction(db_engine) as s:
        finish_run(s, start_run(s, "INFY.NS", "1d", "yfinance"), "ok")
        finish_run(s, start_run(s, "TCS.NS", "1d", "yfinance"), "failed", error="other symbol")
        finish_run(s, start_run(s, "INFY.NS", "1d", "yfinance"), "failed", error="offline")
        start_run(s, "INFY.NS", "1d", "yfinance")  # still running: not a result yet
    runs = store.sync_history(db_engine, "INFY.NS")
    assert runs["status"].tolist() == ["ok", "failed"] and runs["error"].tolist() == ["", "offline"]
    assert str(runs["started_at"].dt.tz) == "UTC"
