"""Evaluating sweep combinations: one backtest per parameter set, reduced to the sweep's table metrics.

Used inline and inside worker processes (state set once per worker by `init_worker`), so a chunk
gives the same numbers whichever process runs it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.backtest.config import BacktestConfig
from engine.backtest.runner import run_backtest
from engine.backtest.sweep_fast import CrossoverFastPath
from engine.metrics import _core
from engine.metrics._inputs import per_period_rf
from engine.strategies.base import Strategy

METRICS = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "win_rate", "profit_factor",
           "n_trades", "final_equity")


def lean_stats(equity: np.ndarray, pnl: np.ndarray, periods_per_year: int, rf: float) -> tuple[float, ...]:
    """The METRICS of one run, with the formulas of `engine.metrics` (compute_stats) in plain numpy.

    `equity` is account value per bar (currency), `pnl` the net pnl of each closed trade. Ratios are
    NaN where compute_stats would refuse the curve (a non-positive or non-finite account value).
    """
    n_trades = int(pnl.shape[0])
    figures = _core.trade_figures(pnl, np.empty(0), np.empty(0))
    win_rate, profit_factor = figures["win_rate"], figures["profit_factor"]
    e = equity[~np.isnan(equity)]
    final = float(e[-1]) if e.size else math.nan
    if e.size == 0 or not np.isfinite(e).all() or (e <= 0).any():
        return (math.nan, math.nan, math.nan, math.nan, math.nan, win_rate, profit_factor, n_trades, final)
    excess = _core.simple_returns(e) - per_period_rf(rf, periods_per_year)
    return (_core.total_return(e), _core.cagr(e, periods_per_year), _core.sharpe(excess, periods_per_year),
            _core.sortino(excess, periods_per_year), _core.max_drawdown(e), win_rate, profit_factor, n_trades,
            final)


class Evaluator:
    """Runs parameter sets of one strategy on fixed bars and config; `fast` selects the crossover path."""

    def __init__(self, bars: pd.DataFrame, strategy_cls: type[Strategy], config: BacktestConfig,
                 fast: bool = False) -> None:
        self.bars, self.cls, self.config = bars, strategy_cls, config
        self.fast = CrossoverFastPath(bars, config) if fast else None

    def evaluate(self, params: dict[str, Any]) -> tuple[float, ...]:
        """METRICS for one (already validated) parameter set."""
        strategy = self.cls(**params)
        if self.fast is not None:
            equity, pnl = self.fast.run(strategy)
        else:
            result = run_backtest(self.bars, strategy, self.config)
            equity = result.equity.to_numpy(dtype=float)
            pnl = result.trades["pnl"].to_numpy(dtype=float)
        return lean_stats(equity, pnl, self.config.periods_per_year, self.config.rf)

    def evaluate_chunk(self, chunk: list[dict[str, Any]]) -> list[tuple[float, ...]]:
        return [self.evaluate(params) for params in chunk]


_WORKER: Evaluator | None = None


def init_worker(bars: pd.DataFrame, strategy_name: str, plugin_file: str | None, config: BacktestConfig,
                fast: bool) -> None:
    """Process-pool initializer: rebuild the evaluator once per worker (plugins reloaded if needed)."""
    global _WORKER
    from engine.strategies import get_strategy, load_plugins

    if plugin_file is not None:
        try:
            get_strategy(strategy_name)
        except Exception:  # a spawned worker starts without plugins: load the strategy's folder
            load_plugins(Path(plugin_file).parent)
    _WORKER = Evaluator(bars, get_strategy(strategy_name), config, fast)


def worker_chunk(chunk: list[dict[str, Any]]) -> list[tuple[float, ...]]:
    """Evaluate one chunk in a worker process set up by `init_worker`."""
    if _WORKER is None:
        raise RuntimeError("sweep worker used before init_worker ran")
    return _WORKER.evaluate_chunk(chunk)
