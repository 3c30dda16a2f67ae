"""Backtest settings: one frozen, JSON-friendly object validated when it is built."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from engine.costs import CostModel, make_cost_model
from engine.errors import BacktestError
from engine.execution import SIZING_MODES

FILL_MODES = ("next_open", "close")


@dataclass(frozen=True)
class BacktestConfig:
    """How a backtest trades.

    cash: starting cash (account currency). costs: a cost spec for `engine.costs.make_cost_model`
    (0.001 = 0.1 % per order, "flat:20", "nse_delivery", ...). slippage_bps: basis points against us
    on every market and stop fill (targets are limit orders and fill at their price). fill:
    "next_open" fills a signal from bar t's close at bar t+1's open; "close" fills at bar t's close.
    sizing/size_value: see `engine.execution.size_order` (default 95 % of equity per position, which
    leaves room for costs). max_positions: open positions allowed at once in a portfolio run (None =
    no limit). periods_per_year: 252 equities/indices, 365 crypto. rf: annual risk-free rate (decimal).
    """

    cash: float = 100_000.0
    costs: str | float | CostModel = 0.0  # stored as its spec string
    slippage_bps: float = 0.0
    fill: str = "next_open"
    sizing: str = "pct_equity"
    size_value: float = 95.0
    allow_short: bool = False
    lot_size: int = 1
    periods_per_year: int = 252
    max_positions: int | None = None
    rf: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cash) and self.cash > 0):
            raise BacktestError(f"starting cash must be a positive amount, got {self.cash}")
        if self.fill not in FILL_MODES:
            raise BacktestError(f"fill must be one of {list(FILL_MODES)}, got {self.fill!r}")
        if self.sizing not in SIZING_MODES:
            raise BacktestError(f"sizing must be one of {list(SIZING_MODES)}, got {self.sizing!r}")
        if not self.size_value > 0:
            raise BacktestError(f"size_value must be positive, got {self.size_value}")
        if self.sizing in ("pct_equity", "risk_pct") and self.size_value > 100:
            raise BacktestError(f"{self.sizing} size_value is a percent of equity (0-100], got {self.size_value}")
        if not 0 <= self.slippage_bps < 1000:
            raise BacktestError(f"slippage_bps must be between 0 and 1000, got {self.slippage_bps}")
        if int(self.lot_size) != self.lot_size or self.lot_size < 1:
            raise BacktestError(f"lot_size must be a whole number >= 1, got {self.lot_size}")
        if self.max_positions is not None and self.max_positions < 1:
            raise BacktestError(f"max_positions must be >= 1 or None, got {self.max_positions}")
        if self.periods_per_year <= 0:
            raise BacktestError(f"periods_per_year must be positive (252 or 365), got {self.periods_per_year}")
        model = make_cost_model(self.costs)
        if make_cost_model(model.spec) != model:
            raise BacktestError(
                f"cost model {model!r} cannot be saved as a spec; use a spec string such as 'nse_delivery'"
            )
        object.__setattr__(self, "costs", model.spec)  # normalised, so saved configs rebuild the same model

    def cost_model(self) -> CostModel:
        """The cost model built from `costs`; raises BacktestError for an unknown spec."""
        return make_cost_model(self.costs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BacktestConfig:
        """Rebuild from `to_dict()` output; unknown keys raise BacktestError."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise BacktestError(f"unknown backtest settings {unknown}; known: {sorted(known)}")
        return cls(**data)
