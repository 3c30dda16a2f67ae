"""Monthly-rebalanced allocation backtest: hand-worked equity, equal weight, no look-ahead, stats from engine.metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import DataError, OptimizationError
from engine.metrics import compute_stats
from engine.optimizer import (
    OptimizeSpec,
    backtest_fixed,
    backtest_reoptimised,
    month_starts,
    optimise,
    rebalanced_equity,
)
from tests.engine.optimizer_helpers import gbm_prices


def test_month_starts() -> None:
    index = pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-04"], tz="UTC")
    assert list(month_starts(index)) == list(index[[0, 2, 4]])


def test_rebalanced_equity_by_hand() -> None:
    index = pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"], tz="UTC")
    prices = pd.DataFrame({"A": [100.0, 110.0, 121.0, 121.0], "B": [100.0, 90.0, 90.0, 99.0]}, index=index)
    schedule = pd.DataFrame({"A": [0.5, 0.5], "B": [0.5, 0.5]}, index=index[[0, 2]])
    equity = rebalanced_equity(prices, schedule, capital=1000.0)
    # day 1: 500·1.1 + 500·0.9 = 1000; day 2 (Feb 1, before reset): 500·1.21 + 500·0.9 = 1055
    # reset on Feb 1 to 527.5 each; day 3: 527.5·1 + 527.5·1.1 = 1107.75 (buy and hold would be 1100)
    assert equity.tolist() == pytest.approx([1000.0, 1000.0, 1055.0, 1107.75])


def test_fixed_weights_equal_the_hand_rule_and_equal_weight_benchmark() -> None:
    prices = gbm_prices(days=300)
    weights = {"RELIANCE.NS": 0.7, "SBIN.NS": 0.3}
    result = backtest_fixed(prices, weights, start=prices.index[100], capital=1e6)
    window = prices.iloc[100:]
    starts = month_starts(window.index)
    expected = rebalanced_equity(window, pd.DataFrame([pd.Series(weights).reindex(window.columns).fillna(0)]
                                                      * len(starts), index=starts), 1e6)
    pd.testing.assert_series_equal(result.equity, expected)
    assert result.equity.index[0] == prices.index[100] and result.equity.iloc[0] == 1e6
    # equal weight over six assets, reset monthly, checked on the first month by hand
    first_month = window.loc[window.index < starts[1]]
    by_hand = 1e6 * (first_month / first_month.iloc[0]).mean(axis=1)
    np.testing.assert_allclose(result.equal_weight.loc[first_month.index].to_numpy(), by_hand.to_numpy())
    reference = compute_stats(result.equity, periods_per_year=252)
    for key in ("total_return", "cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown"):
        assert result.stats[key] == pytest.approx(reference[key])
    assert result.equal_stats["final_equity"] == pytest.approx(result.equal_weight.iloc[-1])
    assert result.mode == "fixed" and "no costs" in result.notes[0]


def test_reoptimised_uses_only_past_bars() -> None:
    prices = gbm_prices(days=600, seed=9)
    optimiser = lambda past: optimise(past, OptimizeSpec(objective="min_volatility", risk_method="sample")).weights  # noqa: E731
    base = backtest_reoptimised(prices, optimiser, lookback=250)
    cut = base.weights.index[3]
    shocked = prices.copy()
    shocked.loc[shocked.index >= cut, "TCS.NS"] *= np.linspace(1, 3, int((shocked.index >= cut).sum()))
    moved = backtest_reoptimised(shocked, optimiser, lookback=250)
    # weights set on or before the shock's first day, and equity before it, cannot have seen it
    pd.testing.assert_frame_equal(base.weights.loc[:cut], moved.weights.loc[:cut])
    before = base.equity.index < cut
    pd.testing.assert_series_equal(base.equity[before], moved.equity[before])
    assert not base.weights.iloc[5:].equals(moved.weights.iloc[5:])  # later months do react
    assert base.equity.index[0] == base.weights.index[0]
    assert prices.index.get_loc(base.weights.index[0]) >= 250


def test_reoptimised_weights_come_from_the_trailing_window() -> None:
    prices = gbm_prices(days=400, seed=2)
    seen: list[pd.DataFrame] = []

    def optimiser(past: pd.DataFrame) -> dict[str, float]:
        seen.append(past)
        return optimise(past, OptimizeSpec(objective="min_volatility")).weights

    result = backtest_reoptimised(prices, optimiser, lookback=120)
    for date, past in zip(result.weights.index, seen):
        assert len(past) == 120 and past.index[-1] < date
        assert past.index[-1] == prices.index[prices.index.get_loc(date) - 1]


def test_failed_month_keeps_previous_weights() -> None:
    prices = gbm_prices(days=400, seed=2)
    calls = {"n": 0}

    def flaky(past: pd.DataFrame) -> dict[str, float]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OptimizationError("target volatility 1.00% is below the lowest volatility reachable")
        return optimise(past, OptimizeSpec(objective="min_volatility")).weights

    result = backtest_reoptimised(prices, flaky, lookback=120)
    pd.testing.assert_series_equal(result.weights.iloc[1], result.weights.iloc[0], check_names=False)
    assert any("kept the previous weights" in n for n in result.notes)


def test_too_short_history() -> None:
    prices = gbm_prices(days=100)
    with pytest.raises(DataError, match="history too short"):
        backtest_reoptimised(prices, lambda p: {"TCS.NS": 1.0}, lookback=120)
    with pytest.raises(DataError, match="no prices after the in-sample window"):
        backtest_fixed(prices, {"TCS.NS": 1.0}, start=prices.index[-1])
