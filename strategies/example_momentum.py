"""Example plugin: rate-of-change momentum. Copy this file to start your own strategy.

Every `*.py` file in the strategies folder is imported when Quantdesk starts (or when you press
"Reload strategies"); each Strategy subclass with a `name` becomes selectable in the app. A file that
fails to import is reported on screen and skipped, so experiment freely.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.errors import ParameterError
from engine.strategies import RISK_PARAMS, Param, Signals, Strategy, build_signals, cross_level


class RocMomentum(Strategy):
    name = "example_momentum"  # unique id: lowercase letters, digits, underscores
    title = "ROC momentum (example plugin)"
    description = (
        "Buys when the rate of change over `period` bars rises through `entry_roc` and sells when it "
        "falls back through `exit_roc`. Strength is the rate of change divided by 2 x entry_roc, capped at 1."
    )
    params = (
        Param("period", int, 20, 5, 250, 5, help="Look-back in bars for the rate of change."),
        Param("entry_roc", float, 0.05, 0.0, 1.0, 0.01, help="Buy when ROC rises through this (0.05 = 5 %)."),
        Param("exit_roc", float, 0.0, -1.0, 1.0, 0.01, help="Sell when ROC falls through this."),
        *RISK_PARAMS,  # optional stop_loss_pct / take_profit_pct / trailing_pct, 0 = off
    )

    def validate(self, p: dict[str, Any]) -> None:
        if p["exit_roc"] > p["entry_roc"]:
            raise ParameterError(f"exit_roc ({p['exit_roc']}) must not exceed entry_roc ({p['entry_roc']}).")

    def warmup(self) -> int:
        return self.p["period"] + 1

    def signals(self, bars: pd.DataFrame) -> Signals:
        close = bars["close"]
        roc = close / close.shift(self.p["period"]) - 1.0  # uses bars <= t only: no look-ahead
        return build_signals(  # turns NaN warm-up into False and adds stop/target levels
            bars,
            self.p,
            entries_long=cross_level(roc, self.p["entry_roc"], up=True),
            exits_long=cross_level(roc, self.p["exit_roc"], up=False),
            strength=roc / (2 * self.p["entry_roc"]) if self.p["entry_roc"] > 0 else None,
            oscillators={f"ROC {self.p['period']}": roc},
        )
