"""Indian order charges (brokerage, STT/CTT, exchange, SEBI, stamp, IPFT, DP, GST) and round-trip P&L."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from engine.charges.schedule import ChargesError, SegmentRates, check_exchange, check_segment, segment_rates

ORDER_SIDES = ("buy", "sell")
COMPONENTS = ("brokerage", "stt", "exchange", "sebi", "stamp", "ipft", "dp", "gst")
COMPONENT_LABELS = {
    "brokerage": "Brokerage", "stt": "STT/CTT", "exchange": "Exchange transaction charge",
    "sebi": "SEBI turnover fee", "stamp": "Stamp duty", "ipft": "IPFT", "dp": "DP charge", "gst": "GST",
}


@dataclass(frozen=True)
class Brokerage:
    """Brokerage per executed order in rupees; all None (the default) is free.

    `flat` alone: rupees per order. `pct` alone (fraction, 0.0003 = 0.03 %): pct × order value, no more
    than `cap` when given. Both: the lower of the two — the discount-broker "₹20 or 0.03 %, whichever
    is lower" is Brokerage(flat=20, pct=0.0003).
    """

    flat: float | None = None
    pct: float | None = None
    cap: float | None = None

    def __post_init__(self) -> None:
        bad_pct = self.pct is not None and not 0 <= self.pct < 0.1
        if bad_pct or any(v is not None and v < 0 for v in (self.flat, self.cap)):
            raise ChargesError(f"brokerage needs flat >= 0, a fraction pct in [0, 0.1) (0.0003 = 0.03 %) and "
                               f"cap >= 0, got flat={self.flat}, pct={self.pct}, cap={self.cap}")

    def charge(self, value: float) -> float:
        """Brokerage in rupees on an order of `value` rupees (0 for an empty order)."""
        if not value:
            return 0.0
        if self.pct is None:
            return float(self.flat or 0.0)
        amount = self.pct * value
        for limit in (self.flat, self.cap):
            if limit is not None:
                amount = min(amount, limit)
        return amount

    def describe(self) -> str:
        """'free', '₹20 per order', '0.03% of value, at most ₹20 per order'."""
        if self.pct is None:
            return f"₹{self.flat:g} per order" if self.flat else "free"
        limits = [v for v in (self.flat, self.cap) if v is not None]
        return f"{self.pct * 100:g}% of value" + (f", at most ₹{min(limits):g} per order" if limits else "")


# A typical Indian discount broker (Zerodha's published tariff): free delivery, ₹20 or 0.03 % for
# intraday and futures, ₹20 flat per options order.
DEFAULT_BROKERAGE = {
    "delivery": Brokerage(),
    "intraday": Brokerage(flat=20.0, pct=0.0003),
    "futures": Brokerage(flat=20.0, pct=0.0003),
    "options": Brokerage(flat=20.0),
}


def _applies(charge_side: str, side: str) -> bool:
    return charge_side == "both" or charge_side == side


@dataclass(frozen=True)
class IndianCharges:
    """Charges of one NSE/BSE order from the dated schedule; a cost model (`cost`, `spec`) for backtests.

    Options orders take the premium as `price`. `dp_charge` (rupees per scrip per sell day, delivery)
    defaults to the schedule's; as an order model it is charged on every delivery sell order. Amounts
    are not rounded to paise, unlike a contract note. Raises ChargesError for an unknown exchange,
    segment or side, ScheduleError for a broken schedule file.
    """

    exchange: str = "NSE"
    segment: str = "delivery"
    brokerage: Brokerage | None = None  # None: DEFAULT_BROKERAGE[segment]
    as_of: date | None = None  # None: the schedule entry in force today
    schedule_path: str | Path | None = None  # None: the bundled schedule
    dp_charge: float | None = None
    rates: SegmentRates = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "exchange", check_exchange(self.exchange))
        object.__setattr__(self, "segment", check_segment(self.segment))
        if self.brokerage is None:
            object.__setattr__(self, "brokerage", DEFAULT_BROKERAGE[self.segment])
        if self.dp_charge is not None and self.dp_charge < 0:
            raise ChargesError(f"DP charge must be >= 0 rupees per scrip, got {self.dp_charge}")
        object.__setattr__(self, "rates", segment_rates(self.exchange, self.segment, self.as_of,
                                                        self.schedule_path))

    @property
    def dp_per_sell(self) -> float:
        """DP charge before GST on a delivery sell (0 for other segments)."""
        if self.segment != "delivery":
            return 0.0
        return self.rates.dp_charge if self.dp_charge is None else float(self.dp_charge)

    def breakdown(self, side: str, qty: float, price: float) -> dict[str, float]:
        """Each charge in rupees for one order (keys COMPONENTS), plus "total"."""
        if side not in ORDER_SIDES:
            raise ChargesError(f"order side must be 'buy' or 'sell', got {side!r}")
        r = self.rates
        value = abs(qty) * price
        parts = dict.fromkeys(COMPONENTS, 0.0)
        if value:
            parts["brokerage"] = self.brokerage.charge(value)  # type: ignore[union-attr]
            parts["stt"] = r.stt * value if _applies(r.stt_side, side) else 0.0
            parts["exchange"] = r.exchange_txn * value
            parts["sebi"] = r.sebi_per_crore * value / 1e7
            parts["stamp"] = r.stamp * value if _applies(r.stamp_side, side) else 0.0
            parts["ipft"] = r.ipft_per_crore * value / 1e7
            parts["dp"] = self.dp_per_sell if side == "sell" else 0.0
            parts["gst"] = r.gst * sum(parts[c] for c in r.gst_on)
        parts["total"] = sum(parts[c] for c in COMPONENTS)
        return parts

    def cost(self, side: str, qty: float, price: float) -> float:
        return self.breakdown(side, qty, price)["total"]

    def exercise_stt(self, intrinsic_value: float) -> float:
        """STT in rupees when a bought option is exercised (fraction of the intrinsic value; options only)."""
        return self.rates.stt_exercise * max(intrinsic_value, 0.0)

    @property
    def spec(self) -> str:
        return f"{self.exchange.lower()}_{self.segment}"


@dataclass(frozen=True)
class TradeCharges:
    """A round trip's charges: per component and per order, total, P&L and breakevens (rupees)."""

    exchange: str
    segment: str
    effective: date  # the schedule entry used
    qty: float
    buy_price: float
    sell_price: float
    brokerage: str
    buy: dict[str, float]
    sell: dict[str, float]
    components: dict[str, float]
    total: float
    turnover: float
    gross_pnl: float
    net_pnl: float
    points_to_breakeven: float  # total / qty: price move that pays the charges (Zerodha's convention)
    breakeven_sell: float  # bought at buy_price: the sell price with net P&L 0
    breakeven_buy: float  # sold (short) at sell_price: the buy-back price with net P&L 0

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, date) else v) for k, v in self.__dict__.items()}


