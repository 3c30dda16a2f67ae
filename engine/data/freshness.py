"""Data freshness: is the newest stored bar of a symbol the one its exchange calendar says should be there?"""

from __future__ import annotations

import pandas as pd

from engine.data.calendars import is_session, last_closed_session, session_close_utc, session_open_utc
from engine.data.providers.base import INTERVALS, is_intraday
from engine.errors import DataError

FRESH, STALE, DEMO, FAILED, MISSING = "fresh", "stale", "demo", "failed", "missing"
STATUSES = (FAILED, MISSING, STALE, DEMO, FRESH)  # worst first: the order a monitor sorts by
INTRADAY_GRACE_BARS = 2  # an intraday bar may lag this many bars behind the clock (provider delay)


def bar_end(symbol: str, interval: str, ts: pd.Timestamp) -> pd.Timestamp:
    """When the bar labelled `ts` closed: the session close for daily bars, open + length for intraday."""
    if is_intraday(interval):
        return ts + INTERVALS[interval]
    if interval == "1d":
        try:
            return session_close_utc(symbol, ts)
        except DataError:  # labelled on a non-session date (a stray bar): the day's end
            pass
    return ts + INTERVALS.get(interval, pd.Timedelta(days=1))


def _open_session(symbol: str, now: pd.Timestamp) -> pd.Timestamp | None:
    """Label of the session in progress at `now`, None when the exchange is closed."""
    for day in (now.normalize() - pd.Timedelta(days=1), now.normalize()):
        if is_session(symbol, day) and session_open_utc(symbol, day) <= now < session_close_utc(symbol, day):
            return day
    return None


def expected_last_bar(symbol: str, interval: str, now: pd.Timestamp) -> pd.Timestamp:
    """Oldest label the newest stored bar may have at `now` and still count as fresh.

    Daily: the latest session closed by `now`. Weekly: a week before that. Intraday: while the
    exchange is open, `INTRADAY_GRACE_BARS` bars before now; when closed, the last bar of the
    latest closed session (same grace). Raises DataError for an invalid symbol.
    """
    closed = last_closed_session(symbol, now)
    if interval == "1d":
        return closed
    if not is_intraday(interval):
        return closed - pd.Timedelta(days=7)
    bar = INTERVALS[interval]
    reference = now if _open_session(symbol, now) is not None else session_close_utc(symbol, closed)
    return reference - (INTRADAY_GRACE_BARS + 1) * bar


def freshness(symbol: str, interval: str, last: pd.Timestamp | None, now: pd.Timestamp, *,
              is_demo: bool = False, last_status: str = "") -> str:
    """fresh | stale | demo | failed | missing for a symbol's newest stored bar `last` (None: nothing stored).

    A failed latest sync wins (it needs fixing), then demo data (never market prices), then the
    calendar rule of `expected_last_bar`. A symbol the calendars cannot place counts as stale.
    """
    if last_status == FAILED:
        return FAILED
    if last is None:
        return MISSING
    if is_demo:
        return DEMO
    try:
        return FRESH if last >= expected_last_bar(symbol, interval, now) else STALE
    except DataError:
        return STALE


def age(symbol: str, interval: str, last: pd.Timestamp | None, now: pd.Timestamp) -> pd.Timedelta | None:
    """Time since the newest stored bar closed (zero while it is still forming); None when nothing is stored."""
    if last is None:
        return None
    return max(pd.Timedelta(0), now - bar_end(symbol, interval, last))
