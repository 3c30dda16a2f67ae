"""Yahoo Finance provider over yfinance: one network function, error mapping, bar labels, throttle.

Offline versus unknown symbol: offline, yfinance either raises a DNS/connection error (mapped to
ProviderOffline) or, when it fetched the ticker's time zone first, reports the ticker as "possibly
delisted" just like an unknown one. `_download` therefore answers every empty or "missing ticker"
result by resolving Yahoo's host name: if that fails the failure is ProviderOffline, otherwise the
symbol really has no data and the failure is UnknownSymbol.
"""

from __future__ import annotations

import logging
import socket
import warnings

import pandas as pd

from engine.data.providers.base import (
    Provider,
    Throttle,
    check_interval,
    empty_bars,
    finish_bars,
    is_intraday,
    to_utc,
)
from engine.errors import (
    DataError,
    ProviderOffline,
    QuantdeskError,
    RateLimited,
    TransientProviderError,
    UnknownSymbol,
)

YAHOO_HOST = "query2.finance.yahoo.com"
# How far back Yahoo serves intraday bars (a little inside its documented limits).
INTRADAY_LOOKBACK = {
    "1m": pd.Timedelta(days=7), "5m": pd.Timedelta(days=59), "15m": pd.Timedelta(days=59),
    "30m": pd.Timedelta(days=59), "1h": pd.Timedelta(days=729),
}
_COLUMNS = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Adj Close": "adj_close",
            "Volume": "volume"}
_THROTTLE = Throttle()  # process-wide: every YahooProvider shares it

# yfinance logs through "yfinance"; without a handler Python would print its warnings to stderr.
logging.getLogger("yfinance").addHandler(logging.NullHandler())
warnings.filterwarnings("ignore", message="'raise_errors' deprecated", category=DeprecationWarning)


def _host_resolves(host: str = YAHOO_HOST) -> bool:
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def _download(
    symbol: str, interval: str, start: str | int | None, end: str | int | None, period: str | None
) -> pd.DataFrame:
    """The only code that touches the network: yfinance's raw frame (exchange-local index).

    Raises yfinance/HTTP exceptions as they come, and ConnectionError when Yahoo's host does not
    resolve after an empty or "missing ticker" answer (see the module docstring).
    """
    import yfinance as yf
    from yfinance.exceptions import YFTickerMissingError

    kwargs: dict = {"interval": interval, "auto_adjust": False, "actions": False, "raise_errors": True}
    if period is not None:
        kwargs["period"] = period
    else:
        kwargs.update(start=start, end=end)
    try:
        raw = yf.Ticker(symbol).history(**kwargs)
    except YFTickerMissingError:
        if not _host_resolves():
            raise ConnectionError(f"cannot resolve {YAHOO_HOST}") from None
        raise
    if raw.empty and not _host_resolves():
        raise ConnectionError(f"cannot resolve {YAHOO_HOST}")
    return raw


def map_error(exc: BaseException, symbol: str) -> QuantdeskError:
    """Translate a yfinance/HTTP exception into the Quantdesk error the caller should act on."""
    if isinstance(exc, QuantdeskError):
        return exc
    names = {cls.__name__ for cls in type(exc).__mro__}
    text = str(exc)
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if "YFRateLimitError" in names or status == 429 or "Too Many Requests" in text:
        return RateLimited(f"Yahoo Finance is rate-limiting requests ({symbol}); wait a minute and sync again")
    if names & {"Timeout", "TimeoutError", "ReadTimeout", "ConnectTimeout"}:
        return TransientProviderError(f"Yahoo Finance timed out for {symbol}; try again")
    if names & {"ConnectionError", "DNSError", "ProxyError", "gaierror", "SSLError"}:
        what = "host name did not resolve" if names & {"DNSError", "gaierror"} or "resolve" in text else type(exc).__name__
        return ProviderOffline(f"cannot reach Yahoo Finance ({what}); check the network connection")
    if (isinstance(status, int) and status >= 500) or "CURRENTLY DOWN" in text:
        return TransientProviderError(f"Yahoo Finance is failing (HTTP {status or 'error'}) for {symbol}; try later")
    if "YFInvalidPeriodError" in names:
        return DataError(f"Yahoo Finance rejected the period for {symbol}: {text}")
    if "YFTickerMissingError" in names:
        return UnknownSymbol(
            f"Yahoo Finance has no data for {symbol} ({text.split(': ', 1)[-1]}); check the ticker "
            "(NSE shares end in .NS, e.g. INFY.NS) and the dates"
        )
    return TransientProviderError(f"Yahoo Finance request for {symbol} failed: {type(exc).__name__}: {text}")


