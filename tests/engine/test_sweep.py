"""Parameter sweeps: spaces, skipping, parallel == inline, random sampling, objectives, fast path, heatmap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine.backtest import BacktestConfig, run_backtest
from engine.backtest.sweep import (
    MAX_GRID,
    SweepResult,
    combinations,
    heatmap_table,
    param_space,
    run_sweep,
)
from engine.backtest.sweep_eval import METRICS, lean_stats
from engine.backtest.sweep_fast import supports_fast_path
from engine.errors import OptimizationError, ParameterError, StrategyError
from engine.indicators import wma
from engine.metrics import compute_stats
from engine.strategies import get_strategy, make_strategy, register, unregister
from engine.strategies.sma_cross import SmaCross


@pytest.fixture(scope="module")
def bars(goog: pd.DataFrame) -> pd.DataFrame:
    return goog.iloc[:700]


def assert_matches_backtest(row: pd.Series, bars: pd.DataFrame, name: str, config: BacktestConfig,
                            params: dict) -> None:
    stats = run_backtest(bars, make_strategy(name, **params), config).stats
    for metric in METRICS:
        ours, theirs = float(row[metric]), float(stats[metric])
        if math.isnan(theirs):
            assert math.isnan(ours), metric
        else:
            assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12), (metric, params)


# --- parameter spaces ---------------------------------------------------------------------------


def test_param_space_ranges_declared_params() -> None:
    space = param_space(get_strategy("sma_cross"))
    assert space["fast"] == list(range(2, 101, 2))
    assert space["slow"] == list(range(5, 301, 5))
    assert space["allow_short"] == [False, True]
    assert len(space["stop_loss_pct"]) == 51 and space["stop_loss_pct"][-1] == 0.5
    assert space["stop_loss_pct"][7] == 0.07  # no float drift from repeated steps


def test_param_space_vary_and_overrides() -> None:
    space = param_space(get_strategy("sma_cross"), {"slow": ["40", 60.0]}, vary=["fast"])
    assert space["slow"] == [40, 60] and all(isinstance(v, int) for v in space["slow"])
    assert len(space["fast"]) == 50
    assert space["allow_short"] == [False] and space["trailing_pct"] == [0.0]


def test_param_space_rejects_unknown_names_and_bad_values() -> None:
    with pytest.raises(ParameterError, match="did you mean 'slow'"):
        param_space(get_strategy("sma_cross"), {"slwo": [10]})
    with pytest.raises(ParameterError, match="between"):
        param_space(get_strategy("sma_cross"), {"fast": [1, 5]})


def test_grid_size_and_invalid_combinations_are_skipped(bars: pd.DataFrame) -> None:
    space = {"fast": [5, 10, 20], "slow": [10, 20, 30]}
    result = run_sweep(bars, "sma_cross", space, n_jobs=1)
    assert result.skipped == 3  # (10, 10), (20, 10), (20, 20)
    pairs = list(zip(result.table["fast"], result.table["slow"], strict=True))
    assert pairs == [(5, 10), (5, 20), (5, 30), (10, 20), (10, 30), (20, 30)]
    assert list(result.table.columns) == ["fast", "slow", *METRICS]
    assert result.table["n_trades"].dtype == np.int64


def test_constraint_counts_as_skipped(bars: pd.DataFrame) -> None:
    space = {"fast": [5, 10, 20], "slow": [30, 40]}
    result = run_sweep(bars, "sma_cross", space, constraint=lambda p: p["slow"] - p["fast"] >= 25, n_jobs=1)
    assert result.skipped == 3 and len(result.table) == 3  # (10, 30), (20, 30), (20, 40) are too close
    assert (result.table["slow"] - result.table["fast"] >= 25).all()


def test_no_valid_combination_and_huge_grid_raise(bars: pd.DataFrame) -> None:
    with pytest.raises(OptimizationError, match="none of the 2 combinations"):
        run_sweep(bars, "sma_cross", {"fast": [50, 60], "slow": [40]}, n_jobs=1)
    huge = {"fast": list(range(2, 101)), "slow": list(range(5, 301)), "stop_loss_pct": [0.01 * k for k in range(40)]}
    assert 99 * 296 * 40 > MAX_GRID
    with pytest.raises(OptimizationError, match="method 'random'"):
        run_sweep(bars, "sma_cross", huge, n_jobs=1)


# --- parallel, random, objective ----------------------------------------------------------------


def test_parallel_equals_inline_fast_path(bars: pd.DataFrame) -> None:
    space = {"fast": [5, 8, 12, 16, 20, 25], "slow": [20, 30, 45, 60, 80, 100], "allow_short": [False, True]}
    config = BacktestConfig(costs=0.001, allow_short=True)
    calls: list[tuple[int, int]] = []
    inline = run_sweep(bars, "sma_cross", space, config, n_jobs=1)
    parallel = run_sweep(bars, "sma_cross", space, config, n_jobs=2, progress=lambda d, t: calls.append((d, t)))
    assert inline.fast_path and parallel.fast_path
    pd.testing.assert_frame_equal(inline.table, parallel.table)
    assert inline.best_params == parallel.best_params
    assert calls[-1] == (len(inline.table), len(inline.table))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) > 1


def test_parallel_equals_inline_general_path(bars: pd.DataFrame) -> None:
    space = {"period": [7, 10, 14, 21, 28], "lower": [20.0, 25.0, 30.0, 35.0, 40.0, 45.0]}
    inline = run_sweep(bars, "rsi_reversion", space, BacktestConfig(costs=0.0005), n_jobs=1)
    parallel = run_sweep(bars, "rsi_reversion", space, BacktestConfig(costs=0.0005), n_jobs=2)
    assert not inline.fast_path
    pd.testing.assert_frame_equal(inline.table, parallel.table)
    row = inline.table.iloc[7]
    assert_matches_backtest(row, bars, "rsi_reversion", BacktestConfig(costs=0.0005),
                            {"period": int(row["period"]), "lower": float(row["lower"])})


def test_random_is_reproducible_by_seed() -> None:
    space = {"fast": list(range(2, 101, 2)), "slow": list(range(5, 301, 5))}
    a = combinations(space, "random", n_samples=40, seed=7)
    b = combinations(space, "random", n_samples=40, seed=7)
    c = combinations(space, "random", n_samples=40, seed=8)
    assert a == b and a != c and len(a) == 40
    assert len({(p["fast"], p["slow"]) for p in a}) == 40  # distinct
    assert all(p["fast"] in space["fast"] and p["slow"] in space["slow"] for p in a)
    assert combinations({"fast": [5, 10]}, "random", n_samples=40) == [{"fast": 5}, {"fast": 10}]


def test_random_sweep_counts_samples(bars: pd.DataFrame) -> None:
    space = {"fast": list(range(2, 101, 2)), "slow": list(range(5, 301, 5))}
    one = run_sweep(bars, "sma_cross", space, method="random", n_samples=30, seed=3, n_jobs=1)
    two = run_sweep(bars, "sma_cross", space, method="random", n_samples=30, seed=3, n_jobs=1)
    assert len(one.table) + one.skipped == 30
    pd.testing.assert_frame_equal(one.table, two.table)


@pytest.mark.parametrize("objective", ["sharpe", "total_return", "max_drawdown", "profit_factor"])
def test_best_params_maximise_objective(bars: pd.DataFrame, objective: str) -> None:
    space = {"fast": [5, 10, 15, 20], "slow": [30, 50, 80]}
    result = run_sweep(bars, "sma_cross", space, objective=objective, n_jobs=1)
    column = result.table[objective]
    best = result.table.loc[column.idxmax()]
    assert result.best_params == {"fast": best["fast"], "slow": best["slow"]}
    assert result.best_value == column.max()
    assert result.top(3)[objective].tolist() == sorted(column.dropna(), reverse=True)[:3]


def test_unknown_objective_and_method(bars: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="did you mean 'sharpe'"):
        run_sweep(bars, "sma_cross", {"fast": [5]}, objective="sharp")
    with pytest.raises(ParameterError, match="'grid' or 'random'"):
        run_sweep(bars, "sma_cross", {"fast": [5]}, method="bayes")


PLUGIN = '''
import pandas as pd
from engine.errors import StrategyError
from engine.strategies import Param, Signals, Strategy, build_signals, cross_level


class TestRoc(Strategy):
    name = "test_sweep_roc"
    params = (Param("period", int, 20, 2, 100, 1), Param("level", float, 0.0, -1.0, 1.0, 0.01))

    def signals(self, bars: pd.DataFrame) -> Signals:
        if self.p["period"] == 13:
            raise StrategyError("period 13 is unlucky")
        roc = bars["close"].pct_change(self.p["period"])
        return build_signals(bars, self.p, entries_long=cross_level(roc, self.p["level"], True),
                             exits_long=cross_level(roc, self.p["level"], False))
'''


def test_plugin_strategy_runs_in_workers_and_errors_propagate(bars: pd.DataFrame, tmp_path) -> None:
    from engine.strategies import load_plugins

    (tmp_path / "roc.py").write_text(PLUGIN)
    assert load_plugins(tmp_path) == []
    try:
        space = {"period": [5, 10, 20, 30, 40, 60], "level": [0.0, 0.02, 0.05, 0.1, 0.15]}
        inline = run_sweep(bars, "test_sweep_roc", space, n_jobs=1)
        parallel = run_sweep(bars, "test_sweep_roc", space, n_jobs=2)
        pd.testing.assert_frame_equal(inline.table, parallel.table)
        assert inline.table["n_trades"].sum() > 0
        with pytest.raises(StrategyError, match="unlucky"):
            run_sweep(bars, "test_sweep_roc", {**space, "period": [5, 10, 13, 20, 30, 40]}, n_jobs=2)
    finally:
        unregister("test_sweep_roc")


# --- the crossover fast path gives exactly the backtester's numbers ----------------------------


@pytest.mark.parametrize(
    "config, extra",
    [
        (BacktestConfig(costs=0.001), {}),
        (BacktestConfig(costs="nse_delivery", slippage_bps=5, fill="close"), {"stop_loss_pct": 0.03}),
        (BacktestConfig(allow_short=True, sizing="fixed_amount", size_value=50_000),
         {"allow_short": True, "take_profit_pct": 0.1, "trailing_pct": 0.05}),
        (BacktestConfig(allow_short=True, rf=0.04, periods_per_year=365),
         {"allow_short": True, "stop_loss_pct": 0.02, "take_profit_pct": 0.04}),
    ],
)
def test_fast_path_matches_run_backtest(goog: pd.DataFrame, config: BacktestConfig, extra: dict) -> None:
    space = {"fast": [3, 10, 20], "slow": [15, 40, 100], **{k: [v] for k, v in extra.items()}}
    for name in ("sma_cross", "ema_cross"):
        result = run_sweep(goog, name, space, config, n_jobs=1)
        assert result.fast_path
        assert result.table["n_trades"].sum() > 0
        for _, row in result.table.iterrows():
            params = {k: row[k] for k in space}
            params["fast"], params["slow"] = int(params["fast"]), int(params["slow"])
            assert_matches_backtest(row, goog, name, config, params)


def test_fast_path_only_for_plain_crossovers(goog: pd.DataFrame) -> None:
    class WmaCross(SmaCross):
        name = "test_wma_cross"

        def average(self, close: pd.Series, period: int) -> pd.Series:
            return wma(close, period)

    class OddCross(SmaCross):
        name = "test_odd_cross"

        def signals(self, bars: pd.DataFrame):  # noqa: ANN201
            return super().signals(bars)

    register(WmaCross)
    try:
        assert supports_fast_path(WmaCross, goog) and not supports_fast_path(OddCross, goog)
        assert not supports_fast_path(get_strategy("rsi_reversion"), goog)
        gappy = goog.copy()
        gappy.iloc[50, gappy.columns.get_loc("open")] = np.nan
        assert not supports_fast_path(SmaCross, gappy)
        result = run_sweep(goog, "test_wma_cross", {"fast": [5, 10], "slow": [30, 60]}, n_jobs=1)
        assert result.fast_path
        for _, row in result.table.iterrows():
            assert_matches_backtest(row, goog, "test_wma_cross", BacktestConfig(),
                                    {"fast": int(row["fast"]), "slow": int(row["slow"])})
    finally:
        unregister("test_wma_cross")


def test_gappy_bars_use_the_general_path(goog: pd.DataFrame) -> None:
    gappy = goog.iloc[:600].copy()
    gappy.iloc[100:103, :4] = np.nan
    result = run_sweep(gappy, "sma_cross", {"fast": [5, 10], "slow": [30]}, n_jobs=1)
    assert not result.fast_path
    row = result.table.iloc[1]
    assert_matches_backtest(row, gappy, "sma_cross", BacktestConfig(), {"fast": 10, "slow": 30})


# --- statistics and heatmap ---------------------------------------------------------------------


def test_lean_stats_hand_checked_and_equal_to_compute_stats() -> None:
    equity = np.array([100.0, 110.0, 99.0, 120.0, 118.0])
    pnl = np.array([10.0, -5.0, 0.0, 15.0])
    stats = dict(zip(METRICS, lean_stats(equity, pnl, 252, 0.0), strict=True))
    assert stats["total_return"] == pytest.approx(0.18)
    assert stats["max_drawdown"] == pytest.approx(99 / 110 - 1)
    assert stats["win_rate"] == 0.5 and stats["profit_factor"] == 5.0 and stats["n_trades"] == 4
    assert stats["final_equity"] == 118.0
    index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    trades = pd.DataFrame({"pnl": pnl, "pnl_pct": pnl / 100, "entry_time": index[:4], "exit_time": index[1:],
                           "bars_held": [1, 1, 1, 1]})
    for rf in (0.0, 0.05):
        ours = dict(zip(METRICS, lean_stats(equity, pnl, 252, rf), strict=True))
        ref = compute_stats(pd.Series(equity, index=index), trades, rf=rf)
        for metric in METRICS:
            assert ours[metric] == pytest.approx(ref[metric], rel=1e-12), metric


def test_lean_stats_edge_cases() -> None:
    flat = dict(zip(METRICS, lean_stats(np.full(10, 100.0), np.array([]), 252, 0.0), strict=True))
    assert flat["total_return"] == 0.0 and math.isnan(flat["sharpe"]) and math.isnan(flat["win_rate"])
    assert math.isnan(flat["profit_factor"]) and flat["n_trades"] == 0
    wins_only = lean_stats(np.array([100.0, 101.0]), np.array([1.0]), 252, 0.0)
    assert math.isinf(wins_only[METRICS.index("profit_factor")])
    wiped = dict(zip(METRICS, lean_stats(np.array([100.0, 50.0, -10.0]), np.array([-110.0]), 252, 0.0),
                     strict=True))
    assert math.isnan(wiped["sharpe"]) and wiped["final_equity"] == -10.0


def test_heatmap_pivot_takes_best_over_other_params() -> None:
    table = pd.DataFrame({
        "fast": [5, 5, 10, 10, 5, 10],
        "slow": [20, 30, 20, 30, 20, 30],
        "allow_short": [False, False, False, False, True, True],
        "sharpe": [0.5, 0.7, np.nan, 0.2, 0.9, 0.1],
    })
    pivot = heatmap_table(table, "fast", "slow", "sharpe")
    assert list(pivot.index) == [20, 30] and list(pivot.columns) == [5, 10]
    assert pivot.loc[20, 5] == 0.9 and pivot.loc[30, 5] == 0.7 and pivot.loc[30, 10] == 0.2
    assert math.isnan(pivot.loc[20, 10])
    with pytest.raises(ParameterError, match="no column 'slwo'"):
        heatmap_table(table, "fast", "slwo", "sharpe")


def test_heatmap_from_a_real_sweep(bars: pd.DataFrame) -> None:
    result = run_sweep(bars, "sma_cross", {"fast": [5, 10], "slow": [20, 40, 60]}, n_jobs=1)
    assert isinstance(result, SweepResult)
    pivot = heatmap_table(result.table, "fast", "slow", "total_return")
    assert pivot.shape == (3, 2)
    assert pivot.loc[40, 10] == result.table.set_index(["fast", "slow"]).loc[(10, 40), "total_return"]
