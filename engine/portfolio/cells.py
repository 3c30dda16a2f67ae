"""Cell parsing for tradebook imports: numbers, dates, times and broker symbols → Yahoo tickers."""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd

from engine.data.instruments import instrument_for, normalise_symbol
from engine.errors import DataError

DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%b-%Y", "%d %b %Y", "%d-%b-%y",
                "%d-%m-%y", "%d/%m/%y", "%b %d, %Y")
EXCHANGE_SUFFIX = {"NSE": ".NS", "BSE": ".BO"}
EQUITY_SEGMENTS = {"", "EQ", "EQUITY", "CASH", "CM", "NSE_EQ", "BSE_EQ"}
_JUNK = re.compile(r"[\s\u00a0₹$,']")
_SERIES_SUFFIX = re.compile(r"-(EQ|BE|BZ|SM|ST|IV|RR|E1|BL)$")


def header_key(text: str) -> str:
    """'Trade Num' / 'trade-num' / ' TRADE_NUM ' → 'trade_num'."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower().lstrip("\ufeff")).strip("_")


def number(text: str, name: str, *, required: bool = True) -> float:
    """A number from a cell ('1,500.50', '₹ 95'); empty → 0 unless required. Raises DataError."""
    cleaned = _JUNK.sub("", str(text or ""))
    if not cleaned:
        if required:
            raise DataError(f"{name} is empty")
        return 0.0
    try:
        return float(cleaned)
    except ValueError:
        raise DataError(f"{name} {text!r} is not a number") from None


def parse_date(text: str, name: str = "date") -> date:
    """A date written 2024-01-05, 05-01-2024 (day first), 05/01/2024, 05-Jan-2024 …; a time part is ignored."""
    raw = str(text or "").strip()
    if not raw:
        raise DataError(f"{name} is empty")
    candidates = [raw, re.split(r"[T ]", raw, maxsplit=1)[0]]
    for candidate in candidates:
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    raise DataError(f"{name} {raw!r} is not a date; write it as 2024-01-05 or 05-01-2024 (day first)")


def local_time(day: date, text: str, timezone: str) -> datetime | None:
    """The UTC time of a local clock time ('09:20:11', '2024-01-05T09:20:11', '2024-01-05 09:20') on `day`."""
    raw = str(text or "").strip()
    if not raw:
        return None
    match = re.search(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", raw)
    if not match:
        raise DataError(f"time {raw!r} is not a clock time such as 09:20:11")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise DataError(f"time {raw!r} is not a clock time such as 09:20:11")
    stamp = pd.Timestamp(datetime(day.year, day.month, day.day, hour, minute, second)).tz_localize(timezone)
    return stamp.tz_convert("UTC").to_pydatetime()


def side(text: str) -> str:
    """'BUY' / 'b' / 'Purchase' → 'buy'; 'SELL' / 's' → 'sell'; other kinds pass through lower-cased."""
    value = str(text or "").strip().lower()
    return {"b": "buy", "purchase": "buy", "bought": "buy", "s": "sell", "sale": "sell", "sold": "sell"}.get(value, value)


def yahoo_symbol(symbol: str, exchange: str = "", series: str = "") -> str:
    """A broker symbol as a Yahoo ticker: RELIANCE on NSE → RELIANCE.NS, on BSE → RELIANCE.BO.

    A symbol that already carries a suffix (INFY.NS, AAPL) is kept when no exchange is given.
    Raises DataError for an empty symbol or an exchange other than NSE/BSE.
    """
    text = str(symbol or "").strip().upper()
    if not text:
        raise DataError("symbol is empty")
    text = _SERIES_SUFFIX.sub("", text) if series or exchange else text
    venue = str(exchange or "").strip().upper()
    if not venue:
        return normalise_symbol(text)
    if venue not in EXCHANGE_SUFFIX:
        raise DataError(f"exchange {exchange!r} is not supported; use NSE or BSE")
    base = text.rsplit(".", 1)[0] if text.endswith((".NS", ".BO")) else text
    return normalise_symbol(base + EXCHANGE_SUFFIX[venue])


def timezone_of(symbol: str) -> str:
    return instrument_for(symbol).timezone
