"""Alert kinds hand-checked on crafted bars and stored state; parameter validation with fix-it messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engine.alerts as alerts
from engine.alerts import AlertRuleError, checker, state_kinds
from storage.db import transaction
from tests.engine.alert_helpers import SYMBOL, crafted_bars, fired_at, replay
from tests.engine.alert_helpers import store as store_bars


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checker, "notify", None)


def _fired(db_engine, kind: str, params: dict, bars: pd.DataFrame, first: int = 0, **kw) -> tuple[list[int], list]:  # noqa: ANN001
    """Bars on which a repeating rule of `kind` fired (replayed bar by bar), and the events."""
    alerts.add_rule(db_engine, kind=kind, symbol=kw.pop("symbol", SYMBOL), params=params, mode="repeating", **kw)
    fired = replay(db_engine, bars, first=first)
    return fired_at(fired), [e for events in fired.values() for e in events]


def test_volume_spike_compares_with_the_average_of_the_bars_before(db_engine) -> None:  # noqa: ANN001
    # bar 5: 300 vs the mean of bars 0-4 (100) = 3.0x >= 2.5; with itself in the mean it would be 300/140 = 2.14x
    bars = crafted_bars([100] * 8, volumes=[100, 100, 100, 100, 100, 300, 310, 100])
    hits, events = _fired(db_engine, "volume_spike", {"multiple": 2.5, "days": 5}, bars)
    assert hits == [5]  # bar 6 (310 vs mean 140 = 2.2x) is not a spike; the edge fired once anyway
    assert events[0].value == pytest.approx(3.0)
    assert events[0].message == "BTC-USD volume 2.5× its 5-bar average or more · 3.00× · bar 06 Jan 2024"


def test_gap_up_and_gap_down_against_the_previous_close(db_engine) -> None:  # noqa: ANN001
    closes = [100, 100, 104, 101, 99]
    opens = [100, 101.9, 102.0, 104.5, 98.9]  # gaps: +1.9 %, +2.0 %, +0.48 %, -2.08 %
    bars = crafted_bars(closes, opens=opens)
    up, up_events = _fired(db_engine, "gap_up", {"threshold": 2}, bars)
    assert up == [2] and up_events[0].value == pytest.approx(2.0)
    alerts.delete(db_engine, up_events[0].rule_id)
    down, down_events = _fired(db_engine, "gap_down", {"threshold": 2}, bars)
    assert down == [4] and down_events[0].value == pytest.approx((98.9 / 101 - 1) * 100)


def test_rsi_fires_on_crossing_into_the_zone_like_talib(db_engine) -> None:  # noqa: ANN001
    talib = pytest.importorskip("talib")
    closes = np.array([100, 101, 100, 101, 100, 101, 100, 102, 104, 106, 108, 107, 104, 101, 99, 97, 98, 96, 95, 99],
                      dtype=float)
    bars = crafted_bars(closes)
    reference = talib.RSI(closes, timeperiod=5)
    into_ob = [i for i in range(1, len(closes)) if reference[i] > 70 >= reference[i - 1]]
    into_os = [i for i in range(1, len(closes)) if reference[i] < 30 <= reference[i - 1]]
    assert (into_ob, into_os) == ([8], [14, 17])  # in, out (bar 16 at 31.0) and into oversold again
    hits, events = _fired(db_engine, "rsi", {"period": 5}, bars)
    assert hits == sorted(into_ob + into_os)
    assert [e.value for e in events] == pytest.approx([reference[i] for i in hits])
    assert "moved into overbought (above 70)" in events[0].message


def test_new_high_is_reported_when_it_starts_not_on_every_bar_of_a_streak(db_engine) -> None:  # noqa: ANN001
    highs = [10, 12, 11, 11.5, 12.5, 13, 12, 13.5]  # 3-bar highs: bar 4 (12.5 > 12), 5 (13 > 12.5), 7 (13.5 > 13)
    bars = crafted_bars([h - 1 for h in highs], highs=highs, lows=[h - 2 for h in highs])
    hits, events = _fired(db_engine, "new_high", {"days": 3}, bars)
    assert hits == [4, 7] and [e.value for e in events] == [12.5, 13.5]


def test_new_low_and_pct_change(db_engine) -> None:  # noqa: ANN001
    bars = crafted_bars([100, 101, 104, 106.5, 106, 100])
    hits, events = _fired(db_engine, "pct_change", {"window": 2, "threshold": 5, "direction": "up"}, bars)
    assert hits == [3] and events[0].value == pytest.approx((106.5 / 101 - 1) * 100)  # bar 2: +4.0 % only
    alerts.delete(db_engine, events[0].rule_id)
    lows = [9, 8, 8.5, 7.9, 8.2, 7.0]
    hits, _ = _fired(db_engine, "new_low", {"days": 2}, crafted_bars([lo + 1 for lo in lows], lows=lows,
                                                                          highs=[lo + 2 for lo in lows]))
    assert hits == [3, 5]


def test_price_above_fires_at_once_when_already_above_and_again_only_after_dropping_below(db_engine) -> None:  # noqa: ANN001
    bars = crafted_bars([105, 107, 99, 98, 101, 103])
    hits, events = _fired(db_engine, "price_above", {"level": 100}, bars)
    assert hits == [0, 4] and [e.value for e in events] == [105, 101]


def test_indicator_cross_sma_pair_and_level(db_engine) -> None:  # noqa: ANN001
    closes = [10, 10, 10, 10, 9, 8, 9, 11, 13, 12, 10, 8]
    bars = crafted_bars(closes)
    fast, slow = bars["close"].rolling(2).mean().to_numpy(), bars["close"].rolling(4).mean().to_numpy()
    expected = [i for i in range(1, len(closes)) if fast[i] > slow[i] and fast[i - 1] <= slow[i - 1]]
    hits, events = _fired(db_engine, "indicator_cross", {"a": "sma(2)", "b": "sma(4)", "direction": "up"}, bars)
    assert hits == expected == [7]
    assert events[0].message == "BTC-USD sma(2) crossed above sma(4) · 10 · bar 08 Jan 2024"
    alerts.delete(db_engine, events[0].rule_id)
    hits, _ = _fired(db_engine, "indicator_cross", {"a": "close", "b": 9.5, "direction": "any"}, bars)
    assert hits == [4, 7, 11]


def test_only_closed_bars_count(db_engine) -> None:  # noqa: ANN001
    bars = crafted_bars([95, 105], start="2024-01-01 09:00", freq="h")
    store_bars(db_engine, bars, interval="1h")
    alerts.add_rule(db_engine, kind="price_above", symbol=SYMBOL, params={"level": 100, "interval": "1h"})
    assert alerts.check_alerts(db_engine, now="2024-01-01 10:30") == []  # the 10:00 bar closes at 11:00
    rule = alerts.list_rules(db_engine).iloc[0]
    assert rule["last_bar_time"] == pd.Timestamp("2024-01-01 09:00", tz="UTC")
    events = alerts.check_alerts(db_engine, now="2024-01-01 11:00")
    assert [e.bar_time for e in events] == [pd.Timestamp("2024-01-01 10:00", tz="UTC").to_pydatetime()]
    assert events[0].message.endswith("bar 01 Jan 2024 10:00 UTC")


def test_rupee_prices_in_messages(db_engine) -> None:  # noqa: ANN001
    bars = crafted_bars([1490, 1523.4], start="2024-06-27")  # two NSE sessions (Thursday, Friday)
    store_bars(db_engine, bars, symbol="INFY.NS")
    rule_id = alerts.add_rule(db_engine, kind="price_above", symbol="infy.ns", params={"level": 1500})
    assert alerts.get_rule(db_engine, rule_id).name == "INFY.NS · closed above ₹1,500.00"
    events = alerts.check_alerts(db_engine, now="2024-06-28 10:01")  # 15:31 IST: Friday's bar has closed
    assert [e.message for e in events] == ["INFY.NS closed above ₹1,500.00 · ₹1,523.40 · bar 28 Jun 2024"]


@pytest.mark.parametrize(("kind", "params", "message"), [
    ("price_abve", {}, "unknown alert kind 'price_abve'; did you mean 'price_above'?"),
    ("price_above", {"levl": 10}, "price_above has no parameter 'levl'; did you mean 'level'?"),
    ("price_above", {"level": -5}, "parameter 'level' must be between 0.0"),
    ("price_above", {"level": 0}, "level must be a price above 0"),
    ("price_above", {"level": "abc"}, "parameter 'level' must be a float, got 'abc'"),
    ("pct_change", {"window": -3}, "pct_change: parameter 'window' must be between 1 and 5000, got -3"),
    ("price_cross", {"direction": "sideways"}, "'direction' must be one of ['up', 'down', 'any']"),
    ("volume_spike", {"days": 0}, "parameter 'days' must be between 1"),
    ("rsi", {"oversold": 80}, "oversold (80) must be below overbought (70)"),
    ("indicator_cross", {"a": "smaa(20)"}, "unknown indicator 'smaa'; did you mean 'sma'?"),
    ("indicator_cross", {"a": "macd(12,26,9)"}, "macd returns several columns: pick one of ['macd', 'signal', 'hist']"),
    ("indicator_cross", {"a": "sma(-4)"}, "indicator 'sma(-4)': period must be at least 1"),
    ("indicator_cross", {"a": "sma(1,2,3)"}, "sma takes at most 1 numbers (period)"),
    ("indicator_cross", {"a": "70"}, "'a' must be an indicator or bar column"),
    ("deployment_pnl", {"measure": "drawdown", "threshold": -3}, "a drawdown threshold is a positive percent"),
])
def test_bad_params_say_how_to_fix_them(db_engine, kind: str, params: dict, message: str) -> None:  # noqa: ANN001
    with pytest.raises(AlertRuleError) as err:
        alerts.add_rule(db_engine, kind=kind, symbol=SYMBOL, params=params)
    assert message in str(err.value)


def test_bad_rule_settings(db_engine) -> None:  # noqa: ANN001
    from engine.errors import DataError

    with pytest.raises(AlertRuleError, match="price_above alerts watch one symbol; give one"):
        alerts.add_rule(db_engine, kind="price_above", params={"level": 1})
    with pytest.raises(AlertRuleError, match="mode must be one of"):
        alerts.add_rule(db_engine, kind="price_above", symbol=SYMBOL, mode="twice")
    with pytest.raises(AlertRuleError, match="cooldown must be 0 to"):
        alerts.add_rule(db_engine, kind="price_above", symbol=SYMBOL, cooldown_minutes=-1)
    with pytest.raises(DataError, match="not a valid symbol"):
        alerts.add_rule(db_engine, kind="price_above", symbol="no such symbol!")
    with pytest.raises(DataError, match="no paper deployment with id 7"):
        alerts.add_rule(db_engine, kind="deployment_pnl", params={"deployment": 7})
    with pytest.raises(DataError, match="no alert rule with id 99"):
        alerts.acknowledge(db_engine, 99)


def test_sync_failure_fires_when_the_latest_run_fails_after_an_ok_one(db_engine) -> None:  # noqa: ANN001
    from storage.sync_runs import finish_run, start_run

    def run(status: str, error: str = "") -> None:
        with transaction(db_engine) as s:
            finish_run(s, start_run(s, "INFY.NS", "1d", "yfinance"), status, error=error)

    run("ok")
    rule_id = alerts.add_rule(db_engine, kind="sync_failure", symbol="INFY.NS")
    assert alerts.check_alerts(db_engine) == []
    run("failed", "provider offline")
    events = alerts.check_alerts(db_engine)
    assert [e.rule_id for e in events] == [rule_id] and "sync of INFY.NS failed: provider offline" in events[0].message
    run("failed", "still offline")
    assert alerts.check_alerts(db_engine) == []  # a one-shot rule, and the failure streak is the same episode


def test_sentiment_below_threshold_once_per_episode(db_engine, monkeypatch) -> None:  # noqa: ANN001
    from datetime import date

    from engine.sentiment.index import SentimentReading

    seen = [(27, -0.1), (27, -0.45), (27, -0.5), (28, -0.6), (29, 0.2), (30, -0.4)]  # (day of June, mean)
    readings = iter(SentimentReading("INFY.NS", date(2024, 6, d), "lexicon", m, 3, 0.0, 1.0) for d, m in seen)
    monkeypatch.setattr(state_kinds, "latest_sentiment", lambda db, symbol: next(readings))
    rule_id = alerts.add_rule(db_engine, kind="sentiment", symbol="INFY.NS", params={"threshold": -0.3},
                              mode="repeating")
    fired = [alerts.check_alerts(db_engine) for _ in seen]
    # the 27th turns negative later that day (re-read until a newer day appears); the 30th is a new episode
    assert [bool(f) for f in fired] == [False, True, False, False, False, True]
    events = alerts.history(db_engine, rule_id)
    assert sorted(events["value"]) == [-0.45, -0.4]
    assert events["message"].iloc[-1] == "INFY.NS news sentiment below -0.30 · -0.45 · bar 27 Jun 2024"


def test_breaker_trip_fires_once_per_trip(db_engine, monkeypatch) -> None:  # noqa: ANN001
    from engine.paper import deployments

    states = {"value": pd.DataFrame(columns=deployments.BREAKER_COLUMNS)}
    monkeypatch.setattr(deployments, "breaker_states", lambda db: states["value"])
    rule_id = alerts.add_rule(db_engine, kind="breaker", mode="repeating")
    assert alerts.check_alerts(db_engine) == []

    def trip(at: str) -> None:
        states["value"] = pd.DataFrame([{"deployment_id": 3, "deployment": "sma INFY", "status": "TRIPPED",
                                         "reason": "daily loss 3.1% > 3%", "tripped_at": at, "reset_mode": "manual"}])

    trip("2024-06-28T09:30:00+00:00")
    events = alerts.check_alerts(db_engine)
    assert [e.severity for e in events] == ["critical"]
    assert events[0].message.startswith("circuit breaker of sma INFY tripped: daily loss 3.1% > 3%")
    assert alerts.check_alerts(db_engine) == []  # still the same trip
    trip("2024-07-01T09:30:00+00:00")
    assert len(alerts.check_alerts(db_engine)) == 1 and len(alerts.history(db_engine, rule_id)) == 2


def test_deployment_pnl_and_drawdown_from_the_equity_marks(db_engine) -> None:  # noqa: ANN001
    from engine.paper.deployments import DeploymentSpec, create_deployment
    from storage.models import PaperEquity

    dep = create_deployment(db_engine, DeploymentSpec(strategy="sma_cross", symbols=[SYMBOL],
                                                      config={"cash": 100_000}))
    pnl = alerts.add_rule(db_engine, kind="deployment_pnl", params={"deployment": dep, "threshold": -5})
    dd = alerts.add_rule(db_engine, kind="deployment_pnl",
                         params={"deployment": dep, "measure": "drawdown", "threshold": 8})
    marks = [100_000, 104_000, 110_000, 99_000, 94_000]  # P&L -6 % at the end; drawdown 10 % on bar 3
    times = pd.date_range("2024-01-01", periods=len(marks), freq="D", tz="UTC")
    fired = {}
    for i, (ts, equity) in enumerate(zip(times, marks)):
        with transaction(db_engine) as s:
            s.add(PaperEquity(deployment_id=dep, ts=int(ts.timestamp()), cash=equity, equity=equity))
        fired[i] = [(e.rule_id, round(e.value, 4)) for e in alerts.check_alerts(db_engine)]
    assert fired == {0: [], 1: [], 2: [], 3: [(dd, 10.0)], 4: [(pnl, -6.0)]}
