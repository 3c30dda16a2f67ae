"""Pre-trade risk checks: position count, position value, sector exposure, cash and trading hours.

`check_order` is pure: it gets the order, a snapshot of the portfolio, the limits and the current
time, and returns the reasons to refuse (an empty list means the order may go). Only the part of an
order that opens or adds to a position is limited; an order that only reduces or closes a position
is checked against trading hours alone, so exits are never blocked by exposure limits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.data.instruments import instrument_for
from engine.errors import DataError, ParameterError, RiskRejected
from engine.money import format_money
from engine.risk._records import from_stored

if TYPE_CHECKING:
    from engine.risk.breaker import BreakerState

UNCLASSIFIED = "Unclassified"


@dataclass(frozen=True)
class RiskLimits:
    """Limits for new exposure; None switches a limit off.

    `max_position_value` is in currency (|qty| × price after the order); `max_sector_exposure_pct` is
    percent of equity (gross value of the sector after the order); `min_cash_buffer` is the currency
    that must stay in cash after a buy; `trading_hours_only` refuses orders outside the exchange session.
    """

    max_open_positions: int | None = None
    max_position_value: float | None = None
    max_sector_exposure_pct: float | None = None
    min_cash_buffer: float = 0.0
    trading_hours_only: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskLimits:
        """Limits from a stored dict; unknown keys raise ParameterError naming the known ones."""
        return from_stored(cls, data, "risk limit", "limits")


@dataclass(frozen=True)
class OrderIntent:
    """An order about to be placed: `side` "buy"/"sell", `qty` shares (> 0), `price` expected fill price.

    `costs` are the expected charges in currency (counted against cash); `sector` overrides the
    instrument table's sector.
    """

    symbol: str
    side: str
    qty: float
    price: float
    costs: float = 0.0
    sector: str | None = None


@dataclass(frozen=True)
class Holding:
    """An open position: signed `qty` (negative = short) marked at `price`; `sector` overrides the table."""

    symbol: str
    qty: float
    price: float
    sector: str | None = None

    @property
    def value(self) -> float:
        return self.qty * self.price


@dataclass(frozen=True)
class PortfolioState:
    """Cash plus open holdings; equity = cash + Σ qty × price (short proceeds sit in cash)."""

    cash: float
    holdings: tuple[Holding, ...] = field(default_factory=tuple)
    currency: str = "INR"

    @property
    def equity(self) -> float:
        return self.cash + sum(h.value for h in self.holdings)

    def qty_of(self, symbol: str) -> float:
        return sum(h.qty for h in self.holdings if h.symbol == symbol)


def sector_of(symbol: str, override: str | None = None) -> str:
    """The sector used for exposure limits: the override, else the instrument table's, else "Unclassified"."""
    if override:
        return override
    try:
        return instrument_for(symbol).sector or UNCLASSIFIED
    except DataError:
        return UNCLASSIFIED


def is_trading_hours(symbol: str, now: pd.Timestamp) -> bool:
    """True if `now` (tz-aware; naive = UTC) lies inside a regular session of `symbol`'s exchange."""
    from engine.data.calendars import is_session, session_close_utc, session_open_utc

    now = _utc(now)
    local_day = now.tz_convert(instrument_for(symbol).timezone).tz_localize(None).normalize()
    if not is_session(symbol, local_day):
        return False
    return session_open_utc(symbol, local_day) <= now < session_close_utc(symbol, local_day)