def _solve(fixed_point: Any, start: float) -> float:
    """Iterate x = fixed_point(x): charges grow far slower than price, so this contracts in a few steps."""
    x = start
    for _ in range(200):
        nxt = fixed_point(x)
        if abs(nxt - x) < 1e-10 * max(1.0, abs(x)):
            return nxt
        x = nxt
    return x


def trade_charges(buy_price: float, sell_price: float, qty: float, segment: str = "delivery",
                  exchange: str = "NSE", brokerage: Brokerage | None = None, as_of: date | None = None,
                  schedule_path: str | Path | None = None, dp_charge: float | None = None) -> TradeCharges:
    """Charges of buying and selling `qty` units (shares, or lots × lot size; options at premium prices).

    Raises ChargesError for qty < 1 or prices <= 0, and for an unknown segment or exchange.
    """
    if not qty >= 1:
        raise ChargesError(f"quantity must be at least 1, got {qty:g}")
    for name, price in (("buy", buy_price), ("sell", sell_price)):
        if not price > 0:
            raise ChargesError(f"{name} price must be above 0, got {price:g}")
    model = IndianCharges(exchange, segment, brokerage, as_of, schedule_path, dp_charge)

    def total(buy: float, sell: float) -> float:
        return model.cost("buy", qty, buy) + model.cost("sell", qty, sell)

    buy, sell = model.breakdown("buy", qty, buy_price), model.breakdown("sell", qty, sell_price)
    components = {c: buy[c] + sell[c] for c in COMPONENTS}
    charges = sum(components.values())
    gross = (sell_price - buy_price) * qty
    return TradeCharges(
        exchange=model.exchange, segment=model.segment, effective=model.rates.effective, qty=qty,
        buy_price=buy_price, sell_price=sell_price, brokerage=model.brokerage.describe(),  # type: ignore[union-attr]
        buy=buy, sell=sell, components=components, total=charges, turnover=qty * (buy_price + sell_price),
        gross_pnl=gross, net_pnl=gross - charges, points_to_breakeven=charges / qty,
        breakeven_sell=_solve(lambda s: buy_price + total(buy_price, s) / qty, buy_price),
        breakeven_buy=_solve(lambda b: sell_price - total(b, sell_price) / qty, sell_price),
    )
