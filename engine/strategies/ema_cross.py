"""Moving-average crossover on exponential moving averages (reacts faster than the SMA version)."""

from __future__ import annotations

import pandas as pd

from engine.indicators import ema
from engine.strategies.base import Param
from engine.strategies.common import ALLOW_SHORT, RISK_PARAMS
from engine.strategies.registry import register
from engine.strategies.sma_cross import SmaCross


@register
class EmaCross(SmaCross):
    name = "ema_cross"
    title = "EMA crossover"
    description = (
        "Buys when the fast exponential moving average of the close crosses above the slow one and sells "
        "when it crosses back below; optionally shorts the opposite cross. Strength ranks how sharply "
        "the averages crossed (the one-bar change of their gap) against the last 250 bars: 1 = sharpest."
    )
    params = (
        Param("fast", int, 12, 2, 100, 2, help="Bars in the fast EMA (span); must be below slow."),
        Param("slow", int, 26, 6, 298, 4, help="Bars in the slow EMA (span)."),
        ALLOW_SHORT,
        *RISK_PARAMS,
    )
    label = "EMA"

    def warmup(self) -> int:
        # EMAs keep a memory of their seed; give them a few slow periods to settle before trusting signals.
        return max(3 * self.p["slow"], 15)

    def average(self, close: pd.Series, period: int) -> pd.Series:
        return ema(close, period)
