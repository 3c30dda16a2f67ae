"""Walk-forward analysis: optimise on a training window, trade the following window out of sample, repeat."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.backtest.config import BacktestConfig
from engine.backtest.result import empty_trades
from engine.backtest.runner import run_backtest
from engine.backtest.sweep import Progress, run_sweep
from engine.errors import BacktestError, ParameterError
from engine.metrics import compute_stats
from engine.strategies import get_strategy
from engine.strategies.base import Signals, Strategy

MIN_TRAIN_BARS = 30
MIN_TEST_BARS = 10
TRAIN_PER_TEST = 4  # default split when neither window length is given: training 4× the test window
_BOOL_FIELDS = ("entries_long", "exits_long", "entries_short", "exits_short")


@dataclass
class WalkForwardResult:
    """Outcome of run_walkforward.

    `windows`: one row per window with train_start/train_end/test_start/test_end (timestamps of the
    first and last bar, inclusive), the chosen parameters, is_objective (best in-sample value),
    oos_objective, oos_return, oos_sharpe, oos_trades and oos_final_equity. `equity`: the stitched
    out-of-sample curve, each window starting from the previous window's ending equity. `trades`:
    all out-of-sample trades with a `window` column. `stats`: compute_stats of the stitched run.
    `efficiency`: mean out-of-sample objective / mean in-sample objective (NaN unless the in-sample
    mean is positive); compare like with like, so prefer annualised objectives (sharpe, sortino, cagr).
    """

    windows: pd.DataFrame
    equity: pd.Series
    trades: pd.DataFrame
    stats: dict[str, Any]
    efficiency: float
    objective: str
    anchored: bool = False


def plan_windows(n_bars: int, n_windows: int = 5, train_bars: int | None = None, test_bars: int | None = None,
                 anchored: bool = False) -> list[tuple[int, int, int, int]]:
    """Bar positions (train_start, train_end, test_start, test_end), half-open, for each window.

    Test windows are consecutive and end at the last bar; each training window ends where its test
    window starts (rolling: a fixed length; anchored: from the first bar). Unset lengths are derived
    from `n_bars` (training = 4 × test when neither is given). Raises ParameterError for
    n_windows < 1 and BacktestError, saying how many bars are needed, when the data is too short.
    """
    if n_windows < 1:
        raise ParameterError(f"n_windows must be at least 1, got {n_windows}")
    for name, value in (("train_bars", train_bars), ("test_bars", test_bars)):
        if value is not None and value < 1:
            raise ParameterError(f"{name} must be a positive number of bars, got {value}")
    if train_bars is None and test_bars is None:
        test_bars = n_bars // (n_windows + TRAIN_PER_TEST)
        train_bars = TRAIN_PER_TEST * test_bars
    elif test_bars is None:
        test_bars = max(n_bars - train_bars, 0) // n_windows  # type: ignore[operator]
    elif train_bars is None:
        train_bars = n_bars - n_windows * test_bars
    need_train = max(train_bars, MIN_TRAIN_BARS)  # type: ignore[type-var]
    need_test = max(test_bars, MIN_TEST_BARS)
    needed = need_train + n_windows * need_test
    if train_bars < MIN_TRAIN_BARS or test_bars < MIN_TEST_BARS or needed > n_bars:  # type: ignore[operator]
        raise BacktestError(
            f"walk-forward with {n_windows} windows of {need_test} test bars after {need_train} training bars "
            f"needs {needed} bars, but the data has {n_bars}; use fewer or shorter windows, or load more history"
        )
    offset = n_bars - (train_bars + n_windows * test_bars)  # type: ignore[operator]
    plan = []
    for k in range(n_windows):
        test_start = offset + train_bars + k * test_bars  # type: ignore[operator]
        train_start = 0 if anchored else test_start - train_bars  # type: ignore[operator]
        plan.append((train_start, test_start, test_start, test_start + test_bars))
    return plan


class _TradeFrom(Strategy):
    """Wraps a strategy so it only signals from `start` on: earlier bars just warm up its indicators."""

    def __init__(self, inner: Strategy, start: pd.Timestamp) -> None:  # noqa: D107 - no param resolution
        self.inner, self.start = inner, start
        self.name = inner.name  # type: ignore[misc]
        self.p = inner.p

    def warmup(self) -> int:
        return self.inner.warmup()

    def signals(self, bars: pd.DataFrame) -> Signals:
        sig = self.inner.signals(bars)
        live = pd.Series(bars.index >= self.start, index=bars.index)
        masked = {f: getattr(sig, f) & live for f in _BOOL_FIELDS if getattr(sig, f) is not None}
        return dataclasses.replace(sig, **masked)


def run_walkforward(bars: pd.DataFrame, strategy_name: str, space: dict[str, list],
                    config: BacktestConfig | None = None, *, n_windows: int = 5, train_bars: int | None = None,
                    test_bars: int | None = None, anchored: bool = False, objective: str = "sharpe",
                    method: str = "grid", n_samples: int = 200, seed: int = 0,
                    constraint: Callable[[dict[str, Any]], bool] | None = None, progress: Progress | None = None,
                    n_jobs: int | None = None) -> WalkForwardResult:
    """Optimise `space` on each training window (run_sweep), then trade the best parameters on the
    following test window; windows are laid out by `plan_windows`.

    Out of sample, the strategy sees up to `warmup()` bars before the test window so its indicators
    are valid, but only test-window bars can trigger trades or count. Positions still open at a
    window's end close at its last close. `progress(done, total)` counts combinations over all
    windows. Raises BacktestError when the data is too short, plus whatever run_sweep raises.
    """
    config = config or BacktestConfig()
    cls = get_strategy(strategy_name)
    plan = plan_windows(len(bars), n_windows, train_bars, test_bars, anchored)
    rows, curves, trade_frames, held = [], [], [], []
    equity_now = float(config.cash)
    for k, (tr0, tr1, te0, te1) in enumerate(plan):
        sweep = run_sweep(bars.iloc[tr0:tr1], strategy_name, space, config, method=method, n_samples=n_samples,
                          seed=seed, objective=objective, constraint=constraint, n_jobs=n_jobs,
                          progress=_window_progress(progress, k, len(plan)))
        strategy = cls(**sweep.best_params)
        start = bars.index[te0]
        history = bars.iloc[max(0, te0 - strategy.warmup()):te1]
        result = run_backtest(history, _TradeFrom(strategy, start), dataclasses.replace(config, cash=equity_now))
        curve = result.equity.loc[start:]
        oos = compute_stats(curve, result.trades, periods_per_year=config.periods_per_year, rf=config.rf)
        curves.append(curve)
        held.append((result.positions.loc[start:] != 0).any(axis=1))
        trade_frames.append(result.trades.assign(window=k + 1))
        rows.append({
            "window": k + 1, "train_start": bars.index[tr0], "train_end": bars.index[tr1 - 1],
            "test_start": start, "test_end": bars.index[te1 - 1], **sweep.best_params,
            "is_objective": sweep.best_value, "oos_objective": float(oos[objective]),
            "oos_return": float(oos["total_return"]), "oos_sharpe": float(oos["sharpe"]),
            "oos_trades": int(oos["n_trades"]), "oos_final_equity": float(curve.iloc[-1]),
        })
        equity_now = float(curve.iloc[-1])
    return _assemble(rows, curves, trade_frames, held, config, objective, anchored)


def _window_progress(progress: Progress | None, k: int, n: int) -> Progress | None:
    if progress is None:
        return None
    return lambda done, total: progress(k * total + done, n * total)


def _assemble(rows: list[dict[str, Any]], curves: list[pd.Series], trade_frames: list[pd.DataFrame],
              held: list[pd.Series], config: BacktestConfig, objective: str, anchored: bool) -> WalkForwardResult:
    equity = pd.concat(curves).rename("equity")
    frames = [t for t in trade_frames if not t.empty]
    trades = pd.concat(frames, ignore_index=True) if frames else empty_trades().assign(window=pd.Series(dtype="int64"))
    exposure = float(pd.concat(held).mean())
    stats = compute_stats(equity, trades, periods_per_year=config.periods_per_year, rf=config.rf, exposure=exposure)
    windows = pd.DataFrame(rows)
    is_mean = float(np.nanmean(windows["is_objective"])) if windows["is_objective"].notna().any() else math.nan
    oos_mean = float(np.nanmean(windows["oos_objective"])) if windows["oos_objective"].notna().any() else math.nan
    efficiency = oos_mean / is_mean if is_mean > 0 else math.nan
    return WalkForwardResult(windows=windows, equity=equity, trades=trades, stats=stats, efficiency=efficiency,
                             objective=objective, anchored=anchored)
