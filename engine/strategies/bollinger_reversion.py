"""Bollinger mean reversion: buy when the close climbs back inside the lower band, exit at the middle."""

from __future__ import annotations

import pandas as pd

from engine.indicators import bollinger, crossover, crossunder
from engine.strategies.base import Param, Signals, Strategy
from engine.strategies.common import ALLOW_SHORT, RISK_PARAMS, build_signals, gap_strength, require_columns
from engine.strategies.registry import register


@register
class BollingerReversion(Strategy):
    name = "bollinger_reversion"
    title = "Bollinger mean reversion"
    description = (
        "Buys when the close crosses back up through the lower Bollinger band and exits when it crosses "
        "up through the middle band (or the upper band, if chosen). Shorts (optional) mirror this at the "
        "upper band. Strength is the distance from the middle band in half-band widths, capped at 1."
    )
    params = (
        Param("period", int, 20, 2, 200, 2, help="Bars in the moving average and standard deviation."),
        Param("nbdev", float, 2.0, 0.5, 4.0, 0.25, help="Band width in standard deviations."),
        Param("exit_at", str, "middle", choices=("middle", "upper"), help="Which band closes a long."),
        ALLOW_SHORT,
        *RISK_PARAMS,
    )

    def warmup(self) -> int:
        return self.p["period"] + 1

    def signals(self, bars: pd.DataFrame) -> Signals:
        require_columns(bars, ("close",), self.name)
        close = bars["close"]
        bands = bollinger(close, self.p["period"], self.p["nbdev"])
        long_exit_band = bands[self.p["exit_at"]]
        short_exit_band = bands["middle"] if self.p["exit_at"] == "middle" else bands["lower"]
        return build_signals(
            bars,
            self.p,
            entries_long=crossover(close, bands["lower"]),
            exits_long=crossover(close, long_exit_band),
            entries_short=crossunder(close, bands["upper"]),
            exits_short=crossunder(close, short_exit_band),
            strength=gap_strength(close - bands["middle"], bands["upper"] - bands["middle"]),
            extras={"BB upper": bands["upper"], "BB middle": bands["middle"], "BB lower": bands["lower"]},
        )
