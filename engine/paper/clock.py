"""Which bars are closed at a given moment: exchange calendars for daily bars, bar length for intraday."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from engine.data.calendars import last_closed_session, session_close_utc
from engine.data.providers.base import INTERVALS, check_interval
from engine.errors import DataError


def utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def as_utc(moment: pd.Timestamp | str | None) -> pd.Timestamp:
    """A tz-aware UTC Timestamp (naive values are read as UTC; None means now)."""
    if moment is None:
        return utc_now()
    ts = pd.Timestamp(moment)
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")


@lru_cache(maxsize=4096)
def _last_closed_daily(symbol: str, now: pd.Timestamp) -> pd.Timestamp:
    return last_closed_session(symbol, now)


def last_closed_bar(symbol: str, interval: str, now: pd.Timestamp) -> pd.Timestamp:
    """Label of the newest bar of `symbol` that has closed at `now` (UTC).

    Daily bars close at the session close of the exchange calendar (holidays and weekends have no
    bar); weekly and intraday bars close one bar length after their label. Raises DataError for an
    unsupported interval.
    """
    check_interval(interval)
    now = as_utc(now)
    if interval == "1d":
        return _last_closed_daily(symbol, now)  # a tick asks this for every deployment of the symbol
    return now - INTERVALS[interval]


def bar_close_time(symbol: str, interval: str, label: pd.Timestamp) -> pd.Timestamp:
    """When the bar labelled `label` closes (used by the replay clock)."""
    if interval == "1d":
        try:
            return session_close_utc(symbol, label)
        except DataError:  # a stored bar on a day the calendar does not list: it closed by midnight
            return label + pd.Timedelta(days=1)
    return label + INTERVALS[interval]
