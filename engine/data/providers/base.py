"""The Provider interface, supported intervals, bar-frame helpers and a process-wide request throttle."""

from __future__ import annotations

import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np
import pandas as pd

from engine.errors import DataError

BAR_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
# interval -> bar length; daily/weekly bars are labelled by date, intraday bars by their UTC open time.
INTERVALS: dict[str, pd.Timedelta] = {
    "1d": pd.Timedelta(days=1),
    "1wk": pd.Timedelta(weeks=1),
    "1h": pd.Timedelta(hours=1),
    "30m": pd.Timedelta(minutes=30),
    "15m": pd.Timedelta(minutes=15),
    "5m": pd.Timedelta(minutes=5),
    "1m": pd.Timedelta(minutes=1),
}
_PERIOD_RE = re.compile(r"^(\d+)(d|wk|mo|y)$")


def check_interval(interval: str) -> str:
    """Return `interval` if supported (1d, 1wk, 1h, 30m, 15m, 5m, 1m), else raise DataError."""
    if interval not in INTERVALS:
        raise DataError(f"interval {interval!r} is not supported; use one of {', '.join(INTERVALS)}")
    return interval


def is_intraday(interval: str) -> bool:
    """True for bars shorter than a day (labelled by open time rather than session date)."""
    return check_interval(interval) not in ("1d", "1wk")


def period_offset(period: str) -> pd.DateOffset | None:
    """Length of a Yahoo-style period ("5d", "6mo", "5y", "ytd" is not supported); None for "max"."""
    if period == "max":
        return None
    m = _PERIOD_RE.match(period)
    if not m:
        raise DataError(f"period {period!r} is not understood; use e.g. 5d, 3mo, 1y, 10y or max")
    n, unit = int(m.group(1)), m.group(2)
    return {"d": pd.DateOffset(days=n), "wk": pd.DateOffset(weeks=n),
            "mo": pd.DateOffset(months=n), "y": pd.DateOffset(years=n)}[unit]


def to_utc(value: str | pd.Timestamp | None) -> pd.Timestamp | None:
    """A tz-aware UTC Timestamp (naive input is taken as UTC); raises DataError for unreadable text."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{value!r} is not a date; use YYYY-MM-DD") from exc
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")


def empty_bars() -> pd.DataFrame:
    """A bars frame with no rows (UTC index `ts`, float columns)."""
    index = pd.DatetimeIndex([], tz="UTC", name="ts")
    return pd.DataFrame({c: np.array([], dtype=float) for c in BAR_COLUMNS}, index=index)


def finish_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Bars in canonical form: the six float64 columns in order, UTC nanosecond index `ts`, sorted."""
    out = frame.loc[:, list(BAR_COLUMNS)].astype("float64")
    out.index = pd.DatetimeIndex(out.index).tz_convert("UTC").as_unit("ns").rename("ts")
    return out.sort_index(kind="stable")


class Provider(ABC):
    """A source of bars. `fetch` returns bars or raises UnknownSymbol, RateLimited,
    TransientProviderError, ProviderOffline or DataError (engine/errors.py)."""

    name: str = "provider"

    @abstractmethod
    def fetch(
        self, symbol: str, interval: str = "1d", start: pd.Timestamp | str | None = None,
        end: pd.Timestamp | str | None = None, period: str | None = None,
    ) -> pd.DataFrame:
        """Bars for `symbol` in [start, end) (UTC; daily bars by session date), or the last `period`."""


class Throttle:
    """Keeps at least `min_interval_s` seconds between calls to `wait()`, across threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._clock, self._sleep = clock, sleep

    def wait(self, min_interval_s: float) -> float:
        """Block until the next request may go out; returns the seconds slept."""
        with self._lock:
            now = self._clock()
            delay = max(0.0, self._next_at - now)
            self._next_at = max(now, self._next_at) + max(0.0, min_interval_s)
        if delay > 0:
            self._sleep(delay)
        return delay


def parse_date_option(text: str | None, flag: str) -> pd.Timestamp | None:
    """A command-line date (`--start 2015-01-01`) as a UTC timestamp; DataError naming the flag if unreadable."""
    if text is None:
        return None
    try:
        return to_utc(text)
    except DataError:
        raise DataError(f"{flag} {text!r} is not a date; use YYYY-MM-DD") from None
