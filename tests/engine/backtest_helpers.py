"""Small builders shared by the backtest tests: bars from lists and a strategy with scripted signals."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from engine.strategies.base import Signals, Strategy


def make_bars(ohlc: Sequence[Sequence[float]], start: str = "2024-01-01") -> pd.DataFrame:
    """Daily bars (UTC, named ts) from (open, high, low, close) rows; volume 1,000."""
    rows = np.asarray(ohlc, dtype=float)
    index = pd.date_range(start, periods=len(rows), freq="D", tz="UTC", name="ts")
    bars = pd.DataFrame(rows, index=index, columns=["open", "high", "low", "close"])
    bars["adj_close"] = bars["close"]
    bars["volume"] = 1000.0
    return bars


def flags(index: pd.Index, bars_set: Sequence[int] = ()) -> pd.Series:
    out = pd.Series(False, index=index, dtype=bool)
    out.iloc[list(bars_set)] = True
    return out


class Scripted(Strategy):
    """A strategy whose signals are produced by a function of the bars (for hand-built tests)."""

    name = "scripted"

    def __init__(self, make: Callable[[pd.DataFrame], Signals]) -> None:
        super().__init__()
        self.make = make

    def signals(self, bars: pd.DataFrame) -> Signals:
        return self.make(bars)


def scripted(entries_long: Sequence[int] = (), exits_long: Sequence[int] = (),
             entries_short: Sequence[int] | None = None, exits_short: Sequence[int] | None = None,
             stop: dict[int, float] | None = None, target: dict[int, float] | None = None,
             trailing_pct: float | None = None, strength: float | None = None) -> Scripted:
    """Signals on the given bar positions; stop/target map a signal bar to a price level."""

    def make(bars: pd.DataFrame) -> Signals:
        idx = bars.index

        def levels(points: dict[int, float] | None) -> pd.Series | None:
            if points is None:
                return None
            out = pd.Series(np.nan, index=idx)
            for k, v in points.items():
                out.iloc[k] = v
            return out

        return Signals(
            entries_long=flags(idx, entries_long), exits_long=flags(idx, exits_long),
            entries_short=None if entries_short is None else flags(idx, entries_short),
            exits_short=None if exits_short is None else flags(idx, exits_short),
            stop_loss=levels(stop), take_profit=levels(target), trailing_pct=trailing_pct,
            strength=None if strength is None else pd.Series(strength, index=idx),
        )

    return Scripted(make)


def random_walk(n: int, seed: int, start: float = 100.0) -> pd.DataFrame:
    """Positive OHLC bars from a seeded random walk (open gaps included)."""
    rng = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.01, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, n))
    return make_bars(np.column_stack([open_, high, low, close]))
