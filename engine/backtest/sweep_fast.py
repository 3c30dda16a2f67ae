"""Sweep fast path for moving-average crossovers: cached averages, numpy signals, the shared bar loop.

A sweep of an SMA/EMA crossover runs thousands of near-identical backtests on the same bars. This
path removes the per-run pandas work while keeping the execution identical:

* the market lists (open/high/low/close) are built once per worker, not once per run;
* each moving-average period is computed once per worker by the strategy's own `average()`;
* entries/exits/stop/target levels are derived with numpy exactly as `SmaCross.signals` +
  `build_signals` do (crossover: above now and at-or-below the bar before; NaN never crosses);
* fills, costs, stops and bookkeeping run through the same `engine.backtest.kernel.run_loop` that
  `run_backtest` uses, and the equity curve is assembled the same way.

It applies only to strategies whose `signals()` is `SmaCross.signals` (SMA, EMA and subclasses that
change just `average()`) on bars without missing prices. `engine.backtest.sweep` verifies it against
`strategy.signals()` before use and falls back to the general path on any difference.
Strength is left out: with one symbol there is never more than one entry to rank.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine.backtest.config import BacktestConfig
from engine.backtest.kernel import MarketData, SignalData, run_loop
from engine.strategies.base import Signals, Strategy
from engine.strategies.sma_cross import SmaCross

PRICE_COLUMNS = ("open", "high", "low", "close")
BOOL_FIELDS = ("entries_long", "exits_long", "entries_short", "exits_short")


def supports_fast_path(strategy_cls: type[Strategy], bars: pd.DataFrame) -> bool:
    """True when `strategy_cls` is an SMA/EMA-style crossover and `bars` have every OHLC price."""
    if not (isinstance(strategy_cls, type) and issubclass(strategy_cls, SmaCross)):
        return False
    if strategy_cls.signals is not SmaCross.signals:
        return False
    if any(c not in bars.columns for c in PRICE_COLUMNS) or len(bars) < 2:
        return False
    prices = bars[list(PRICE_COLUMNS)].to_numpy(dtype=float)
    return bool(np.isfinite(prices).all())


class CrossoverFastPath:
    """Per-worker state for fast crossover runs on one set of bars with one config."""

    def __init__(self, bars: pd.DataFrame, config: BacktestConfig) -> None:
        self.bars, self.config, self.n = bars, config, len(bars)
        self.close_series = bars["close"]
        self.close = bars["close"].to_numpy(dtype=float)
        cols = {c: bars[c].to_numpy(dtype=float).tolist() for c in PRICE_COLUMNS}
        self.market = MarketData(
            open=[cols["open"]], high=[cols["high"]], low=[cols["low"]], close=[cols["close"]],
            close_ff=[cols["close"]], valid=[[True] * self.n],
        )
        self.cost_fn = config.cost_model().cost
        self._nan_list = [math.nan] * self.n
        self._false = np.zeros(self.n, dtype=bool)
        self._false_list = [False] * self.n  # shared by every long-only run (never mutated by the loop)
        self._averages: dict[tuple[object, int], np.ndarray] = {}

    def average(self, strategy: Strategy, period: int) -> np.ndarray:
        """The strategy's moving average of the close for `period`, computed once per (method, period)."""
        key = (type(strategy).average, int(period))
        if key not in self._averages:
            values = strategy.average(self.close_series, int(period))  # type: ignore[attr-defined]
            self._averages[key] = values.to_numpy(dtype=float, na_value=np.nan)
        return self._averages[key]

    def signal_arrays(self, strategy: Strategy) -> dict[str, np.ndarray | float | None]:
        """Entries/exits (bool), stop/target levels (float, NaN = none) and trailing_pct for `strategy`."""
        p = strategy.p
        fast, slow = self.average(strategy, p["fast"]), self.average(strategy, p["slow"])
        up = _cross(fast, slow, above=True)
        down = _cross(fast, slow, above=False)
        shorts = bool(p.get("allow_short", False))
        short_in, short_out = (down, up) if shorts else (self._false, self._false)
        trailing = float(p.get("trailing_pct", 0.0))
        return {
            "entries_long": up, "exits_long": down, "entries_short": short_in, "exits_short": short_out,
            "stop": self._levels(up, down if shorts else None, float(p.get("stop_loss_pct", 0.0)), -1.0),
            "target": self._levels(up, down if shorts else None, float(p.get("take_profit_pct", 0.0)), 1.0),
            "trailing_pct": trailing if trailing > 0 else None,
        }

    def _levels(self, longs: np.ndarray, shorts: np.ndarray | None, pct: float, sign: float) -> np.ndarray | None:
        """Stop (sign -1) or target (+1) levels on entry bars, as `engine.strategies.common.stop_levels`."""
        if pct <= 0:
            return None
        level = np.full(self.n, np.nan)
        level[longs] = self.close[longs] * (1.0 + sign * pct)
        if shorts is not None:
            only_short = shorts & ~longs
            level[only_short] = self.close[only_short] * (1.0 - sign * pct)
        return level

    def run(self, strategy: Strategy) -> tuple[np.ndarray, np.ndarray]:
        """(equity per bar, net pnl per closed trade) of one backtest of `strategy`, as run_backtest."""
        arrays = self.signal_arrays(strategy)
        flags = {k: arrays[k] for k in BOOL_FIELDS}
        any_flag = flags["entries_long"] | flags["exits_long"] | flags["entries_short"] | flags["exits_short"]
        sg = SignalData(
            **{k: [self._false_list if v is self._false else v.tolist()] for k, v in flags.items()},  # type: ignore[union-attr]
            stop=[self._as_list(arrays["stop"])],
            target=[self._as_list(arrays["target"])],
            strength=[self._nan_list],
            trailing_pct=[arrays["trailing_pct"]],  # type: ignore[list-item]
            flagged={i: [0] for i in np.flatnonzero(any_flag).tolist()},
        )
        out = run_loop(self.market, sg, self.config, self.cost_fn, self.n)
        cash = np.full(self.n, np.nan)
        qty = np.full(self.n, np.nan)
        cash[0], qty[0] = self.config.cash, 0.0
        for i, c, q in out.snapshots:
            cash[i], qty[i] = c, q[0]
        equity = _ffill(cash) + _ffill(qty) * self.close
        pnl = np.fromiter((t[7] for t in out.trades), dtype=float, count=len(out.trades))
        return equity, pnl

    def _as_list(self, values: np.ndarray | float | None) -> list[float]:
        return self._nan_list if values is None else values.tolist()  # type: ignore[union-attr]


