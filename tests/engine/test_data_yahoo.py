"""Yahoo provider: yfinance-shaped frames through the adapter, error mapping, throttle, fake-HTTP contract."""

from __future__ import annotations

import json
import socket

import pandas as pd
import pytest

from engine.data.providers import yahoo
from engine.data.providers.base import Throttle
from engine.data.providers.yahoo import YahooProvider, map_error, normalise_yahoo
from engine.errors import (
    DataError,
    ProviderOffline,
    RateLimited,
    TransientProviderError,
    UnknownSymbol,
)


def yf_daily(tz: str = "Asia/Kolkata", days: tuple[str, ...] = ("2024-01-01", "2024-01-02", "2024-01-03")):
    """A frame shaped exactly like Ticker.history(auto_adjust=False, actions=False) for daily bars."""
    index = pd.DatetimeIndex([pd.Timestamp(d, tz=tz) for d in days], name="Date").as_unit("s")
    return pd.DataFrame(
        {"Open": [1500.0, 1510.0, 1490.0][: len(days)], "High": [1520.0, 1515.0, 1500.0][: len(days)],
         "Low": [1495.0, 1500.0, 1480.0][: len(days)], "Close": [1510.0, 1505.0, 1495.0][: len(days)],
         "Adj Close": [1500.0, 1495.0, 1485.0][: len(days)],
         "Volume": pd.array([100000, 120000, 90000][: len(days)], dtype="int64")},
        index=index,
    )


def yf_intraday():
    index = pd.DatetimeIndex(
        [pd.Timestamp("2024-01-02 09:15", tz="Asia/Kolkata"), pd.Timestamp("2024-01-02 09:20", tz="Asia/Kolkata")],
        name="Datetime",
    )
    return pd.DataFrame({"Open": [10.0, 11.0], "High": [11.5, 11.6], "Low": [9.9, 10.8], "Close": [11.0, 11.2],
                         "Adj Close": [11.0, 11.2], "Volume": [500, 700]}, index=index)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch):
    """Replace the network boundary; tests put a frame or an exception in `calls["answer"]`."""
    record: dict = {"args": [], "answer": yf_daily()}

    def fake(symbol, interval, start, end, period):
        record["args"].append((symbol, interval, start, end, period))
        answer = record["answer"]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(yahoo, "_download", fake)
    return record


def provider() -> YahooProvider:
    return YahooProvider(min_interval_s=0.0)


def test_daily_bars_are_relabelled_to_utc_midnight_of_the_session_date(calls):
    bars = provider().fetch("INFY.NS", "1d", start="2024-01-01", end="2024-01-04")
    assert list(bars.columns) == ["open", "high", "low", "close", "adj_close", "volume"]
    assert bars.index.name == "ts" and str(bars.index.tz) == "UTC"
    assert list(bars.index) == [pd.Timestamp(d, tz="UTC") for d in ("2024-01-01", "2024-01-02", "2024-01-03")]
    assert bars["adj_close"].tolist() == [1500.0, 1495.0, 1485.0]  # Adj Close kept, not applied
    assert bars["close"].tolist() == [1510.0, 1505.0, 1495.0]
    assert (bars.dtypes == "float64").all()
    assert calls["args"] == [("INFY.NS", "1d", "2024-01-01", "2024-01-04", None)]


def test_us_daily_bars_keep_their_new_york_date():
    raw = yf_daily(tz="America/New_York")
    bars = normalise_yahoo(raw, "1d")
    # 00:00 New York is 05:00 UTC; the label must stay on the session date, not shift a day
    assert bars.index[0] == pd.Timestamp("2024-01-01", tz="UTC")


def test_intraday_bars_are_labelled_by_utc_open_time(calls):
    calls["answer"] = yf_intraday()
    bars = provider().fetch("INFY.NS", "5m", period="5d")
    assert list(bars.index) == [pd.Timestamp("2024-01-02 03:45", tz="UTC"), pd.Timestamp("2024-01-02 03:50", tz="UTC")]
    assert calls["args"][0][1:] == ("5m", None, None, "5d")


