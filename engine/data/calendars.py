"""Exchange session calendars (exchange_calendars XBOM/XNYS, 24/7 for crypto) with a Mon–Fri fallback."""

from __future__ import annotations

from datetime import time
from functools import lru_cache

import pandas as pd

from engine.data.instruments import CRYPTO, instrument_for
from engine.errors import DataError

CALENDAR_START = "2000-01-01"
# Regular hours (local time) used for intraday labels and outside the calendar tables.
REGULAR_HOURS: dict[str, tuple[time, time]] = {
    "XBOM": (time(9, 15), time(15, 30)),
    "XNYS": (time(9, 30), time(16, 0)),
    CRYPTO: (time(0, 0), time(0, 0)),
}
DateLike = str | pd.Timestamp


@lru_cache(maxsize=8)
def _calendar(code: str):  # noqa: ANN202 - exchange_calendars.ExchangeCalendar
    import exchange_calendars as xc

    return xc.get_calendar(code, start=CALENDAR_START)


def _date(value: DateLike) -> pd.Timestamp:
    """A calendar date as a naive midnight Timestamp (tz-aware values are read at their UTC date)."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{value!r} is not a date; use YYYY-MM-DD") from exc
    if ts.tz is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.normalize()


@lru_cache(maxsize=256)
def _session_dates(code: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    if end < start:
        return pd.DatetimeIndex([])
    if code == CRYPTO:
        return pd.date_range(start, end, freq="D")
    cal = _calendar(code)
    lo, hi = cal.first_session, cal.last_session
    parts = []
    if start < lo:
        parts.append(pd.bdate_range(start, min(end, lo - pd.Timedelta(days=1))))
    if start <= hi and end >= lo:
        parts.append(cal.sessions_in_range(max(start, lo), min(end, hi)))
    if end > hi:
        parts.append(pd.bdate_range(max(start, hi + pd.Timedelta(days=1)), end))
    dates = parts[0] if len(parts) == 1 else parts[0].append(parts[1:])
    return pd.DatetimeIndex(dates.to_numpy(dtype="datetime64[ns]"))


def calendar_code(symbol: str) -> str:
    """The calendar serving `symbol`: "XBOM" (NSE/BSE), "XNYS" (US) or "24/7" (crypto)."""
    return instrument_for(symbol).calendar


def sessions(symbol: str, start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """Session dates of `symbol`'s exchange in [start, end], as 00:00 UTC labels (daily-bar labels).

    Uses exchange_calendars (XBOM for NSE/BSE, XNYS for US listings; crypto trades every day).
    The calendar tables are finite (XBOM currently ends 2026-12-31, XNYS 2027-11-30, both start
    at 2000-01-03 here): dates outside them fall back to plain Monday–Friday, so holidays there are
    not known. Raises DataError for an unreadable date.
    """
    dates = _session_dates(calendar_code(symbol), _date(start), _date(end))
    return pd.DatetimeIndex(dates.tz_localize("UTC"), name="ts")


def is_session(symbol: str, date: DateLike) -> bool:
    """True if the exchange of `symbol` trades on `date` (a calendar date; Mon–Fri outside the table)."""
    day = _date(date)
    return len(_session_dates(calendar_code(symbol), day, day)) == 1


def _regular(code: str, symbol: str, day: pd.Timestamp, which: int) -> pd.Timestamp:
    local = pd.Timestamp.combine(day.date(), REGULAR_HOURS[code][which])
    return local.tz_localize(instrument_for(symbol).timezone).tz_convert("UTC")


def session_open_utc(symbol: str, date: DateLike) -> pd.Timestamp:
    """UTC time the session of `date` opens; raises DataError if `date` is not a session."""
    code, day = calendar_code(symbol), _date(date)
    if not is_session(symbol, day):
        raise DataError(f"{day.date()} is not a trading session for {symbol}")
    if code == CRYPTO:
        return day.tz_localize("UTC")
    cal = _calendar(code)
    if cal.first_session <= day <= cal.last_session:
        return cal.session_open(day)
    return _regular(code, symbol, day, 0)


def session_close_utc(symbol: str, date: DateLike) -> pd.Timestamp:
    """UTC time the session of `date` closes (early closes included inside the calendar table).

    Crypto sessions close at the next 00:00 UTC. Raises DataError if `date` is not a session.
    """
    code, day = calendar_code(symbol), _date(date)
    if not is_session(symbol, day):
        raise DataError(f"{day.date()} is not a trading session for {symbol}")
    if code == CRYPTO:
        return (day + pd.Timedelta(days=1)).tz_localize("UTC")
    cal = _calendar(code)
    if cal.first_session <= day <= cal.last_session:
        return cal.session_close(day)
    return _regular(code, symbol, day, 1)


def last_closed_session(symbol: str, now: pd.Timestamp) -> pd.Timestamp:
    """Label (00:00 UTC of the date) of the latest session whose close is at or before `now`.

    `now` should be tz-aware; a naive value is taken as UTC.
    """
    now = pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tz is None else now.tz_convert("UTC")
    today = now.tz_localize(None).normalize()
    candidates = sessions(symbol, today - pd.Timedelta(days=20), today + pd.Timedelta(days=1))
    for label in reversed(candidates):
        if session_close_utc(symbol, label) <= now:
            return label
    raise DataError(f"no closed session for {symbol} in the 20 days before {now}")
