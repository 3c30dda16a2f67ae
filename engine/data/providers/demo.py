"""Deterministic demo bars: regime-switching prices per symbol, exchange sessions only, tagged "demo".

The daily path of a symbol is anchored at DEMO_EPOCH and seeded from a stable hash of the symbol,
so the bar of a given date is the same whatever window is asked for and whenever it is generated
(only adj_close moves when a later dividend enters the window, as it does with real data).
Log prices mean-revert slowly to the symbol's typical level, so levels stay plausible for decades.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from engine.data.calendars import REGULAR_HOURS, sessions
from engine.data.instruments import InstrumentMeta, instrument_for
from engine.data.providers.base import (
    BAR_COLUMNS,
    INTERVALS,
    Provider,
    check_interval,
    empty_bars,
    finish_bars,
    is_intraday,
    period_offset,
    to_utc,
)
from engine.errors import DataError, UnknownSymbol

DEMO_EPOCH = pd.Timestamp("2005-01-03", tz="UTC")
_BASE_VOL = {"equity": 0.013, "index": 0.008, "crypto": 0.028}  # daily, decimal
_TRENDS = np.array([0.001, -0.001, 0.0])  # up, down, sideways drift per day at 1.7% vol
_VOL_MULT = np.array([0.75, 1.7])  # calm, volatile
_LEVEL_SD = 0.2  # stationary spread of log price around the symbol's level (mean reversion strength)
DEFAULT_LOOKBACK = {"1d": pd.DateOffset(years=10), "1wk": pd.DateOffset(years=10), "1h": pd.Timedelta(days=729),
                    "1m": pd.Timedelta(days=7)}


def _rng(*parts: object) -> np.random.Generator:
    """A generator seeded by a stable hash (Python's hash() is randomised per process)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return np.random.default_rng(int.from_bytes(digest, "little"))


def ar1(x: np.ndarray, phi: float, block: int = 256) -> np.ndarray:
    """y[t] = phi * y[t-1] + x[t] with y[-1] = 0, vectorised per block (the same as scipy's lfilter)."""
    y = np.empty_like(x, dtype=float)
    powers = phi ** np.arange(block)
    carry = 0.0
    for lo in range(0, len(x), block):
        chunk = x[lo:lo + block]
        p = powers[: len(chunk)]
        y[lo:lo + len(chunk)] = p * (np.cumsum(chunk / p) + carry * phi)
        carry = y[lo + len(chunk) - 1]
    return y


def _regimes(symbol: str, name: str, n: int, mean_len: float, kinds: int) -> np.ndarray:
    """Regime label per bar: segments of geometric length (>= 5 bars) with random labels.

    Lengths and labels come from their own streams, so a longer `n` only appends bars and never
    changes earlier ones.
    """
    k = n // 5 + 2
    lengths = _rng(symbol, name, "lengths").geometric(1.0 / mean_len, size=k) + 4
    labels = _rng(symbol, name, "labels").integers(0, kinds, size=k)
    return np.repeat(labels, lengths)[:n]


def _daily_path(meta: InstrumentMeta, n: int) -> dict[str, np.ndarray]:
    """n daily bars from DEMO_EPOCH on: OHLC, adj_close and volume arrays."""
    sym = meta.symbol
    base = _BASE_VOL[meta.asset_class] * (0.8 + 0.4 * _rng(sym, "vol").random())
    trend = _regimes(sym, "trend", n, 90.0, 3)
    calm = _regimes(sym, "calm", n, 60.0, 2)
    sigma = base * _VOL_MULT[calm]
    drift = _TRENDS[trend] * (base / 0.017)
    z = np.clip(_rng(sym, "z").standard_t(4, size=n) / np.sqrt(2.0), -6, 6)
    phi = 1.0 - base**2 / (2 * _LEVEL_SD**2)
    dev = ar1(drift + sigma * z, phi)
    close = meta.demo_price * np.exp(dev)
    gap_scale = 0.05 if meta.asset_class == "crypto" else 0.35
    gaps = _rng(sym, "gap").normal(0.0, 1.0, size=n) * sigma * gap_scale
    prev = np.concatenate(([close[0] / np.exp(drift[0] + sigma[0] * z[0])], close[:-1]))
    open_ = prev * np.exp(gaps)
    upper = np.abs(_rng(sym, "upper wick").normal(0.0, 0.55, size=n)) * sigma
    lower = np.abs(_rng(sym, "lower wick").normal(0.0, 0.55, size=n)) * sigma
    high = np.maximum(open_, close) * np.exp(upper)
    low = np.minimum(open_, close) * np.exp(-lower)
    ret = np.abs(np.log(close / prev))
    noise = np.exp(_rng(sym, "volume").normal(0.0, 0.35, size=n))
    volume = np.round(meta.demo_volume * noise * (0.65 + 0.35 * ret / sigma) * (1 + 0.3 * calm))
    adj = close * _dividend_factor(meta, close, n)
    price_round = 2 if meta.demo_price >= 1 else 6
    return {"open": open_.round(price_round), "high": high.round(price_round), "low": low.round(price_round),
            "close": close.round(price_round), "adj_close": adj, "volume": volume}


def _dividend_factor(meta: InstrumentMeta, close: np.ndarray, n: int) -> np.ndarray:
    """Back-adjustment factor for quarterly dividends (~1.2% a year) on equities; 1 otherwise."""
    if meta.asset_class != "equity" or n < 2:
        return np.ones(n)
    offset = int(_rng(meta.symbol, "div").integers(10, 63))
    ex = np.arange(offset, n, 63)
    step = np.ones(n)
    step[ex] = 1.0 - 0.003 * close[ex - 1] / close[ex - 1]  # 0.3% of the previous close
    # factor_t = product of (1 - d/close) over ex-dates after t
    after = np.cumprod(step[::-1])[::-1]
    return np.concatenate((after[1:], [1.0]))


def _daily_bars(meta: InstrumentMeta, start: pd.Timestamp, last_day: pd.Timestamp) -> pd.DataFrame:
    anchor = min(DEMO_EPOCH, start.normalize())
    dates = sessions(meta.symbol, anchor, last_day)
    if len(dates) == 0:
        return empty_bars()
    first = int(dates.searchsorted(start.normalize()))
    path = _daily_path(meta, len(dates))
    return pd.DataFrame({c: path[c][first:] for c in BAR_COLUMNS}, index=dates[first:])


def _weekly(daily: pd.DataFrame) -> pd.DataFrame:
    """Weekly bars labelled by the Monday of each week."""
    if daily.empty:
        return daily
    week = daily.index - pd.to_timedelta(daily.index.dayofweek, unit="D")
    grouped = daily.groupby(week)
    out = pd.DataFrame({"open": grouped["open"].first(), "high": grouped["high"].max(),
                        "low": grouped["low"].min(), "close": grouped["close"].last(),
                        "adj_close": grouped["adj_close"].last(), "volume": grouped["volume"].sum()})
    return finish_bars(out)


def _intraday(meta: InstrumentMeta, daily: pd.DataFrame, interval: str) -> pd.DataFrame:
    """Intraday bars inside regular hours, pinned to each day's open and close (Brownian bridge)."""
    step = INTERVALS[interval]
    open_t, close_t = REGULAR_HOURS[meta.calendar]
    minutes = 1440 if meta.calendar == "24/7" else (close_t.hour * 60 + close_t.minute) - (
        open_t.hour * 60 + open_t.minute)
    k = int(np.ceil(minutes / (step.total_seconds() / 60)))
    local_open = daily.index.tz_localize(None) + pd.Timedelta(hours=open_t.hour, minutes=open_t.minute)
    starts = local_open.tz_localize(meta.timezone).tz_convert("UTC")
    j = np.arange(1, k + 1) / k
    u_shape = 1.0 + 1.5 * (2 * (np.arange(k) + 0.5) / k - 1) ** 2
    u_shape /= u_shape.sum()
    frames = []
    for day, t0, row in zip(daily.index, starts, daily.itertuples(index=False)):
        rng = _rng(meta.symbol, interval, day.date().toordinal())
        s = abs(np.log(row.high / row.low)) / 2.5 / np.sqrt(k) + 1e-6
        walk = np.cumsum(rng.normal(0.0, s, size=k))
        lo, lc = np.log(row.open), np.log(row.close)
        path = np.concatenate(([lo], lo + walk - j * walk[-1] + j * (lc - lo)))
        o, c = np.exp(path[:-1]), np.exp(path[1:])
        wick = np.abs(rng.normal(0.0, 0.5 * s, size=(2, k)))
        ret = np.abs(np.diff(path))
        vol = np.round(row.volume * u_shape * np.exp(rng.normal(0, 0.3, k)) * (0.5 + 0.5 * ret / s))
        index = t0 + step * np.arange(k)
        frames.append(pd.DataFrame({"open": o, "high": np.maximum(o, c) * np.exp(wick[0]),
                                    "low": np.minimum(o, c) * np.exp(-wick[1]), "close": c,
                                    "adj_close": c * row.adj_close / row.close, "volume": vol}, index=index))
    return finish_bars(pd.concat(frames)) if frames else empty_bars()


def generate_demo_bars(
    symbol: str, interval: str = "1d", start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None, now: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Demo bars for `symbol` in [start, end), never later than `now` (default: the current time).

    Default window: 10 years for 1d/1wk; intraday starts are clamped to the last 729 days (1h),
    7 days (1m) or 59 days (other intraday), as Yahoo does.
    Raises UnknownSymbol for a malformed symbol and DataError for an unsupported interval.
    """
    check_interval(interval)
    try:
        meta = instrument_for(symbol)
    except DataError as exc:
        raise UnknownSymbol(str(exc)) from None
    now = to_utc(now) or pd.Timestamp.now(tz="UTC")
    hi = min(to_utc(end) or now, now) if end is not None else now
    earliest = (now - DEFAULT_LOOKBACK.get(interval, pd.Timedelta(days=59))).normalize()
    lo = to_utc(start) or earliest
    if is_intraday(interval):  # like Yahoo, intraday history is recent only
        lo = max(lo, earliest)
    if hi <= lo:
        return empty_bars()
    last_day = (hi - pd.Timedelta(microseconds=1)).normalize() if end is not None else hi.normalize()
    daily = _daily_bars(meta, lo, last_day)
    if interval == "1d":
        bars = daily
    elif interval == "1wk":
        bars = _weekly(daily)
    else:
        bars = _intraday(meta, daily, interval)
        bars = bars[(bars.index >= lo) & (bars.index <= now)]
    if end is not None:
        bars = bars[bars.index < hi]
    return bars


class DemoProvider(Provider):
    """Offline provider of generated bars (source "demo"); `now` pins the clock for tests."""

    name = "demo"

    def __init__(self, now: pd.Timestamp | None = None) -> None:
        self._now = now

    def fetch(
        self, symbol: str, interval: str = "1d", start: pd.Timestamp | str | None = None,
        end: pd.Timestamp | str | None = None, period: str | None = None,
    ) -> pd.DataFrame:
        """Demo bars in [start, end) or for the last `period`; see generate_demo_bars."""
        now = to_utc(self._now) or pd.Timestamp.now(tz="UTC")
        if period is not None:
            if start is not None or end is not None:
                raise DataError("give either a period or start/end dates, not both")
            offset = period_offset(period)
            start = DEMO_EPOCH if offset is None else (now - offset).normalize()
        return generate_demo_bars(symbol, interval, start, end, now)