def test_intraday_start_is_clamped_to_yahoos_window_and_sent_as_epoch(calls):
    calls["answer"] = yf_intraday()
    provider().fetch("INFY.NS", "15m", start="2010-01-01")
    start = calls["args"][0][2]
    assert isinstance(start, int)
    assert pd.Timestamp.now(tz="UTC") - pd.Timestamp(start, unit="s", tz="UTC") <= pd.Timedelta(days=60)


def test_multiindex_download_layout_is_flattened():
    raw = yf_daily()
    raw.columns = pd.MultiIndex.from_product([raw.columns, ["INFY.NS"]], names=["Price", "Ticker"])
    assert normalise_yahoo(raw, "1d")["close"].iloc[-1] == 1495.0


def test_unsupported_interval_and_bad_dates_are_data_errors(calls):
    with pytest.raises(DataError, match="1d, 1wk, 1h, 30m, 15m, 5m, 1m"):
        provider().fetch("INFY.NS", "2h")
    with pytest.raises(DataError, match="not a date"):
        provider().fetch("INFY.NS", "1d", start="2024-13-45")
    with pytest.raises(DataError, match="either a period"):
        provider().fetch("INFY.NS", "1d", start="2024-01-01", period="5y")
    assert calls["args"] == []


def test_empty_answer_while_online_is_unknown_symbol(calls):
    calls["answer"] = yf_daily().iloc[:0]
    with pytest.raises(UnknownSymbol, match="NOPE.NS"):
        provider().fetch("NOPE.NS")


class _YFRateLimitError(Exception):
    pass


_YFRateLimitError.__name__ = "YFRateLimitError"


class _Response:
    def __init__(self, status: int) -> None:
        self.status_code = status


class _HTTPError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP Error {status}")
        self.response = _Response(status)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (_YFRateLimitError("Too Many Requests. Rate limited. Try after a while."), RateLimited),
        (_HTTPError(429), RateLimited),
        (Exception("429 Client Error: Too Many Requests"), RateLimited),
        (TimeoutError("read timed out"), TransientProviderError),
        (_HTTPError(503), TransientProviderError),
        (ConnectionError("cannot resolve query2.finance.yahoo.com"), ProviderOffline),
        (socket.gaierror(-2, "Name or service not known"), ProviderOffline),
    ],
)
def test_errors_are_mapped_to_what_the_caller_should_do(calls, exc, expected):
    calls["answer"] = exc
    with pytest.raises(expected) as info:
        provider().fetch("INFY.NS")
    assert type(info.value) is expected  # RateLimited is a TransientProviderError: be exact
    assert "\n" not in str(info.value)


def test_curl_dns_error_and_timeout_classes_map_correctly():
    from curl_cffi.requests import exceptions as curl

    assert isinstance(map_error(curl.DNSError("Could not resolve host"), "X"), ProviderOffline)
    assert type(map_error(curl.ConnectTimeout("timeout"), "X")) is TransientProviderError
    assert type(map_error(curl.ReadTimeout("timeout"), "X")) is TransientProviderError


def test_yfinance_ticker_missing_errors_are_unknown_symbol():
    from yfinance.exceptions import YFPricesMissingError, YFTzMissingError

    assert isinstance(map_error(YFTzMissingError("NOPE.NS"), "NOPE.NS"), UnknownSymbol)
    assert isinstance(map_error(YFPricesMissingError("NOPE.NS", ""), "NOPE.NS"), UnknownSymbol)


def test_download_reports_offline_when_yahoo_does_not_resolve(monkeypatch):
    """Offline, yfinance may call a real ticker 'possibly delisted': the DNS probe decides."""
    from yfinance.exceptions import YFTzMissingError

    class Ticker:
        def __init__(self, symbol):
            self.symbol = symbol

        def history(self, **kwargs):
            raise YFTzMissingError(self.symbol)

    import yfinance

    monkeypatch.setattr(yfinance, "Ticker", Ticker)
    monkeypatch.setattr(yahoo, "_host_resolves", lambda host=yahoo.YAHOO_HOST: False)
    with pytest.raises(ProviderOffline):
        provider().fetch("INFY.NS", start="2024-01-01")
    monkeypatch.setattr(yahoo, "_host_resolves", lambda host=yahoo.YAHOO_HOST: True)
    with pytest.raises(UnknownSymbol):
        provider().fetch("INFY.NS", start="2024-01-01")


