"""Buy and hold: one entry on the first bar with a price, never an exit (the benchmark for the others)."""

from __future__ import annotations

import pandas as pd

from engine.strategies.base import Signals, Strategy
from engine.strategies.common import build_signals, require_columns
from engine.strategies.registry import register


@register
class BuyHold(Strategy):
    name = "buy_hold"
    title = "Buy and hold"
    description = "Buys on the first bar that has a close price and holds to the end: the benchmark to beat."
    params = ()

    def signals(self, bars: pd.DataFrame) -> Signals:
        require_columns(bars, ("close",), self.name)
        close = bars["close"]
        entries = pd.Series(False, index=bars.index)
        first = close.first_valid_index()
        if first is not None:
            entries[first] = True
        return build_signals(
            bars,
            self.p,
            entries_long=entries,
            exits_long=pd.Series(False, index=bars.index),
            strength=entries.astype(float),
        )
