"""Look-ahead check: leaky strategies are caught at the right bar and field; every built-in passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.backtest.lookahead import LookaheadReport, check_lookahead, sample_points
from engine.errors import DataError
from engine.strategies import BUILTINS, Signals, Strategy, build_signals, make_strategy


class PeekNextClose(Strategy):
    """Deliberately leaky: buys today if tomorrow's close is higher."""

    name = "peek_next_close"

    def signals(self, bars: pd.DataFrame) -> Signals:
        close = bars["close"]
        return build_signals(
            bars, {}, entries_long=close.shift(-1) > close, exits_long=close.shift(-1) < close
        )


class CentredAverage(Strategy):
    """Subtle leak: a centred moving average (looks 5 bars ahead) used only for the strength."""

    name = "centred_average"

    def warmup(self) -> int:
        return 20

    def signals(self, bars: pd.DataFrame) -> Signals:
        close = bars["close"]
        centred = close.rolling(11, center=True).mean()
        return build_signals(
            bars,
            {},
            entries_long=close > close.shift(1),
            exits_long=close < close.shift(1),
            strength=(close / centred - 1).abs() * 10,
        )


class LeakyStop(Strategy):
    """Leak only in the stop level: it is set from the next bar's low."""

    name = "leaky_stop"

    def signals(self, bars: pd.DataFrame) -> Signals:
        close = bars["close"]
        sig = build_signals(bars, {}, entries_long=close > close.shift(1), exits_long=close < close.shift(1))
        sig.stop_loss = bars["low"].shift(-1).where(sig.entries_long)
        return sig


class FailsOnShortHistory(Strategy):
    name = "fails_short"

    def signals(self, bars: pd.DataFrame) -> Signals:
        if len(bars) < 2000:
            raise ValueError("needs 2000 bars")
        none = pd.Series(False, index=bars.index)
        return Signals(entries_long=none, exits_long=none)


def test_next_bar_peek_is_flagged(goog: pd.DataFrame) -> None:
    report = check_lookahead(PeekNextClose(), goog)
    assert isinstance(report, LookaheadReport)
    assert not report.passed and report.checked == 20
    assert len(report.violations) >= 15  # a next-bar peek shows at nearly every truncation point
    first = report.first
    assert first["field"] in ("entries_long", "exits_long")
    assert first["bar"] == first["checked_at"]  # the last kept bar is the one that lost its future
    assert first["full"] is True and first["truncated"] is False
    assert "uses later bars" in first["message"]


def test_leak_in_strength_only_is_flagged(goog: pd.DataFrame) -> None:
    report = check_lookahead(CentredAverage(), goog, n_checks=10)
    assert not report.passed
    assert {v["field"] for v in report.violations} == {"strength"}
    v = report.violations[0]
    # the centred window reaches 5 bars ahead: the last 5 kept bars lose their value, the first of them
    # being 4 bars before the cut
    assert goog.index.get_loc(v["checked_at"]) - goog.index.get_loc(v["bar"]) == 4


def test_leak_in_stop_level_only_is_flagged(goog: pd.DataFrame) -> None:
    report = check_lookahead(LeakyStop(), goog)
    assert not report.passed and {v["field"] for v in report.violations} == {"stop_loss"}


def test_a_crash_on_shorter_history_is_a_violation(goog: pd.DataFrame) -> None:
    report = check_lookahead(FailsOnShortHistory(), goog, n_checks=3)
    assert not report.passed and report.violations[0]["field"] == "error"
    assert "needs 2000 bars" in report.violations[0]["message"]


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_passes_on_goog(goog: pd.DataFrame, name: str) -> None:
    params = {"allow_short": True, "stop_loss_pct": 0.05, "take_profit_pct": 0.1}
    params = {} if name == "buy_hold" else params
    report = check_lookahead(make_strategy(name, **params), goog)
    assert report.passed, report.violations[:3]
    assert report.checked == 20 and report.violations == [] and report.first is None


def test_progress_reports_each_check(goog: pd.DataFrame) -> None:
    calls: list[tuple[int, int]] = []
    report = check_lookahead(
        make_strategy("sma_cross"), goog.iloc[:300], n_checks=5, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert report.checked == 5


def test_empty_bars_raise_data_error(goog: pd.DataFrame) -> None:
    with pytest.raises(DataError):
        check_lookahead(make_strategy("sma_cross"), goog.iloc[:0])


def test_sample_points_spread_after_warmup_and_hit_signal_bars() -> None:
    events = np.array([5, 150, 151, 700, 999])
    points = sample_points(1000, 100, 20, events)
    assert len(points) == 20 == len(set(points))
    assert points == sorted(points) and min(points) >= 100 and max(points) <= 998
    assert {150, 151, 700} <= set(points)  # signal bars after warm-up are always checked
    assert 5 not in points and 999 not in points
    assert sample_points(1000, 100, 20, events) == points  # deterministic


def test_sample_points_short_histories() -> None:
    assert sample_points(10, 3, 20, np.array([], dtype=int)) == [3, 4, 5, 6, 7, 8]
    assert sample_points(10, 50, 20, np.array([], dtype=int)) == [8]
    assert sample_points(1, 0, 20, np.array([], dtype=int)) == []
