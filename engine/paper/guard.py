"""Risk guard for a deployment: engine.risk pre-trade checks and the circuit breaker around paper entries.

Deployment `risk` settings: {"limits": RiskLimits fields, "breaker": BreakerRules fields}. Fills
happen at bar prices of closed session bars, so the trading-hours limit is not applied here (the
tick itself only runs on closed bars of the exchange calendar). Exits are never refused.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from engine.backtest.kernel import Stepper


class RiskGuard:
    """Holds the limits and breaker state while a tick steps bars; `state()` is saved with the book."""

    def __init__(self, risk: dict[str, Any], saved: dict[str, Any] | None, symbols: list[str]) -> None:
        from engine.risk import BreakerRules, BreakerState, RiskLimits, new_breaker

        limits = dict(risk.get("limits") or {})
        limits["trading_hours_only"] = False
        self.limits = RiskLimits.from_dict(limits)
        rules = risk.get("breaker")
        self.breaker = None
        if rules:
            self.breaker = BreakerState.from_dict(saved) if saved else new_breaker(BreakerRules(**rules))
        self.symbols = symbols
        self.stepper: Stepper | None = None
        self.now = pd.Timestamp(0, tz="UTC")

    @property
    def per_bar(self) -> bool:
        """True when the breaker must see equity after every bar (so a trip blocks the next entry)."""
        return self.breaker is not None

    def state(self) -> dict[str, Any] | None:
        return None if self.breaker is None else self.breaker.as_dict()

    def gate(self, s: int, long: bool, qty: float, price: float, equity: float) -> str | None:
        """Reason to refuse an entry of `qty` at `price`, or None (the Stepper's EntryGate)."""
        from engine.risk import Holding, OrderIntent, PortfolioState, check_order

        assert self.stepper is not None
        book = self.stepper.book
        holdings = tuple(Holding(self.symbols[j], q, book.ref_price(j, self.bar, self.stepper.md.open))
                         for j, q in enumerate(book.qty) if q)
        order = OrderIntent(self.symbols[s], "buy" if long else "sell", qty, price,
                            costs=book.cost_fn("buy" if long else "sell", qty, price))
        reasons = check_order(order, PortfolioState(book.cash, holdings), self.limits, self.now, self.breaker)
        return "; ".join(reasons) or None

    def observe(self, now: pd.Timestamp, equity: float, closed_pnl: list[float]) -> None:
        """Feed the breaker the equity after a bar and the P&L of trades closed on it."""
        from engine.risk import update

        if self.breaker is not None:
            self.breaker = update(self.breaker, equity, now, closed_pnl or None)
