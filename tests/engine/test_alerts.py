"""Alert checks on crafted bars in a real SQLite file: edges, cooldown, one-shot, snooze, acknowledge, failures, job."""

from __future__ import annotations

import pandas as pd
import pytest

import engine.alerts as alerts
from engine.alerts import checker
from engine.alerts.kinds import KINDS
from storage import alerts as store
from storage.db import transaction
from tests.engine.alert_helpers import SYMBOL, after, crafted_bars, fired_at, replay
from tests.engine.alert_helpers import store as store_bars

CROSS = [90, 95, 105, 110, 95, 105, 108, 95, 104, 106]  # up through 100 on bars 2, 5 and 8; down on 4 and 7


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Record notify() calls instead of delivering them."""
    calls: list[dict] = []
    monkeypatch.setattr(checker, "notify", lambda db, **kw: calls.append(kw))
    return calls


def _rule(db_engine, kind: str = "price_cross", **kw) -> int:  # noqa: ANN001
    params = kw.pop("params", {"level": 100, "direction": "up"} if kind == "price_cross" else {"level": 100})
    return alerts.add_rule(db_engine, kind=kind, symbol=kw.pop("symbol", SYMBOL), params=params, **kw)


def _events(db_engine, rule_id: int) -> pd.DataFrame:  # noqa: ANN001
    return alerts.history(db_engine, rule_id).sort_values("bar_time").reset_index(drop=True)


def test_repeating_cross_fires_on_the_bar_then_only_after_recrossing_past_the_cooldown(db_engine, sent) -> None:  # noqa: ANN001
    bars = crafted_bars(CROSS)
    rule_id = _rule(db_engine, mode="repeating", cooldown_minutes=5 * 24 * 60)
    fired = replay(db_engine, bars, first=1)
    # bar 2 crosses; bar 5 re-crosses inside the 5-day cooldown (fired at bar 3's open): skipped, not late
    assert fired_at(fired) == [2, 8]
    events = _events(db_engine, rule_id)
    assert list(events["bar_time"]) == [bars.index[2], bars.index[8]]
    assert list(events["value"]) == [105.0, 104.0]
    assert events["message"][0] == "BTC-USD crossed above $100.00 · $105.00 · bar 03 Jan 2024"
    rule = alerts.get_rule(db_engine, rule_id)
    assert rule.state == "triggered" and rule.last_bar_time == bars.index[-1] and rule.last_value == 106.0
    assert [c["ref_id"] for c in sent] == list(events["id"]) and sent[0]["channels"] is None
    assert sent[0]["source"] == "alert" and sent[0]["severity"] == "info" and sent[0]["body"] == events["message"][0]


def test_the_same_bar_checked_again_stores_nothing_new(db_engine, sent) -> None:  # noqa: ANN001
    bars = crafted_bars(CROSS[:3])
    rule_id = _rule(db_engine, mode="repeating")
    store_bars(db_engine, bars, upto=1)
    assert alerts.check_alerts(db_engine, now=after(bars, 1)) == []
    store_bars(db_engine, bars)
    assert len(alerts.check_alerts(db_engine, now=after(bars, 2))) == 1
    for minutes in (5, 60, 600):  # later checks before the next bar closes: same bar, no spam
        assert alerts.check_alerts(db_engine, now=after(bars, 2, minutes)) == []
    assert len(_events(db_engine, rule_id)) == 1 and len(sent) == 1


def test_one_shot_fires_once_until_rearmed(db_engine, sent) -> None:  # noqa: ANN001
    bars = crafted_bars(CROSS)
    rule_id = _rule(db_engine, params={"level": 100, "direction": "any"})
    fired = replay(db_engine, bars, first=1)
    assert fired_at(fired) == [2]  # the later crosses (4, 5, 7, 8) are not watched any more
    assert alerts.get_rule(db_engine, rule_id).state == "triggered"
    alerts.rearm(db_engine, rule_id)
    more = crafted_bars([*CROSS, 95])  # bar 10 crosses down
    assert [e.rule_id for e in alerts.check_alerts(db_engine, now=after(more, 9, 5))] == []
    store_bars(db_engine, more)
    events = alerts.check_alerts(db_engine, now=after(more, 10))
    assert [(e.rule_id, e.value) for e in events] == [(rule_id, 95.0)]
    assert "crossed below" in events[0].message


def test_snoozed_rule_does_not_fire_and_a_cross_during_the_snooze_is_not_reported_late(db_engine, sent) -> None:  # noqa: ANN001
    bars = crafted_bars(CROSS)
    rule_id = _rule(db_engine, mode="repeating")
    store_bars(db_engine, bars, upto=1)
    alerts.check_alerts(db_engine, now=after(bars, 1))
    until = alerts.snooze(db_engine, rule_id, minutes=3 * 24 * 60, now=after(bars, 1))
    assert until == after(bars, 4).to_pydatetime()
    fired = {}
    for i in range(2, len(bars)):
        store_bars(db_engine, bars, upto=i)
        fired[i] = alerts.check_alerts(db_engine, now=after(bars, i))
    assert fired_at(fired) == [5, 8]  # bar 2's cross fell in the snooze; bars 5 and 8 came after it
    alerts.snooze(db_engine, rule_id, minutes=0)
    assert alerts.get_rule(db_engine, rule_id).snooze_until is None


def test_acknowledge_marks_events_and_rearms_a_repeating_rule_once_its_cooldown_is_over(db_engine, sent) -> None:  # noqa: ANN001
    bars = crafted_bars([95, 105, 95, 105, 95, 105])  # crosses up on bars 1, 3 and 5
    rule_id = _rule(db_engine, mode="repeating", cooldown_minutes=36 * 60)
    fired = {}
    for i in range(6):
        store_bars(db_engine, bars, upto=i)
        fired[i] = alerts.check_alerts(db_engine, now=after(bars, i))
        if i == 1:
            assert alerts.acknowledge(db_engine, rule_id, now=after(bars, 1, 30)) == 1
            assert alerts.get_rule(db_engine, rule_id).state == "acknowledged"  # cooldown still running
        if i == 2:  # 24 h after firing: still cooling down; the check after bar 3 re-arms it and fires
            assert alerts.get_rule(db_engine, rule_id).state == "acknowledged"
    assert fired_at(fired) == [1, 3, 5]
    assert _events(db_engine, rule_id)["acknowledged_at"].notna().tolist() == [True, False, False]
    assert alerts.get_rule(db_engine, rule_id).state == "triggered"
    assert alerts.acknowledge(db_engine, rule_id, now=after(bars, 5, 36 * 60 + 1)) == 2
    assert alerts.get_rule(db_engine, rule_id).state == "active"  # acknowledged past the cooldown: active at once


def test_acknowledged_repeating_rule_turns_active_at_the_first_check_after_the_cooldown(db_engine, sent) -> None:  # noqa: ANN001
    bars = crafted_bars([95, 105, 106, 95])
    rule_id = _rule(db_engine, mode="repeating", cooldown_minutes=60)
    store_bars(db_engine, bars, upto=1)
    assert len(alerts.check_alerts(db_engine, now=after(bars, 1))) == 1
    alerts.acknowledge(db_engine, rule_id, now=after(bars, 1, 10))
    assert alerts.get_rule(db_engine, rule_id).state == "acknowledged"
    store_bars(db_engine, bars, upto=2)
    assert alerts.check_alerts(db_engine, now=after(bars, 2)) == []
    assert alerts.get_rule(db_engine, rule_id).state == "active"
    assert alerts.acknowledge(db_engine, rule_id) == 0  # nothing left to acknowledge


def test_acknowledged_one_shot_stays_quiet_until_rearmed(db_engine, sent) -> None:  # noqa: ANN001
    bars = crafted_bars([95, 105, 95, 105])
    rule_id = _rule(db_engine)
    fired = {}
    for i in range(4):
        store_bars(db_engine, bars, upto=i)
        fired[i] = alerts.check_alerts(db_engine, now=after(bars, i))
        if i == 1:
            alerts.acknowledge(db_engine, rule_id, now=after(bars, 1, 10))
    assert fired_at(fired) == [1]
    assert alerts.get_rule(db_engine, rule_id).state == "acknowledged"
    alerts.rearm(db_engine, rule_id)
    rule = alerts.get_rule(db_engine, rule_id)
    assert rule.state == "active" and rule.last_bar_time is None  # watches from the newest bar on
    assert len(alerts.check_alerts(db_engine, now=after(bars, 3, 5))) == 1  # bar 3 is a cross: fires now


def test_disabled_rule_is_not_evaluated(db_engine, sent) -> None:  # noqa: ANN001
    bars = crafted_bars(CROSS[:3])
    rule_id = _rule(db_engine)
    alerts.disable(db_engine, rule_id)
    store_bars(db_engine, bars)
    assert alerts.check_alerts(db_engine, now=after(bars, 2)) == []
    assert alerts.get_rule(db_engine, rule_id).last_checked_at is None


def test_a_failing_rule_is_recorded_and_never_stops_the_others(db_engine, sent, monkeypatch) -> None:  # noqa: ANN001
    bars = crafted_bars(CROSS[:3])
    store_bars(db_engine, bars)
    no_bars = _rule(db_engine, symbol="INFY.NS")
    with transaction(db_engine) as session:  # stored by an older version, or edited by hand
        corrupt = store.create_rule(session, name="bad", kind="price_above", symbol=SYMBOL, params={"levl": 1})
    buggy = _rule(db_engine, kind="gap_up", params={"threshold": 1})
    good = _rule(db_engine, kind="price_above", params={"level": 100})
    real = KINDS["gap_up"]
    monkeypatch.setitem(KINDS, "gap_up", real.__class__(**{**real.__dict__, "observe": lambda b, p: 1 / 0}))
    events = alerts.check_alerts(db_engine, now=after(bars, 2))
    assert [e.rule_id for e in events] == [good]
    errors = alerts.list_rules(db_engine).set_index("id")["last_error"]
    assert "no 1d bars stored for INFY.NS" in errors[no_bars] and "sync --symbols INFY.NS" in errors[no_bars]
    assert "has no parameter 'levl'; did you mean 'level'?" in errors[corrupt]
    assert errors[buggy] == "ZeroDivisionError: division by zero" and errors[good] == ""


def test_notification_failure_keeps_the_event_and_the_other_rules(db_engine, monkeypatch) -> None:  # noqa: ANN001
    bars = crafted_bars(CROSS[:3])
    store_bars(db_engine, bars)
    first, second = _rule(db_engine, channels=["email"]), _rule(db_engine, kind="price_above")
    calls = []

    def flaky(db, **kw) -> None:  # noqa: ANN001
        calls.append(kw)
        if len(calls) == 1:
            raise RuntimeError("smtp down")

    monkeypatch.setattr(checker, "notify", flaky)
    events = alerts.check_alerts(db_engine, now=after(bars, 2))
    assert [e.rule_id for e in events] == [first, second] and len(calls) == 2
    assert calls[0]["channels"] == ["email"] and calls[1]["channels"] is None
    assert len(alerts.history(db_engine)) == 2


def test_scheduler_alert_job_fires_an_event(db_engine, db_url, sent) -> None:  # noqa: ANN001
    from engine import jobs
    from tests.engine.scheduler_helpers import fast_settings

    assert "engine.alerts.checker" in jobs.ALERT_MODULES
    jobs.register_alert_check(checker.run_alert_rules)  # a no-op unless an earlier test unregistered it
    bars = crafted_bars(CROSS[:3])
    store_bars(db_engine, bars)
    rule_id = _rule(db_engine, kind="price_above", mode="repeating")
    ctx = jobs.JobContext(db_engine, fast_settings(db_url), owner="test")
    outcome = jobs.alert_check_body(ctx)
    assert outcome.status == "ok", outcome.note
    events = alerts.history(db_engine, rule_id)
    assert len(events) == 1 and events["bar_time"][0] == bars.index[2]  # the newest closed bar
    assert [c["ref_id"] for c in sent] == [int(events["id"][0])]
    assert jobs.alert_check_body(ctx).status == "ok" and len(alerts.history(db_engine, rule_id)) == 1
