"""RSI mean reversion: buy when RSI climbs back up through the oversold level, exit at overbought."""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.errors import ParameterError
from engine.indicators import rsi
from engine.strategies.base import Param, Signals, Strategy
from engine.strategies.common import ALLOW_SHORT, RISK_PARAMS, build_signals, cross_level, require_columns
from engine.strategies.registry import register


@register
class RsiReversion(Strategy):
    name = "rsi_reversion"
    title = "RSI mean reversion"
    description = (
        "Buys when RSI crosses up through the lower (oversold) level and exits when it crosses up through "
        "the upper (overbought) level. With shorts allowed it also sells short when RSI crosses down "
        "through the upper level and covers when it crosses down through the lower one. Strength is how "
        "far RSI was from 50 on the bar before the signal (0 at 50, 1 at 0 or 100)."
    )
    params = (
        Param("period", int, 14, 2, 100, 1, help="RSI lookback in bars (Wilder smoothing)."),
        Param("lower", float, 30.0, 5.0, 50.0, 5.0, help="Oversold level: a cross up through it buys."),
        Param("upper", float, 70.0, 50.0, 95.0, 5.0, help="Overbought level: a cross up through it exits."),
        ALLOW_SHORT,
        *RISK_PARAMS,
    )

    def validate(self, p: dict[str, Any]) -> None:
        if p["lower"] >= p["upper"]:
            raise ParameterError(f"lower ({p['lower']}) must be smaller than upper ({p['upper']}).")

    def warmup(self) -> int:
        # Wilder smoothing remembers its seed; a few periods let RSI settle.
        return 3 * self.p["period"] + 1

    def signals(self, bars: pd.DataFrame) -> Signals:
        require_columns(bars, ("close",), self.name)
        line = rsi(bars["close"], self.p["period"])
        lower, upper = self.p["lower"], self.p["upper"]
        return build_signals(
            bars,
            self.p,
            entries_long=cross_level(line, lower, up=True),
            exits_long=cross_level(line, upper, up=True),
            entries_short=cross_level(line, upper, up=False),
            exits_short=cross_level(line, lower, up=False),
            strength=(line.shift(1) - 50.0).abs() / 50.0,
            oscillators={f"RSI {self.p['period']}": line},
        )
