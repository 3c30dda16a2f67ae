"""Donchian breakout: buy a close above the previous N-bar high, exit below the previous M-bar low."""

from __future__ import annotations

import pandas as pd

from engine.indicators import atr, donchian
from engine.strategies.base import Param, Signals, Strategy
from engine.strategies.common import ALLOW_SHORT, RISK_PARAMS, build_signals, gap_strength, require_columns
from engine.strategies.registry import register

ATR_PERIOD = 14


@register
class DonchianBreakout(Strategy):
    name = "donchian_breakout"
    title = "Donchian breakout"
    description = (
        "Buys when the close rises above the highest high of the previous `period` bars (the channel is "
        "shifted one bar, so a bar never breaks out of a channel that includes itself) and exits when the "
        "close falls below the lowest low of the previous `exit_period` bars. Shorts (optional) mirror "
        "this. Strength is the breakout distance in ATR(14) units, capped at 1."
    )
    params = (
        Param("period", int, 20, 5, 250, 5, help="Entry channel length in bars (previous bars only)."),
        Param("exit_period", int, 10, 5, 250, 5, help="Exit channel length in bars (previous bars only)."),
        ALLOW_SHORT,
        *RISK_PARAMS,
    )

    def warmup(self) -> int:
        return max(self.p["period"], self.p["exit_period"], ATR_PERIOD) + 1

    def signals(self, bars: pd.DataFrame) -> Signals:
        require_columns(bars, ("high", "low", "close"), self.name)
        high, low, close = bars["high"], bars["low"], bars["close"]
        entry = donchian(high, low, self.p["period"]).shift(1)
        exit_ = donchian(high, low, self.p["exit_period"]).shift(1)
        above, below = close > entry["upper"], close < entry["lower"]
        breakout = (close - entry["upper"]).where(above, 0.0) + (entry["lower"] - close).where(below, 0.0)
        return build_signals(
            bars,
            self.p,
            entries_long=above,
            exits_long=close < exit_["lower"],
            entries_short=below,
            exits_short=close > exit_["upper"],
            strength=gap_strength(breakout, atr(high, low, close, ATR_PERIOD)),
            extras={
                f"High {self.p['period']} (prev)": entry["upper"],
                f"Low {self.p['period']} (prev)": entry["lower"],
            },
        )
