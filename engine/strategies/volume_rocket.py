"""Volume rocket: a VWMA crossover confirmed by an up-trending Supertrend and a volume surge."""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.errors import DataError, ParameterError
from engine.indicators import crossover, crossunder, supertrend, vwma
from engine.strategies.base import Param, Signals, Strategy
from engine.strategies.common import ALLOW_SHORT, RISK_PARAMS, build_signals, gap_strength, require_columns
from engine.strategies.registry import register

FULL_STRENGTH_SURGE = 3.0  # volume at 3x its recent average gives strength 1


@register
class VolumeRocket(Strategy):
    name = "volume_rocket"
    title = "Volume rocket"
    description = (
        "Buys when the fast volume-weighted moving average crosses above the slow one while the "
        "Supertrend points up and the bar's volume exceeds vol_mult times the average volume of the "
        "previous vol_period bars. Exits when the VWMAs cross back down or the Supertrend flips down. "
        "Shorts (optional) mirror this. Strength is the volume surge: 3x the average volume = 1."
    )
    params = (
        Param("fast", int, 10, 2, 100, 2, help="Bars in the fast VWMA; must be below slow."),
        Param("slow", int, 30, 5, 300, 5, help="Bars in the slow VWMA."),
        Param("st_period", int, 10, 2, 100, 1, help="Supertrend ATR period in bars."),
        Param("st_multiplier", float, 3.0, 0.5, 10.0, 0.5, help="Supertrend band width in ATRs."),
        Param("vol_period", int, 20, 5, 200, 5, help="Bars in the average volume a surge is compared with."),
        Param("vol_mult", float, 1.0, 0.5, 10.0, 0.25, help="A surge is volume above this x the average."),
        ALLOW_SHORT,
        *RISK_PARAMS,
    )

    def validate(self, p: dict[str, Any]) -> None:
        if p["fast"] >= p["slow"]:
            raise ParameterError(f"fast ({p['fast']}) must be smaller than slow ({p['slow']}).")

    def warmup(self) -> int:
        return max(self.p["slow"], self.p["st_period"], self.p["vol_period"]) + 1

    def signals(self, bars: pd.DataFrame) -> Signals:
        require_columns(bars, ("high", "low", "close", "volume"), self.name)
        close, volume = bars["close"], bars["volume"]
        if not (volume.fillna(0.0) > 0).any():
            raise DataError(
                "volume_rocket needs traded volume but these bars have none (indices often report 0); "
                "pick a stock or crypto symbol."
            )
        fast, slow = vwma(close, volume, self.p["fast"]), vwma(close, volume, self.p["slow"])
        trend = supertrend(bars["high"], bars["low"], close, self.p["st_period"], self.p["st_multiplier"])
        direction = trend["direction"]
        # The average of the *previous* bars, so a spike is measured against history, not against itself.
        avg_volume = volume.rolling(self.p["vol_period"]).mean().shift(1)
        surge = volume / avg_volume.where(avg_volume > 0)
        loud = surge > self.p["vol_mult"]
        up, down = crossover(fast, slow), crossunder(fast, slow)
        flip_down = (direction == -1) & (direction.shift(1) == 1)
        flip_up = (direction == 1) & (direction.shift(1) == -1)
        return build_signals(
            bars,
            self.p,
            entries_long=up & (direction == 1) & loud,
            exits_long=down | flip_down,
            entries_short=down & (direction == -1) & loud,
            exits_short=up | flip_up,
            strength=gap_strength(surge, pd.Series(FULL_STRENGTH_SURGE, index=bars.index)),
            extras={
                f"VWMA {self.p['fast']}": fast,
                f"VWMA {self.p['slow']}": slow,
                "Supertrend": trend["supertrend"],
            },
        )
