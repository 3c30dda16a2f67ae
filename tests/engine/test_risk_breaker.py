"""Circuit breaker: trips on each rule, holds until reset, resets at the next session, JSON round trip."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from engine.errors import DataError, ParameterError
from engine.risk.breaker import (
    OK,
    TRIPPED,
    BreakerRules,
    BreakerState,
    allows_entry,
    new_breaker,
    reset,
    update,
)

FRI = pd.Timestamp("2024-06-28 04:00", tz="UTC")  # Friday 09:30 IST
MON_OPEN = pd.Timestamp("2024-07-01 03:45", tz="UTC")  # Monday 09:15 IST, next NSE session open
T = pd.Timedelta


def feed(state: BreakerState, points: list[tuple[pd.Timestamp, float]]) -> BreakerState:
    for when, equity in points:
        state = update(state, equity, when)
    return state


def test_daily_loss_trips_at_the_limit_not_before():
    state = feed(new_breaker(BreakerRules(daily_loss_pct=3)), [(FRI, 100_000), (FRI + T(minutes=30), 97_100)])
    assert state.status == OK and allows_entry(state)
    state = update(state, 97_000, FRI + T(hours=1))
    assert state.status == TRIPPED and not allows_entry(state)
    assert "daily loss 3.00%" in state.reason and state.tripped_at == FRI + T(hours=1)


def test_daily_loss_measured_from_the_previous_close_across_days():
    state = feed(new_breaker(BreakerRules(daily_loss_pct=3)),
                 [(FRI - T(days=1), 100_000), (FRI - T(days=1) + T(hours=5), 110_000)])
    assert state.day_start_equity == 100_000
    state = update(state, 107_000, FRI)  # new day: start = 110,000, loss 2.7 %
    assert state.day == "2024-06-28" and state.day_start_equity == 110_000 and state.status == OK
    assert update(state, 106_700, FRI + T(minutes=1)).status == TRIPPED  # 3.0 %


def test_drawdown_from_peak_trips():
    rules = BreakerRules(max_drawdown_pct=10)
    days = [FRI - T(days=d) for d in (4, 3, 2, 1)]
    state = feed(new_breaker(rules), list(zip(days, [100_000, 120_000, 112_000, 108_100])))
    assert state.peak == 120_000 and state.status == OK  # 9.9 %
    state = update(state, 108_000, FRI)
    assert state.status == TRIPPED and "drawdown 10.00% from the peak" in state.reason


def test_consecutive_losses_trip_and_a_win_breaks_the_streak():
    state = update(new_breaker(BreakerRules(max_consecutive_losses=3)), 100_000, FRI)
    state = update(state, 100_000, FRI + T(minutes=1), closed_trade_pnl=[-10, -20])
    state = update(state, 100_000, FRI + T(minutes=2), closed_trade_pnl=5)
    assert state.consecutive_losses == 0
    state = update(state, 100_000, FRI + T(minutes=3), closed_trade_pnl=[-1, -1])
    assert state.status == OK and state.consecutive_losses == 2
    state = update(state, 100_000, FRI + T(minutes=4), closed_trade_pnl=-1)
    assert state.status == TRIPPED and "3 losing trades in a row" in state.reason


def test_rapid_loss_only_within_the_window():
    rules = BreakerRules(rapid_loss_pct=2, rapid_loss_minutes=15)
    slow = feed(new_breaker(rules), [(FRI, 100_000), (FRI + T(minutes=10), 99_000),
                                     (FRI + T(minutes=20), 98_500), (FRI + T(minutes=30), 97_600)])
    assert slow.status == OK  # 2.4 % overall, but never 2 % inside 15 minutes
    assert [p[0] for p in slow.recent] == [FRI + T(minutes=m) for m in (20, 30)]
    fast = feed(new_breaker(rules), [(FRI, 100_000), (FRI + T(minutes=5), 101_000), (FRI + T(minutes=15), 98_900)])
    assert fast.status == TRIPPED and "rapid loss 2.08% within 15 minutes" in fast.reason


def test_tripped_holds_until_a_manual_reset_and_does_not_retrip_on_the_same_loss():
    rules = BreakerRules(daily_loss_pct=3, max_drawdown_pct=5)
    state = feed(new_breaker(rules), [(FRI, 100_000), (FRI + T(minutes=1), 96_000)])
    assert state.status == TRIPPED
    later = feed(state, [(FRI + T(days=3), 101_000), (FRI + T(days=10), 120_000)])  # recovery does not clear it
    assert later.status == TRIPPED and later.reason == state.reason and later.tripped_at == state.tripped_at
    fresh = reset(later, by="alice", now=FRI + T(days=10, minutes=1))
    assert fresh.status == OK and allows_entry(fresh) and fresh.reset_by == "alice"
    assert fresh.peak == fresh.day_start_equity == 120_000 and fresh.consecutive_losses == 0
    assert update(fresh, 119_000, FRI + T(days=10, minutes=2)).status == OK


def test_next_session_reset_waits_for_the_next_open():
    rules = BreakerRules(daily_loss_pct=3, reset_mode="next_session", calendar_symbol="INFY.NS")
    state = feed(new_breaker(rules), [(FRI, 100_000), (FRI + T(hours=1), 96_000)])
    assert state.status == TRIPPED
    weekend = feed(state, [(FRI + T(hours=8), 96_000), (pd.Timestamp("2024-06-30 05:00", tz="UTC"), 96_000),
                           (MON_OPEN - T(minutes=1), 96_000)])
    assert weekend.status == TRIPPED
    monday = update(weekend, 96_500, MON_OPEN)
    assert monday.status == OK and monday.reset_by == "next_session" and monday.reset_at == MON_OPEN
    assert monday.day_start_equity == 96_000  # measured from Friday's last equity


def test_next_session_reset_skips_holidays():
    rules = BreakerRules(daily_loss_pct=1, reset_mode="next_session", calendar_symbol="^NSEI")
    thursday = pd.Timestamp("2024-01-25 05:00", tz="UTC")  # Friday 26 Jan is Republic Day
    state = feed(new_breaker(rules), [(thursday, 100_000), (thursday + T(minutes=5), 98_000)])
    assert update(state, 98_000, pd.Timestamp("2024-01-26 05:00", tz="UTC")).status == TRIPPED
    assert update(state, 98_000, pd.Timestamp("2024-01-29 03:45", tz="UTC")).status == OK


def test_manual_mode_ignores_new_sessions():
    state = feed(new_breaker(BreakerRules(daily_loss_pct=3)), [(FRI, 100_000), (FRI + T(hours=1), 96_000)])
    assert update(state, 96_000, MON_OPEN + T(days=7)).status == TRIPPED


def test_state_json_round_trip_mid_window_and_tripped():
    rules = BreakerRules(daily_loss_pct=3, max_drawdown_pct=8, max_consecutive_losses=4, rapid_loss_pct=1.5,
                         rapid_loss_minutes=30, reset_mode="next_session", calendar_symbol="INFY.NS")
    state = feed(new_breaker(rules), [(FRI, 100_000), (FRI + T(minutes=5), 101_000)])
    state = update(state, 100_800, FRI + T(minutes=6), closed_trade_pnl=-50)
    for s in (state, update(state, 99_000, FRI + T(minutes=10))):
        text = json.dumps(s.as_dict())
        back = BreakerState.from_dict(json.loads(text))
        assert back == s
        nxt = FRI + T(minutes=20)
        assert update(back, 99_500, nxt) == update(s, 99_500, nxt)  # behaves identically after a restart
    assert BreakerState.from_dict(json.loads(json.dumps(new_breaker(rules).as_dict()))) == new_breaker(rules)


@pytest.mark.parametrize("payload", [{}, {"rules": {"daily_loss_pct": 3}, "status": "BROKEN"},
                                     {"rules": {"daily_loss_pct": -3}}, {"rules": {"typo": 1}},
                                     {"rules": {"daily_loss_pct": 3}, "bogus": 1}])
def test_unreadable_state_raises_data_error(payload):
    with pytest.raises(DataError, match="reset the breaker"):
        BreakerState.from_dict(payload)


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(daily_loss_pct=0), r"\(0, 100\]"), (dict(max_drawdown_pct=150), r"\(0, 100\]"),
    (dict(max_consecutive_losses=0), ">= 1"), (dict(rapid_loss_pct=2), "both"),
    (dict(rapid_loss_pct=2, rapid_loss_minutes=-1), "above zero"), (dict(reset_mode="auto"), "reset_mode"),
])
def test_bad_rules(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        BreakerRules(**kwargs)


def test_rules_from_dict_names_unknown_keys():
    rules = BreakerRules(daily_loss_pct=2, max_consecutive_losses=3)
    assert BreakerRules.from_dict(rules.as_dict()) == rules
    with pytest.raises(ParameterError, match="known rules are"):
        BreakerRules.from_dict({"daily_loss": 2})


def test_updates_must_be_in_time_order_and_finite():
    state = update(new_breaker(BreakerRules(daily_loss_pct=3)), 100_000, FRI)
    with pytest.raises(ParameterError, match="time order"):
        update(state, 100_000, FRI - T(minutes=1))
    with pytest.raises(ParameterError, match="finite"):
        update(state, float("nan"), FRI)