def _utc(now: pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(now)
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")


def _check_intent(order: OrderIntent) -> None:
    if order.side not in ("buy", "sell"):
        raise ParameterError(f"order side must be 'buy' or 'sell', got {order.side!r}")
    for name in ("qty", "price"):
        value = getattr(order, name)
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ParameterError(f"order {name} must be a positive number, got {value!r}")


def check_order(order: OrderIntent, portfolio: PortfolioState, limits: RiskLimits, now: pd.Timestamp,
                breaker: BreakerState | None = None) -> list[str]:
    """Reasons to refuse `order` (one sentence each), or [] if it passes every limit.

    Checks trading hours (exchange calendar), then — for the part that opens or adds exposure —
    the circuit breaker (when given), max open positions, max position value, max sector exposure
    and enough cash. Raises ParameterError for a malformed order (bad side, non-positive qty/price).
    """
    _check_intent(order)
    reasons: list[str] = []
    if limits.trading_hours_only and not is_trading_hours(order.symbol, now):
        reasons.append(f"{order.symbol}'s market is closed at {_utc(now):%Y-%m-%d %H:%M} UTC; "
                       "orders are only placed during the exchange session")
    held = portfolio.qty_of(order.symbol)
    after = held + (order.qty if order.side == "buy" else -order.qty)
    adds = abs(after) > abs(held) or (held != 0 and after * held < 0)
    if not adds:
        return reasons
    if breaker is not None:
        from engine.risk.breaker import allows_entry

        if not allows_entry(breaker):
            reasons.append(f"the circuit breaker is tripped ({breaker.reason}); reset it to allow new entries")
    reasons += _limit_reasons(order, portfolio, limits, held, after)
    return reasons


def _limit_reasons(order: OrderIntent, portfolio: PortfolioState, limits: RiskLimits,
                   held: float, after: float) -> list[str]:
    money = lambda v: format_money(v, portfolio.currency)  # noqa: E731
    reasons: list[str] = []
    open_symbols = {h.symbol for h in portfolio.holdings if h.qty != 0}
    if limits.max_open_positions is not None and held == 0 and order.symbol not in open_symbols \
            and len(open_symbols) + 1 > limits.max_open_positions:
        reasons.append(f"{len(open_symbols)} positions are open and the limit is {limits.max_open_positions}; "
                       "close one first or raise max open positions")
    new_value = abs(after) * order.price
    if limits.max_position_value is not None and new_value > limits.max_position_value:
        reasons.append(f"{order.symbol} would be worth {money(new_value)}, above the max position value "
                       f"{money(limits.max_position_value)}; reduce the quantity")
    if limits.max_sector_exposure_pct is not None:
        reasons += _sector_reason(order, portfolio, limits.max_sector_exposure_pct, new_value)
    if order.side == "buy":
        spend = max(after, 0.0) - max(held, 0.0)
        left = portfolio.cash - spend * order.price - order.costs
    else:
        left = portfolio.cash - order.costs
    if left < limits.min_cash_buffer:
        reasons.append(f"not enough cash: {money(portfolio.cash)} available, the order needs "
                       f"{money(portfolio.cash - left)} and {money(limits.min_cash_buffer)} must stay in cash")
    return reasons


def _sector_reason(order: OrderIntent, portfolio: PortfolioState, max_pct: float, new_value: float) -> list[str]:
    sector = sector_of(order.symbol, order.sector)
    others = sum(abs(h.value) for h in portfolio.holdings
                 if h.symbol != order.symbol and sector_of(h.symbol, h.sector) == sector)
    equity = portfolio.equity
    if equity <= 0:
        return [f"equity is {equity:,.2f}, so no new exposure is allowed"]
    pct = (others + new_value) / equity * 100.0
    if pct > max_pct:
        return [f"{sector} exposure would be {pct:.1f}% of equity, above the {max_pct:g}% limit; "
                "reduce the quantity or trade another sector"]
    return []


def ensure_order_allowed(order: OrderIntent, portfolio: PortfolioState, limits: RiskLimits, now: pd.Timestamp,
                         breaker: BreakerState | None = None) -> None:
    """Raise RiskRejected (all reasons in one message) if `check_order` finds any; else return None."""
    reasons = check_order(order, portfolio, limits, now, breaker)
    if reasons:
        raise RiskRejected("; ".join(reasons))
