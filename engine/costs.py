"""Transaction cost models (currency per order), including Indian NSE equity charges from a dated table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from engine.charges import Brokerage, ChargesError, IndianCharges, load_schedule
from engine.charges.schedule import check_exchange, check_segment
from engine.errors import BacktestError

SIDES = ("buy", "sell")


def _legacy_nse_rates() -> dict[date, dict[str, float]]:
    """NSE cash-equity rates per effective date, in the shape of the original in-code table."""
    schedule = load_schedule()
    table: dict[date, dict[str, float]] = {}
    for effective, rates in schedule.entries.items():
        delivery, intraday = rates[("NSE", "delivery")], rates[("NSE", "intraday")]
        table[effective] = {
            "stt_delivery": delivery.stt,  # on buy and sell
            "stt_intraday_sell": intraday.stt,  # on sell only
            "exchange_txn": delivery.exchange_txn,
            "sebi_per_crore": delivery.sebi_per_crore,  # rupees per crore (1e7) of turnover
            "stamp_delivery_buy": delivery.stamp,
            "stamp_intraday_buy": intraday.stamp,
            "gst": delivery.gst,  # on brokerage + exchange charge + SEBI fee
        }
    return table


# NSE cash-equity rates keyed by the date they took effect, read from the dated charges schedule
# (engine/data/charges_schedule.toml; fractions of turnover unless the name says otherwise). To update,
# add a new dated entry to that file (never edit an old one) so older backtests reproduce with `as_of`.
NSE_RATES: dict[date, dict[str, float]] = _legacy_nse_rates()


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
    """The NSE rate table in force on `as_of` (default: today); raises BacktestError before the first."""
    dates = sorted(NSE_RATES)
    day = as_of or date.today()
    usable = [d for d in dates if d <= day]
    if not usable:
        raise BacktestError(f"no NSE rate table before {day}; the earliest is {dates[0]}")
    return NSE_RATES[usable[-1]]


@dataclass(frozen=True)
class NSECharges:
    """NSE cash-equity charges: brokerage, STT, exchange charge, SEBI fee, stamp duty and GST.

    Brokerage per order is min(brokerage_flat, brokerage_pct × value); the default is free for
    delivery and min(₹20, 0.03 %) for intraday (a typical discount broker). No DP charge (see
    IndianCharges for every segment, BSE and DP charges). Amounts are not rounded to paise.
    """

    segment: str = "delivery"
    brokerage_flat: float = 20.0
    brokerage_pct: float | None = None  # None: 0 for delivery, 0.0003 for intraday
    as_of: date | None = None
    rates: dict[str, float] = field(init=False, repr=False, compare=False)
    model: IndianCharges = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.segment not in ("delivery", "intraday"):
            raise BacktestError(f"NSE segment must be 'delivery' or 'intraday', got {self.segment!r}")
        object.__setattr__(self, "rates", nse_rates(self.as_of))
        brokerage = Brokerage(flat=self.brokerage_flat, pct=self._brokerage_pct)
        object.__setattr__(self, "model", IndianCharges("NSE", self.segment, brokerage, self.as_of, dp_charge=0.0))

    @property
    def _brokerage_pct(self) -> float:
        if self.brokerage_pct is not None:
            return self.brokerage_pct
        return 0.0 if self.segment == "delivery" else 0.0003

    def breakdown(self, side: str, qty: float, price: float) -> dict[str, float]:
        """Each charge in rupees for one order (brokerage, stt, exchange, sebi, stamp, gst), plus "total"."""
        _check_side(side)
        parts = self.model.breakdown(side, qty, price)
        return {k: parts[k] for k in ("brokerage", "stt", "exchange", "sebi", "stamp", "gst", "total")}

    def cost(self, side: str, qty: float, price: float) -> float:
        return self.breakdown(side, qty, price)["total"]

    @property
    def spec(self) -> str:
        return f"nse_{self.segment}"


def exchange_cost_model(text: str) -> CostModel | None:
    """'nse_futures', 'bse_delivery', … → the schedule's charges with default brokerage, no DP charge.

    "nse_delivery" / "nse_intraday" stay NSECharges so older results keep their numbers. None when
    `text` is not of the form <exchange>_<segment>; raises ChargesError for an unknown segment.
    """
    exchange, sep, segment = text.partition("_")
    if not sep:
        return None
    try:
        exchange = check_exchange(exchange)
    except ChargesError:
        return None
    segment = check_segment(segment)
    if exchange == "NSE" and segment in ("delivery", "intraday"):
        return NSECharges(segment=segment)
    return IndianCharges(exchange, segment, dp_charge=0.0)


def make_cost_model(spec: str | float | CostModel | None) -> CostModel:
    """Build a cost model from a spec; raises BacktestError for an unknown spec.

    0.001 or "0.001" → 0.1 % of value; "pct:0.1" → 0.1 % (given in percent); "flat:20" → 20 per
    order; "nse_delivery" / "nse_intraday" → NSECharges; "nse_futures", "nse_options", "bse_delivery",
    … (exchange NSE/BSE, segment delivery/intraday/futures/options) → IndianCharges with the default
    brokerage and no DP charge; "none", "", 0 or None → NoCost.
    """
    if spec is None:
        return NoCost()
    if hasattr(spec, "cost") and hasattr(spec, "spec"):
        return spec  # type: ignore[return-value]
    text = str(spec).strip().lower()
    if text in ("", "none", "0", "0.0"):
        return NoCost()
    model = exchange_cost_model(text)
    if model is not None:
        return model
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
        "'nse_delivery', 'nse_intraday', 'nse_futures', 'nse_options' or 'bse_<segment>'"
    )