def normalise_yahoo(raw: pd.DataFrame, interval: str) -> pd.DataFrame:
    """yfinance's frame → bars: daily/weekly labelled 00:00 UTC of the exchange-local date,
    intraday by UTC open time; `Adj Close` kept as adj_close (close when absent)."""
    frame = raw.copy()
    if isinstance(frame.columns, pd.MultiIndex):  # yf.download layout: (Price, Ticker)
        level = next(i for i in range(frame.columns.nlevels) if "Close" in frame.columns.get_level_values(i))
        frame.columns = frame.columns.get_level_values(level)
    missing = [c for c in ("Open", "High", "Low", "Close") if c not in frame.columns]
    if missing:
        raise DataError(f"Yahoo Finance answered without columns {missing}; found {list(frame.columns)}")
    if "Adj Close" not in frame.columns:
        frame["Adj Close"] = frame["Close"]
    if "Volume" not in frame.columns:
        frame["Volume"] = 0.0
    frame = frame.rename(columns=_COLUMNS)
    frame = frame.dropna(how="all", subset=["open", "high", "low", "close"])
    frame["volume"] = frame["volume"].fillna(0.0)
    index = pd.DatetimeIndex(frame.index)
    if index.tz is None:
        index = index.tz_localize("UTC")
    if is_intraday(interval):
        frame.index = index.tz_convert("UTC")
    else:
        frame.index = index.tz_localize(None).normalize().tz_localize("UTC")
    return finish_bars(frame)


class YahooProvider(Provider):
    """Bars from Yahoo Finance. Intervals: 1d, 1wk, 1h, 30m, 15m, 5m, 1m (intraday only recent:
    1m for 7 days, ≤30m for 59 days, 1h for 729 days; older starts are clamped)."""

    name = "yfinance"

    def __init__(self, min_interval_s: float = 0.5, throttle: Throttle | None = None) -> None:
        self.min_interval_s = min_interval_s
        self._throttle = throttle or _THROTTLE

    def fetch(
        self, symbol: str, interval: str = "1d", start: pd.Timestamp | str | None = None,
        end: pd.Timestamp | str | None = None, period: str | None = None,
    ) -> pd.DataFrame:
        """Bars in [start, end) or for `period` (e.g. "5y", "max"); raises the engine/errors.py classes."""
        check_interval(interval)
        lo, hi = to_utc(start), to_utc(end)
        if period is not None and (lo is not None or hi is not None):
            raise DataError("give either a period or start/end dates, not both")
        intraday = is_intraday(interval)
        if intraday:
            earliest = pd.Timestamp.now(tz="UTC") - INTRADAY_LOOKBACK[interval]
            if lo is None and period is None:
                lo = earliest
            elif lo is not None:
                lo = max(lo, earliest)
        elif lo is None and hi is None and period is None:
            period = "max"
        start_arg = None if lo is None else (int(lo.timestamp()) if intraday else lo.strftime("%Y-%m-%d"))
        end_arg = None if hi is None else (int(hi.timestamp()) if intraday else hi.strftime("%Y-%m-%d"))
        self._throttle.wait(self.min_interval_s)
        try:
            raw = _download(symbol, interval, start_arg, end_arg, period)
        except Exception as exc:  # every failure is mapped to an engine error below
            raise map_error(exc, symbol) from exc
        if raw is None or raw.empty:
            raise UnknownSymbol(f"Yahoo Finance returned no bars for {symbol}; check the ticker and the dates")
        bars = normalise_yahoo(raw, interval)
        if lo is not None:
            bars = bars[bars.index >= (lo if intraday else lo.normalize())]
        if hi is not None:
            bars = bars[bars.index < hi]
        return bars if not bars.empty else empty_bars()
