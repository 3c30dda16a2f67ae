"""Walk-forward: window layout, no train/test overlap, warm-up without trading, equity continuity, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.backtest import BacktestConfig, run_backtest
from engine.backtest.sweep import run_sweep
from engine.backtest.walkforward import WalkForwardResult, _TradeFrom, plan_windows, run_walkforward
from engine.errors import BacktestError, ParameterError
from engine.strategies import make_strategy

SPACE = {"fast": [5, 10, 20], "slow": [30, 50, 100]}
CONFIG = BacktestConfig(costs=0.001)


@pytest.fixture(scope="module")
def wf(goog: pd.DataFrame) -> WalkForwardResult:
    return run_walkforward(goog, "sma_cross", SPACE, CONFIG, n_windows=4, n_jobs=1)


# --- window plans -------------------------------------------------------------------------------


@pytest.mark.parametrize("anchored", [False, True])
def test_windows_never_overlap_and_tests_are_consecutive(anchored: bool) -> None:
    plan = plan_windows(1000, n_windows=5, train_bars=300, test_bars=100, anchored=anchored)
    assert len(plan) == 5
    assert plan[-1][3] == 1000  # the last test window ends on the last bar
    for k, (tr0, tr1, te0, te1) in enumerate(plan):
        assert tr1 <= te0 and te1 - te0 == 100
        assert tr0 == (0 if anchored else te0 - 300)
        if k:
            assert te0 == plan[k - 1][3]
    assert plan[0] == ((0 if anchored else 200), 500, 500, 600)


def test_window_lengths_are_derived_when_not_given() -> None:
    plan = plan_windows(900, n_windows=5)  # test = 900 // 9 = 100, train = 400
    assert [te1 - te0 for _, _, te0, te1 in plan] == [100] * 5
    assert all(tr1 - tr0 == 400 for tr0, tr1, _, _ in plan)
    only_train = plan_windows(900, n_windows=4, train_bars=500)
    assert [te1 - te0 for _, _, te0, te1 in only_train] == [100] * 4
    only_test = plan_windows(900, n_windows=4, test_bars=150)
    assert only_test[0][:2] == (0, 300)


def test_too_short_data_says_how_many_bars_are_needed() -> None:
    with pytest.raises(BacktestError, match="needs 160 bars, but the data has 100"):
        plan_windows(100, n_windows=5, train_bars=60, test_bars=20)
    with pytest.raises(BacktestError, match="needs 80 bars, but the data has 60"):
        plan_windows(60, n_windows=5)  # minimums: 30 training + 5 × 10 test bars
    with pytest.raises(ParameterError, match="n_windows"):
        plan_windows(1000, n_windows=0)


def test_run_walkforward_rejects_short_data(goog: pd.DataFrame) -> None:
    with pytest.raises(BacktestError, match=r"needs 1100 bars, but the data has 500"):
        run_walkforward(goog.iloc[:500], "sma_cross", SPACE, n_windows=3, train_bars=500, test_bars=200)


# --- a walk-forward run on GOOG -----------------------------------------------------------------


def test_windows_table_has_no_train_test_overlap(wf: WalkForwardResult, goog: pd.DataFrame) -> None:
    w = wf.windows
    assert len(w) == 4 and list(w["window"]) == [1, 2, 3, 4]
    assert (w["train_end"] < w["test_start"]).all()
    assert (w["test_start"].iloc[1:].to_numpy() > w["test_end"].iloc[:-1].to_numpy()).all()
    assert w["test_end"].iloc[-1] == goog.index[-1]
    for col in ("fast", "slow", "is_objective", "oos_objective", "oos_return", "oos_sharpe", "oos_trades"):
        assert col in w.columns
    assert (w["fast"] < w["slow"]).all()


def test_in_sample_choice_is_the_sweep_best(wf: WalkForwardResult, goog: pd.DataFrame) -> None:
    first = wf.windows.iloc[0]
    train = goog.loc[first["train_start"]:first["train_end"]]
    sweep = run_sweep(train, "sma_cross", SPACE, CONFIG, n_jobs=1)
    assert sweep.best_params == {"fast": first["fast"], "slow": first["slow"]}
    assert sweep.best_value == first["is_objective"]


def test_oos_equity_is_stitched_continuously(wf: WalkForwardResult, goog: pd.DataFrame) -> None:
    w, equity = wf.windows, wf.equity
    assert equity.index.equals(goog.loc[w["test_start"].iloc[0]:].index)
    assert equity.iloc[0] == CONFIG.cash
    for k in range(1, len(w)):
        prev_end = equity.loc[w["test_end"].iloc[k - 1]]
        assert prev_end == w["oos_final_equity"].iloc[k - 1]
        assert equity.loc[w["test_start"].iloc[k]] == prev_end  # the next window starts from it
        segment = equity.loc[w["test_start"].iloc[k]:w["test_end"].iloc[k]]
        assert segment.iloc[-1] / segment.iloc[0] - 1 == pytest.approx(w["oos_return"].iloc[k], rel=1e-12)
    assert wf.stats["final_equity"] == pytest.approx(w["oos_final_equity"].iloc[-1])
    assert wf.stats["n_trades"] == w["oos_trades"].sum() == len(wf.trades)


def test_trades_happen_only_inside_their_test_window(wf: WalkForwardResult) -> None:
    assert len(wf.trades) > 0
    w = wf.windows.set_index("window")
    for _, trade in wf.trades.iterrows():
        window = w.loc[trade["window"]]
        assert window["test_start"] < trade["entry_time"] <= trade["exit_time"] <= window["test_end"]


def test_efficiency_is_oos_over_is(wf: WalkForwardResult) -> None:
    expected = wf.windows["oos_objective"].mean() / wf.windows["is_objective"].mean()
    assert wf.efficiency == pytest.approx(expected)


def test_warmup_history_gives_valid_indicators_but_no_trades(goog: pd.DataFrame) -> None:
    strategy = make_strategy("sma_cross", fast=10, slow=50)
    start = goog.index[1000]
    history = goog.iloc[1000 - strategy.warmup():1300]
    masked = _TradeFrom(strategy, start).signals(history)
    full = strategy.signals(goog)
    before = history.index < start
    assert not masked.entries_long[before].any() and not masked.exits_long[before].any()
    after = history.index[~before]
    pd.testing.assert_series_equal(masked.entries_long[after], full.entries_long[after], check_names=False)
    assert masked.entries_long[after].any()  # a crossing inside the window is still traded
    result = run_backtest(history, _TradeFrom(strategy, start), CONFIG)
    assert (result.equity[before] == CONFIG.cash).all()
    assert (result.trades["entry_time"] > start).all()


def test_anchored_and_progress(goog: pd.DataFrame) -> None:
    calls: list[tuple[int, int]] = []
    result = run_walkforward(goog, "sma_cross", {"fast": [5, 10], "slow": [30, 60]}, CONFIG, n_windows=3,
                             test_bars=200, anchored=True, objective="total_return", n_jobs=1,
                             progress=lambda d, t: calls.append((d, t)))
    assert (result.windows["train_start"] == goog.index[0]).all()
    assert result.anchored and result.objective == "total_return"
    assert calls[-1] == (12, 12) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert np.isfinite(result.stats["total_return"])