def test_throttle_spaces_requests_across_threads():
    import threading

    clock = {"t": 0.0}
    slept: list[float] = []
    throttle = Throttle(clock=lambda: clock["t"], sleep=slept.append)
    threads = [threading.Thread(target=throttle.wait, args=(0.5,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(slept) == [0.5, 1.0, 1.5]  # the clock never moved: each caller waits its slot


def test_provider_waits_on_the_shared_throttle(calls):
    waits: list[float] = []

    class Recorder(Throttle):
        def wait(self, min_interval_s: float) -> float:
            waits.append(min_interval_s)
            return 0.0

    YahooProvider(min_interval_s=0.7, throttle=Recorder()).fetch("INFY.NS", "1d", start="2024-01-01")
    assert waits == [0.7]


# --- contract test: the real yfinance parsing behind a fake HTTP transport -----------------------------

def _chart_payload(symbol: str) -> dict:
    days = ("2024-01-01", "2024-01-02", "2024-01-03")
    stamps = [int(pd.Timestamp(f"{d} 09:15", tz="Asia/Kolkata").timestamp()) for d in days]
    period = {"timezone": "IST", "start": 1704253500, "end": 1704276000, "gmtoffset": 19800}
    meta = {
        "currency": "INR", "symbol": symbol, "exchangeName": "NSI", "instrumentType": "EQUITY",
        "firstTradeDate": 820467900, "regularMarketTime": 1704274200, "gmtoffset": 19800, "timezone": "IST",
        "exchangeTimezoneName": "Asia/Kolkata", "regularMarketPrice": 1495.0, "priceHint": 2,
        "currentTradingPeriod": {"pre": period, "regular": period, "post": period},
        "dataGranularity": "1d", "range": "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    quote = {"open": [1500.0, 1510.0, 1490.0], "high": [1520.0, 1515.0, 1500.0],
             "low": [1495.0, 1500.0, 1480.0], "close": [1510.0, 1505.0, 1495.0], "volume": [100000, 120000, 90000]}
    return {"chart": {"result": [{"meta": meta, "timestamp": stamps,
                                  "indicators": {"quote": [quote], "adjclose": [{"adjclose": [1500.0, 1495.0, 1485.0]}]}}],
                      "error": None}}


@pytest.fixture
def fake_yahoo_http():
    """Point yfinance's process-wide session at an in-memory transport; restore it afterwards."""
    import requests
    from requests.adapters import BaseAdapter
    from requests.models import Response
    from yfinance.data import YfData

    seen: list[str] = []

    class Transport(BaseAdapter):
        def send(self, request, **kwargs):
            seen.append(request.url)
            response = Response()
            response.status_code, response.url, response.request = 200, request.url, request
            if "/v8/finance/chart/" in request.url:
                symbol = request.url.split("/v8/finance/chart/")[1].split("?")[0]
                response._content = json.dumps(_chart_payload(symbol)).encode()
                response.headers["Content-Type"] = "application/json"
            else:  # cookie and crumb endpoints
                response._content = b"crumb"
            return response

        def close(self):
            pass

    session = requests.Session()
    session.mount("https://", Transport())
    session.mount("http://", Transport())
    data = YfData()
    old = data._session
    YfData(session=session)
    yield seen
    YfData(session=old)
    data._crumb = data._cookie = None


def test_contract_real_yfinance_parsing_through_fake_transport(fake_yahoo_http, monkeypatch):
    monkeypatch.setattr(yahoo, "_host_resolves", lambda host=yahoo.YAHOO_HOST: pytest.fail("no DNS probe"))
    bars = provider().fetch("INFY.NS", "1d", start="2024-01-01", end="2024-01-04")
    assert any("/v8/finance/chart/INFY.NS" in url for url in fake_yahoo_http)
    assert all(url.startswith("https://") and "yahoo.com" in url for url in fake_yahoo_http)
    assert list(bars.index) == [pd.Timestamp(d, tz="UTC") for d in ("2024-01-01", "2024-01-02", "2024-01-03")]
    assert bars.loc["2024-01-02", "open"] == 1510.0
    assert bars.loc["2024-01-02", "adj_close"] == 1495.0
    assert bars.loc["2024-01-03", "volume"] == 90000.0
