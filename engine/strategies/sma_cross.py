"""Moving-average crossover on simple moving averages: long when the fast SMA crosses above the slow one."""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.errors import ParameterError
from engine.indicators import crossover, crossunder, sma
from engine.strategies.base import Param, Signals, Strategy
from engine.strategies.common import (
    ALLOW_SHORT,
    RISK_PARAMS,
    build_signals,
    gap_change,
    rank_strength,
    require_columns,
)
from engine.strategies.registry import register


@register
class SmaCross(Strategy):
    name = "sma_cross"
    title = "SMA crossover"
    description = (
        "Buys when the fast simple moving average of the close crosses above the slow one and sells when "
        "it crosses back below; optionally shorts the opposite cross. Strength ranks how sharply the "
        "averages crossed (the one-bar change of their gap) against the last 250 bars: 1 = sharpest."
    )
    params = (
        Param("fast", int, 10, 2, 100, 2, help="Bars in the fast moving average; must be below slow."),
        Param("slow", int, 30, 5, 300, 5, help="Bars in the slow moving average."),
        ALLOW_SHORT,
        *RISK_PARAMS,
    )
    label = "SMA"

    def validate(self, p: dict[str, Any]) -> None:
        if p["fast"] >= p["slow"]:
            raise ParameterError(f"fast ({p['fast']}) must be smaller than slow ({p['slow']}).")

    def warmup(self) -> int:
        return self.p["slow"] + 1

    def average(self, close: pd.Series, period: int) -> pd.Series:
        return sma(close, period)

    def signals(self, bars: pd.DataFrame) -> Signals:
        require_columns(bars, ("close",), self.name)
        close = bars["close"]
        fast, slow = self.average(close, self.p["fast"]), self.average(close, self.p["slow"])
        up, down = crossover(fast, slow), crossunder(fast, slow)
        return build_signals(
            bars,
            self.p,
            entries_long=up,
            exits_long=down,
            entries_short=down,
            exits_short=up,
            strength=rank_strength(gap_change(fast, slow)),
            extras={f"{self.label} {self.p['fast']}": fast, f"{self.label} {self.p['slow']}": slow},
        )
