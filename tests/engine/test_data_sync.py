"""Sync service: incremental upserts, retries, failures recorded, offline fallback, revisions, status."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.data.providers.base import Provider
from engine.data.providers.demo import generate_demo_bars
from engine.data.retry import RetryPolicy
from engine.data.sync import data_status, ensure_default_data, load_bars, sync_symbols
from engine.errors import (
    DataError,
    ProviderOffline,
    RateLimited,
    TransientProviderError,
    UnknownSymbol,
)
from storage.candles import load_candles, sources, upsert_candles
from storage.db import transaction
from storage.instruments import get_instrument
from storage.sync_runs import recent_runs

NOW = pd.Timestamp("2024-06-28 12:00", tz="UTC")


class Stub(Provider):
    """A provider serving a fixed 'world' of bars; `errors` are raised first, one per call."""

    name = "yfinance"

    def __init__(self, now: pd.Timestamp = NOW, errors: list | None = None) -> None:
        self.now, self.errors, self.calls = now, list(errors or []), []
        self.tweak = None  # optional function applied to every answer

    def world(self, symbol: str) -> pd.DataFrame:
        return generate_demo_bars(symbol, start="2023-01-01", now=self.now)

    def fetch(self, symbol, interval="1d", start=None, end=None, period=None):
        self.calls.append({"symbol": symbol, "start": start, "end": end, "period": period})
        if self.errors:
            error = self.errors.pop(0)
            if error is not None:
                raise error
        if symbol.startswith("NOPE"):
            raise UnknownSymbol(f"no data for {symbol}")
        bars = self.world(symbol)
        if start is not None:
            bars = bars[bars.index >= pd.Timestamp(start)]
        if end is not None:
            bars = bars[bars.index < pd.Timestamp(end)]
        return self.tweak(bars) if self.tweak else bars


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def retry(waits) -> RetryPolicy:
    return RetryPolicy(attempts=4, base_wait_s=1.0, sleep=waits.append)


def runs(db_engine) -> pd.DataFrame:
    return recent_runs(db_engine).sort_values("id").reset_index(drop=True)


def test_first_sync_stores_history_and_instrument(db_engine, retry):
    stub = Stub()
    [result] = sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry)
    world = stub.world("INFY.NS")
    assert (result.status, result.rows, result.source) == ("ok", len(world), "yfinance")
    assert result.as_of == world.index[-1]
    assert stub.calls[0]["start"] == pd.Timestamp("2023-01-01", tz="UTC")
    stored = load_candles(db_engine, "INFY.NS")
    pd.testing.assert_frame_equal(stored.drop(columns="source"), world, check_freq=False, check_index_type=False)
    info = get_instrument(db_engine, "INFY.NS")
    assert (info.exchange, info.currency, info.timezone) == ("NSE", "INR", "Asia/Kolkata")
    run = runs(db_engine).iloc[-1]
    assert (run.status, run.rows, run.provider, run.error) == ("ok", len(world), "yfinance", "")
    assert run.finished_at is not None


def test_sync_twice_gives_the_same_rows_and_fetches_only_the_overlap(db_engine, retry):
    stub = Stub()
    sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry)
    first = load_candles(db_engine, "INFY.NS")
    [again] = sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry)
    pd.testing.assert_frame_equal(load_candles(db_engine, "INFY.NS"), first, check_index_type=False)
    assert stub.calls[1]["start"] == first.index[-3]  # overlap_bars=3: from the third-newest bar
    assert again.rows == 3 and again.status == "ok"


def test_incremental_sync_asks_only_for_the_missing_range(db_engine, retry):
    stub = Stub()
    sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry, overlap_bars=2)
    stored = load_candles(db_engine, "INFY.NS")
    stub.now = NOW + pd.Timedelta(days=7)  # five more sessions happen
    [result] = sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry, overlap_bars=2)
    assert stub.calls[-1]["start"] == stored.index[-2]
    assert result.rows == 2 + 5
    after = load_candles(db_engine, "INFY.NS")
    assert len(after) == len(stored) + 5 and after.index.is_unique
    assert result.as_of == pd.Timestamp("2024-07-05", tz="UTC")


def test_revised_history_triggers_a_full_refetch(db_engine, retry):
    stub = Stub()
    sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry)
    first_ts = load_candles(db_engine, "INFY.NS").index[0]

    def new_dividend(bars):  # every earlier adj_close shrinks by 1%
        bars = bars.copy()
        bars["adj_close"] *= 0.99
        return bars

    stub.tweak = new_dividend
    sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry)
    assert [c["start"] for c in stub.calls[1:]] == [load_candles(db_engine, "INFY.NS").index[-3], first_ts]
    stored = load_candles(db_engine, "INFY.NS")
    world = stub.world("INFY.NS")
    pd.testing.assert_series_equal(stored["adj_close"], world["adj_close"] * 0.99, check_freq=False, check_index_type=False)


def test_a_still_open_last_bar_is_not_a_revision(db_engine, retry):
    stub = Stub()
    sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry)

    def moved_today(bars):
        bars = bars.copy()
        bars.loc[bars.index[-1], ["close", "adj_close", "high"]] *= 1.02
        return bars

    stub.tweak = moved_today
    sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry)
    assert len(stub.calls) == 2  # no full re-fetch


def test_transient_failures_are_retried_with_backoff(db_engine, retry, waits):
    stub = Stub(errors=[TransientProviderError("timeout"), RateLimited("slow down"), None])
    [result] = sync_symbols(db_engine, ["INFY.NS"], start="2024-01-01", provider=stub, retry=retry)
    assert result.status == "ok" and len(stub.calls) == 3
    assert len(waits) == 2
    assert 0 <= waits[0] <= 1.0  # full jitter: uniform(0, base)
    assert waits[1] >= 1.0  # after RateLimited: at least one base wait more


def test_exhausted_retries_are_recorded_and_stored_bars_stay(db_engine, retry):
    stub = Stub()
    sync_symbols(db_engine, ["INFY.NS"], start="2023-01-01", provider=stub, retry=retry)
    before = load_candles(db_engine, "INFY.NS")
    stub.errors = [TransientProviderError("HTTP 503")] * 4
    [result] = sync_symbols(db_engine, ["INFY.NS"], provider=stub, retry=retry)
    assert result.status == "failed" and "503" in result.error and len(stub.calls) == 1 + 4
    assert result.as_of == before.index[-1]
    pd.testing.assert_frame_equal(load_candles(db_engine, "INFY.NS"), before)
    run = runs(db_engine).iloc[-1]
    assert (run.status, run.rows) == ("failed", 0) and "503" in run.error and run.finished_at is not None


@pytest.mark.parametrize("error", [UnknownSymbol("no such ticker"), DataError("bad answer")])
def test_permanent_failures_are_not_retried(db_engine, retry, waits, error):
    stub = Stub(errors=[error])
    [result] = sync_symbols(db_engine, ["INFY.NS"], provider=stub, retry=retry)
    assert result.status == "failed" and len(stub.calls) == 1 and waits == []
    assert runs(db_engine).iloc[-1].error == str(error)
    assert load_candles(db_engine, "INFY.NS").empty


def test_one_bad_symbol_does_not_stop_the_others(db_engine, retry):
    progress = []
    results = sync_symbols(db_engine, ["NOPE.NS", "not a symbol", "TCS.NS"], start="2024-01-01",
                           provider=Stub(), retry=retry, progress=lambda *a: progress.append(a))
    assert [r.status for r in results] == ["failed", "failed", "ok"]
    assert "not a valid symbol" in results[1].error
    assert progress == [(1, 3, "NOPE.NS"), (3, 3, "TCS.NS")]
    assert set(runs(db_engine)["symbol"]) == {"NOPE.NS", "TCS.NS"}


def test_offline_asks_once_then_falls_back_to_demo_never_over_real(db_engine, retry):
    stub = Stub()
    sync_symbols(db_engine, ["TCS.NS"], start="2024-01-01", provider=stub, retry=retry)
    real_before = load_candles(db_engine, "TCS.NS")
    offline = Stub(errors=[ProviderOffline("cannot reach Yahoo Finance")] * 10)
    results = sync_symbols(db_engine, ["INFY.NS", "TCS.NS", "AAPL"], start="2024-01-01",
                           provider=offline, retry=retry)
    assert len(offline.calls) == 1  # the network is not hammered
    assert [r.status for r in results] == ["demo", "skipped", "demo"]
    assert all(r.error.startswith("offline: ") for r in results)
    pd.testing.assert_frame_equal(load_candles(db_engine, "TCS.NS"), real_before)
    with transaction(db_engine) as s:
        assert sources(s, "INFY.NS", "1d") == {"demo"} and sources(s, "TCS.NS", "1d") == {"yfinance"}
    assert results[0].rows > 100 and results[0].as_of is not None
    last = runs(db_engine).tail(3)
    assert list(last.status) == ["demo", "skipped", "demo"] and last.error.str.startswith("offline: ").all()
    status = data_status(db_engine)
    assert status.offline and status.is_demo
    assert status.as_of == real_before.index[-1]  # newest *real* bar
    assert status.badge.startswith(f"offline — data as of {real_before.index[-1]:%Y-%m-%d}")
    assert "demo data" in status.badge
    newest_demo = max(load_candles(db_engine, sym).index[-1] for sym in ("INFY.NS", "AAPL"))
    assert status.newest == max(newest_demo, real_before.index[-1])  # any source, for "Newest bar"


def test_offline_without_demo_fallback_skips(db_engine, retry):
    offline = Stub(errors=[ProviderOffline("no network")] * 3)
    results = sync_symbols(db_engine, ["INFY.NS", "TCS.NS"], provider=offline, retry=retry, demo_fallback=False)
    assert [r.status for r in results] == ["skipped", "skipped"] and len(offline.calls) == 1
    assert load_candles(db_engine, "INFY.NS").empty


def test_real_data_replaces_demo_data(db_engine, retry):
    sync_symbols(db_engine, ["INFY.NS"], start="2024-01-01", retry=retry,
                 provider=Stub(errors=[ProviderOffline("offline")]))
    stub = Stub()
    [result] = sync_symbols(db_engine, ["INFY.NS"], start="2024-01-01", provider=stub, retry=retry)
    assert stub.calls[0]["start"] == pd.Timestamp("2024-01-01", tz="UTC")  # full history, not incremental
    assert result.status == "ok"
    with transaction(db_engine) as s:
        assert sources(s, "INFY.NS", "1d") == {"yfinance"}
    status = data_status(db_engine)
    assert not status.is_demo and not status.offline and status.last_real_sync is not None
    assert status.badge == ""


def test_a_write_failure_is_recorded_and_stored_bars_stay(db_engine, retry):
    sync_symbols(db_engine, ["INFY.NS"], start="2024-01-01", provider=Stub(), retry=retry)
    before = load_candles(db_engine, "INFY.NS")

    class DemoStub(Stub):
        name = "demo"

    [result] = sync_symbols(db_engine, ["INFY.NS"], provider=DemoStub(), retry=retry, backfill=True)
    assert result.status == "failed" and "demo bars are not mixed in" in result.error
    assert runs(db_engine).iloc[-1].status == "failed"
    pd.testing.assert_frame_equal(load_candles(db_engine, "INFY.NS"), before)


def test_repairs_are_applied_before_storing(db_engine, retry):
    stub = Stub()

    def with_defects(bars):
        bars = bars.copy()
        bars.loc[bars.index[5], "high"] = bars["low"].iloc[5] * 0.99  # would break the CHECK constraint
        saturday = pd.Timestamp("2024-01-06", tz="UTC")
        return pd.concat([bars, bars.iloc[[6]].set_axis([saturday])]).sort_index()

    stub.tweak = with_defects
    [result] = sync_symbols(db_engine, ["INFY.NS"], start="2024-01-01", provider=stub, retry=retry)
    stored = load_candles(db_engine, "INFY.NS")
    assert result.status == "ok" and pd.Timestamp("2024-01-06", tz="UTC") not in stored.index
    assert (stored["high"] >= stored[["open", "close", "low"]].max(axis=1)).all()


def test_load_bars_adjusted_and_errors(db_engine):
    bars = generate_demo_bars("AAPL", start="2024-01-01", now=NOW)
    bars["adj_close"] = bars["close"] * 0.5
    with transaction(db_engine) as s:
        upsert_candles(s, "AAPL", "1d", bars, "csv")
    raw = load_bars(db_engine, "AAPL")
    pd.testing.assert_frame_equal(raw, bars, check_freq=False, check_index_type=False)
    adjusted = load_bars(db_engine, "AAPL", adjusted=True)
    for col in ("open", "high", "low", "close"):
        pd.testing.assert_series_equal(adjusted[col], bars[col] * 0.5, check_freq=False, check_index_type=False)
    pd.testing.assert_series_equal(adjusted["volume"], bars["volume"], check_freq=False, check_index_type=False)
    window = load_bars(db_engine, "AAPL", start="2024-02-01", end="2024-02-29")
    assert window.index.min() >= pd.Timestamp("2024-02-01", tz="UTC")
    assert window.index.max() <= pd.Timestamp("2024-02-29", tz="UTC")
    with pytest.raises(DataError, match="sync --symbols MSFT"):
        load_bars(db_engine, "MSFT")


def test_ensure_default_data_syncs_the_watchlist_once(db_engine, monkeypatch):
    from engine.config import get_settings
    from engine.data.providers import yahoo

    calls = []

    def offline(*args):
        calls.append(args)
        raise ConnectionError("cannot resolve query2.finance.yahoo.com")

    monkeypatch.setattr(yahoo, "_download", offline)
    monkeypatch.setenv("QUANTDESK_WATCHLIST", "INFY.NS,^NSEI,BTC-USD")
    monkeypatch.setenv("QUANTDESK_PROVIDER_MIN_INTERVAL_S", "0")
    monkeypatch.setenv("QUANTDESK_HISTORY_START", "2024-01-01")
    get_settings.cache_clear()
    results = ensure_default_data(db_engine, get_settings())
    assert [r.status for r in results] == ["demo", "demo", "demo"] and len(calls) == 1
    assert ensure_default_data(db_engine, get_settings()) == []  # data present: nothing to do
    assert data_status(db_engine).is_demo
