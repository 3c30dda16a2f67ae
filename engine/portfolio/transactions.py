"""Portfolio transactions: one validated record per buy, sell, dividend, split or bonus."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from engine.data.instruments import normalise_symbol
from engine.errors import DataError

KINDS = ("buy", "sell", "dividend", "split", "bonus")
SOURCES = ("manual", "zerodha", "upstox", "csv")
# Within one date: corporate actions first (trades on the ex-date are in post-split shares), then
# buys, then sells (so a same-day buy and sell never looks like an oversell), then dividends.
KIND_ORDER = {"split": 0, "bonus": 0, "buy": 1, "sell": 2, "dividend": 3}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def check_kind(kind: str) -> str:
    """The kind in lower case; raises DataError (with a suggestion) for an unknown one."""
    text = str(kind).strip().lower()
    if text not in KINDS:
        close = difflib.get_close_matches(text, KINDS, n=1)
        hint = f" — did you mean {close[0]!r}?" if close else ""
        raise DataError(f"unknown transaction kind {kind!r}{hint} Use one of {', '.join(KINDS)}")
    return text


def parse_ratio(text: str) -> tuple[float, float]:
    """'1:5' → (1.0, 5.0); raises DataError unless both sides are positive numbers."""
    parts = str(text).replace("/", ":").split(":")
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        raise DataError(f"ratio must look like 1:5 (two positive numbers), got {text!r}") from None
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise DataError(f"ratio must look like 1:5 (two positive numbers), got {text!r}")
    return a, b


@dataclass(frozen=True)
class Transaction:
    """A dated portfolio event in the instrument's currency.

    buy/sell: `qty` shares (> 0) at `price` per share, `fees` (brokerage, taxes) on top of a buy
    and deducted from a sale. dividend: cash `amount` (or `qty` shares × `price` per share when
    amount is 0), less `fees` (e.g. TDS). split: `ratio_from` shares become `ratio_to`
    (1:5 → five times the shares). bonus: `ratio_to` new shares for every `ratio_from` held
    (1:1 doubles). Raises DataError when a field is out of range.
    """

    trade_date: date
    symbol: str
    kind: str
    qty: float = 0.0
    price: float = 0.0
    fees: float = 0.0
    amount: float = 0.0
    ratio_from: float | None = None
    ratio_to: float | None = None
    currency: str = ""
    note: str = ""
    source: str = "manual"
    external_id: str | None = None
    executed_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "kind", check_kind(self.kind))
        set_(self, "symbol", normalise_symbol(self.symbol))
        set_(self, "trade_date", _as_date(self.trade_date))
        set_(self, "executed_at", _as_utc(self.executed_at))
        for name in ("qty", "price", "fees", "amount"):
            value = float(getattr(self, name) or 0.0)
            if not math.isfinite(value) or value < 0:
                raise DataError(f"{name} must be a number >= 0, got {getattr(self, name)!r} "
                                f"({self.kind} {self.symbol} on {self.trade_date})")
            set_(self, name, value)
        if self.source not in SOURCES:
            raise DataError(f"source must be one of {', '.join(SOURCES)}, got {self.source!r}")
        self._check_kind_fields()

    def _check_kind_fields(self) -> None:
        where = f"{self.kind} {self.symbol} on {self.trade_date}"
        if self.kind in ("buy", "sell") and self.qty <= 0:
            raise DataError(f"quantity must be greater than 0 for a {where}")
        if self.kind == "dividend" and self.cash_dividend <= 0:
            raise DataError(f"a dividend needs an amount > 0 (or shares × dividend per share): {where}")
        if self.kind in ("split", "bonus"):
            if self.ratio_from is None or self.ratio_to is None:
                raise DataError(f"a {self.kind} needs a ratio such as 1:5: {where}")
            parse_ratio(f"{self.ratio_from}:{self.ratio_to}")
            object.__setattr__(self, "ratio_from", float(self.ratio_from))
            object.__setattr__(self, "ratio_to", float(self.ratio_to))

    @property
    def factor(self) -> float:
        """Shares held afterwards per share held before (1.0 unless a split or bonus)."""
        if self.kind == "split":
            return self.ratio_to / self.ratio_from
        if self.kind == "bonus":
            return (self.ratio_from + self.ratio_to) / self.ratio_from
        return 1.0

    @property
    def cash_dividend(self) -> float:
        """Gross dividend cash: `amount`, else shares × dividend per share."""
        return self.amount if self.amount > 0 else self.qty * self.price

    @property
    def cash_flow(self) -> float:
        """The investor's cash: buys negative (cost + fees), sales and dividends positive (net of fees)."""
        if self.kind == "buy":
            return -(self.qty * self.price + self.fees)
        if self.kind == "sell":
            return self.qty * self.price - self.fees
        if self.kind == "dividend":
            return self.cash_dividend - self.fees
        return 0.0

    def sort_key(self) -> tuple:
        """Processing order: date, kind (see KIND_ORDER), execution time, then storage id."""
        when = (self.executed_at - _EPOCH).total_seconds() if self.executed_at else 0.0
        return (self.trade_date, KIND_ORDER[self.kind], when, self.id if self.id is not None else math.inf)

    def as_row(self) -> dict[str, Any]:
        """Column values for storage (without the id)."""
        row = asdict(self)
        row.pop("id")
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Transaction:
        """Build from a stored row (a dict or a DataFrame row); unknown keys are ignored."""
        fields = cls.__dataclass_fields__
        values = {k: (None if _missing(v) else v) for k, v in dict(row).items() if k in fields}
        for name in ("qty", "price", "fees", "amount"):
            values[name] = values.get(name) or 0.0
        values["currency"] = values.get("currency") or ""
        values["note"] = values.get("note") or ""
        if values.get("id") is not None:
            values["id"] = int(values["id"])
        return cls(**values)


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str | date | datetime) and bool(pd.isna(value)))


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        raise DataError(f"date must look like 2024-01-05, got {value!r}") from None


def _as_utc(value: Any) -> datetime | None:
    """An aware UTC datetime (naive values, as SQLite returns them, are read as UTC) or None."""
    if _missing(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def sort_transactions(transactions: list[Transaction]) -> list[Transaction]:
    """Transactions in processing order (stable for equal keys)."""
    return sorted(transactions, key=Transaction.sort_key)


def check_not_future(transactions: list[Transaction], today: date) -> None:
    """Raise DataError naming the first transaction dated after `today`."""
    for t in transactions:
        if t.trade_date > today:
            raise DataError(f"{t.kind} {t.symbol} is dated {t.trade_date}, after today ({today}); "
                            "transactions cannot be in the future")
