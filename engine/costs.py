"""Transaction cost models (currency per order), including Indian NSE equity charges from a dated table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from engine.errors import BacktestError

SIDES = ("buy", "sell")

# Statutory and exchange rates for NSE cash equities, keyed by the date they took effect. To update,
# add a new dated entry (never edit an old one) so older backtests can still be reproduced with `as_of`.
# Fractions of turnover unless the name says otherwise.
NSE_RATES: dict[date, dict[str, float]] = {
    date(2024, 10, 1): {
        "stt_delivery": 0.001,  # 0.1 % on buy and sell
        "stt_intraday_sell": 0.00025,  # 0.025 % on sell only
        "exchange_txn": 0.0000297,  # NSE transaction charge 0.00297 %
        "sebi_per_crore": 10.0,  # rupees per crore (1e7) of turnover
        "stamp_delivery_buy": 0.00015,  # 0.015 % on buy
        "stamp_intraday_buy": 0.00003,  # 0.003 % on buy
        "gst": 0.18,  # on brokerage + exchange charge + SEBI fee
    },
}


class CostModel(Protocol):
    """Anything with `cost(side, qty, price)` in currency (>= 0) and a `spec` that rebuilds it."""

    def cost(self, side: str, qty: float, price: float) -> float: ...

    @property
    def spec(self) -> str: ...


def _check_side(side: str) -> None:
    if side not in SIDES:
        raise BacktestError(f"order side must be 'buy' or 'sell', got {side!r}")


@dataclass(frozen=True)
class NoCost:
    """No costs at all."""

    def cost(self, side: str, qty: float, price: float) -> float:
        _check_side(side)
        return 0.0

    @property
    def spec(self) -> str:
        return "none"


@dataclass(frozen=True)
class PercentCost:
    """A fraction of traded value on every order (rate 0.001 = 0.1 %)."""

    rate: float

    def __post_init__(self) -> None:
        if not 0 <= self.rate < 0.1:
            raise BacktestError(f"cost rate must be a fraction between 0 and 0.1 (0.001 = 0.1 %), got {self.rate}")

    def cost(self, side: str, qty: float, price: float) -> float:
        _check_side(side)
        return abs(qty) * price * self.rate

    @property
    def spec(self) -> str:
        return repr(float(self.rate))


@dataclass(frozen=True)
class FlatCost:
    """A fixed amount of currency per order."""

    per_order: float

    def __post_init__(self) -> None:
        if self.per_order < 0:
            raise BacktestError(f"flat cost per order must be >= 0, got {self.per_order}")

    def cost(self, side: str, qty: float, price: float) -> float:
        _check_side(side)
        return float(self.per_order) if qty else 0.0

    @property
    def spec(self) -> str:
        return f"flat:{float(self.per_order)!r}"


def nse_rates(as_of: date | None = None) -> dict[str, float]:
    """The NSE rate table in force on `as_of` (default: the newest); raises BacktestError before the first."""
    dates = sorted(NSE_RATES)
    if as_of is None:
        return NSE_RATES[dates[-1]]
    usable = [d for d in dates if d <= as_of]
    if not usable:
        raise BacktestError(f"no NSE rate table before {as_of}; the earliest is {dates[0]}")
    return NSE_RATES[usable[-1]]


@dataclass(frozen=True)
class NSECharges:
    """NSE cash-equity charges: brokerage, STT, exchange charge, SEBI fee, stamp duty and GST.

    Brokerage per order is min(brokerage_flat, brokerage_pct × value); the default is free for
    delivery and min(₹20, 0.03 %) for intraday (a typical discount broker). Amounts are not rounded
    to paise, unlike a contract note.
    """

    segment: str = "delivery"
    brokerage_flat: float = 20.0
    brokerage_pct: float | None = None  # None: 0 for delivery, 0.0003 for intraday
    as_of: date | None = None
    rates: dict[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.segment not in ("delivery", "intraday"):
            raise BacktestError(f"NSE segment must be 'delivery' or 'intraday', got {self.segment!r}")
        object.__setattr__(self, "rates", nse_rates(self.as_of))

    @property
    def _brokerage_pct(self) -> float:
        if self.brokerage_pct is not None:
            return self.brokerage_pct
        return 0.0 if self.segment == "delivery" else 0.0003

    def breakdown(self, side: str, qty: float, price: float) -> dict[str, float]:
        """Each charge in rupees for one order, plus "total"."""
        _check_side(side)
        value = abs(qty) * price
        r = self.rates
        brokerage = min(self.brokerage_flat, self._brokerage_pct * value) if value else 0.0
        if self.segment == "delivery":
            stt = r["stt_delivery"] * value
            stamp = r["stamp_delivery_buy"] * value if side == "buy" else 0.0
        else:
            stt = r["stt_intraday_sell"] * value if side == "sell" else 0.0
            stamp = r["stamp_intraday_buy"] * value if side == "buy" else 0.0
        exchange = r["exchange_txn"] * value
        sebi = r["sebi_per_crore"] * value / 1e7
        gst = r["gst"] * (brokerage + exchange + sebi)
        parts = {"brokerage": brokerage, "stt": stt, "exchange": exchange, "sebi": sebi,
                 "stamp": stamp, "gst": gst}
        parts["total"] = sum(parts.values())
        return parts

    def cost(self, side: str, qty: float, price: float) -> float:
        return self.breakdown(side, qty, price)["total"]

    @property
    def spec(self) -> str:
        return f"nse_{self.segment}"


def make_cost_model(spec: str | float | CostModel | None) -> CostModel:
    """Build a cost model from a spec; raises BacktestError for an unknown spec.

    0.001 or "0.001" → 0.1 % of value; "pct:0.1" → 0.1 % (given in percent); "flat:20" → 20 per
    order; "nse_delivery" / "nse_intraday" → NSECharges; "none", "", 0 or None → NoCost.
    """
    if spec is None:
        return NoCost()
    if hasattr(spec, "cost") and hasattr(spec, "spec"):
        return spec  # type: ignore[return-value]
    text = str(spec).strip().lower()
    if text in ("", "none", "0", "0.0"):
        return NoCost()
    if text in ("nse_delivery", "nse_intraday"):
        return NSECharges(segment=text.removeprefix("nse_"))
    kind, _, number = text.partition(":")
    try:
        if not number:
            rate = float(kind)
            return NoCost() if rate == 0 else PercentCost(rate)
        if kind == "pct":
            return PercentCost(float(number) / 100)
        if kind == "flat":
            return FlatCost(float(number))
    except ValueError:
        pass
    raise BacktestError(
        f"unknown cost model {spec!r}; use a fraction like 0.001, 'pct:0.1', 'flat:20', "
        "'nse_delivery' or 'nse_intraday'"
    )
