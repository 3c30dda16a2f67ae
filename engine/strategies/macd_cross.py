"""MACD signal-line crossover: long when the MACD line crosses above its signal line."""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.errors import ParameterError
from engine.indicators import crossover, crossunder, macd
from engine.strategies.base import Param, Signals, Strategy
from engine.strategies.common import ALLOW_SHORT, RISK_PARAMS, build_signals, rank_strength, require_columns
from engine.strategies.registry import register


@register
class MacdCross(Strategy):
    name = "macd_cross"
    title = "MACD crossover"
    description = (
        "Buys when the MACD line (fast EMA minus slow EMA) crosses above its signal line and sells when it "
        "crosses back below; optionally shorts the opposite cross. Strength ranks how sharply the lines "
        "crossed (the one-bar change of the histogram) against the last 250 bars: 1 = sharpest."
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
        return 3 * self.p["slow"] + self.p["signal"]

    def signals(self, bars: pd.DataFrame) -> Signals:
        require_columns(bars, ("close",), self.name)
        lines = macd(bars["close"], self.p["fast"], self.p["slow"], self.p["signal"])
        up, down = crossover(lines["macd"], lines["signal"]), crossunder(lines["macd"], lines["signal"])
        return build_signals(
            bars,
            self.p,
            entries_long=up,
            exits_long=down,
            entries_short=down,
            exits_short=up,
            strength=rank_strength(lines["hist"].diff()),
            oscillators={"MACD": lines["macd"], "MACD signal": lines["signal"], "MACD hist": lines["hist"]},
        )