def signals_match(fast: dict[str, np.ndarray | float | None], sig: Signals) -> bool:
    """True when the fast arrays equal a strategy's own Signals (bools exactly, levels to 1e-12)."""
    for name in BOOL_FIELDS:
        series = getattr(sig, name)
        theirs = np.zeros(len(sig.entries_long), dtype=bool) if series is None else series.to_numpy(dtype=bool)
        if not np.array_equal(theirs, fast[name]):  # type: ignore[arg-type]
            return False
    for name, field in (("stop", "stop_loss"), ("target", "take_profit")):
        ours, series = fast[name], getattr(sig, field)
        if ours is None or series is None:
            if ours is not None or (series is not None and series.notna().any()):
                return False
            continue
        theirs = series.to_numpy(dtype=float, na_value=np.nan)
        if not np.allclose(theirs, ours, rtol=1e-12, atol=0.0, equal_nan=True):  # type: ignore[arg-type]
            return False
    return (fast["trailing_pct"] or None) == (sig.trailing_pct or None)


def _cross(a: np.ndarray, b: np.ndarray, above: bool) -> np.ndarray:
    """Bars where `a` crosses `b` (above: now a > b, before a <= b); NaN comparisons are False."""
    out = np.zeros(a.shape[0], dtype=bool)
    if above:
        out[1:] = (a[1:] > b[1:]) & (a[:-1] <= b[:-1])
    else:
        out[1:] = (a[1:] < b[1:]) & (a[:-1] >= b[:-1])
    return out


def _ffill(values: np.ndarray) -> np.ndarray:
    idx = np.where(np.isnan(values), 0, np.arange(len(values)))
    np.maximum.accumulate(idx, out=idx)
    return values[idx]
