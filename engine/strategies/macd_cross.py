"""MACD signal-line crossover: long when the MACD line crosses above its signal line."""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.errors import ParameterError
from engine.indicators import atr, crossover, crossunder, macd
from engine.strategies.base import Param, Signals, Strategy
from engine.strategies.common import ALLOW_SHORT, RISK_PARAMS, build_signals, gap_strength, require_columns
from engine.strategies.registry import register

ATR_PERIOD = 14


@register
class MacdCross(Strategy):
    name = "macd_cross"
    title = "MACD crossover"
    description = (
        "Buys when the MACD line (fast EMA minus slow EMA) crosses above its signal line and sells when it "
        "crosses back below; optionally shorts the opposite cross. Strength is the histogram in ATR(14) "
        "units, capped at 1."
    )
    params = (
        Param("fast", int, 12, 2, 100, 2, help="Fast EMA span in bars; must be below slow."),
        Param("slow", int, 26, 6, 298, 4, help="Slow EMA span in bars."),
        Param("signal", int, 9, 2, 50, 1, help="Signal-line EMA span in bars (applied to the MACD line)."),
        ALLOW_SHORT,
        *RISK_PARAMS,
    )

    def validate(self, p: dict[str, Any]) -> None:
        if p["fast"] >= p["slow"]:
            raise ParameterError(f"fast ({p['fast']}) must be smaller than slow ({p['slow']}).")

    def warmup(self) -> int:
        return max(3 * self.p["slow"] + self.p["signal"], ATR_PERIOD + 1)

    def signals(self, bars: pd.DataFrame) -> Signals:
        require_columns(bars, ("high", "low", "close"), self.name)
        close = bars["close"]
        lines = macd(close, self.p["fast"], self.p["slow"], self.p["signal"])
        up, down = crossover(lines["macd"], lines["signal"]), crossunder(lines["macd"], lines["signal"])
        scale = atr(bars["high"], bars["low"], close, ATR_PERIOD)
        return build_signals(
            bars,
            self.p,
            entries_long=up,
            exits_long=down,
            entries_short=down,
            exits_short=up,
            strength=gap_strength(lines["hist"], scale),
            oscillators={"MACD": lines["macd"], "MACD signal": lines["signal"], "MACD hist": lines["hist"]},
        )
