"""Candle storage on a real SQLite file: constraints, WAL, idempotent upserts, demo/real separation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.exc import IntegrityError

from engine.errors import DataError
from storage.candles import (
    coverage,
    delete_candles,
    load_candles,
    sources,
    tail_candles,
    time_span,
    upsert_candles,
)
from storage.db import transaction
from storage.sync_runs import finish_run, last_success_times, latest_run, start_run


def bars(days: list[str], close: float = 100.0, **override: float) -> pd.DataFrame:
    index = pd.DatetimeIndex([pd.Timestamp(d, tz="UTC") for d in days], name="ts")
    n = len(days)
    data = {"open": close, "high": close + 1, "low": close - 1, "close": close, "adj_close": close * 0.98,
            "volume": 1000.0}
    data.update(override)
    return pd.DataFrame({k: np.full(n, v, dtype=float) for k, v in data.items()}, index=index)


DAYS = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]


def count(db_engine) -> int:
    with db_engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM candles").scalar()


def test_wal_mode_is_on(db_engine):
    with db_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize(
    "override",
    [
        {"high": 98.0},              # high below close/low
        {"low": 101.0},              # low above open/close
        {"low": 0.0, "open": 0.5, "close": 0.5, "high": 1.0},  # non-positive low
        {"volume": -1.0},
        {"close": float("nan")},     # NaN is NULL in SQLite: NOT NULL rejects it
    ],
)
def test_check_constraints_reject_bad_rows(db_engine, override):
    with pytest.raises(IntegrityError), transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", bars(DAYS[:1], **override), "csv")
    assert count(db_engine) == 0


def test_a_bad_row_rolls_back_the_whole_write(db_engine):
    good = bars(DAYS[:2])
    with transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", good, "csv")
    mixed = pd.concat([bars(DAYS[2:3], close=110), bars(DAYS[3:4], high=50.0)])
    with pytest.raises(IntegrityError), transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", mixed, "csv")
    assert count(db_engine) == 2


def test_upsert_is_idempotent_and_updates_values(db_engine):
    with transaction(db_engine) as s:
        assert upsert_candles(s, "INFY.NS", "1d", bars(DAYS), "yfinance") == 4
    with transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", bars(DAYS), "yfinance")
    assert count(db_engine) == 4
    revised = bars(DAYS[2:], close=105.0)
    with transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", revised, "yfinance")
    stored = load_candles(db_engine, "INFY.NS")
    assert count(db_engine) == 4
    assert stored["close"].tolist() == [100.0, 100.0, 105.0, 105.0]
    assert stored["adj_close"].iloc[-1] == pytest.approx(105.0 * 0.98)


def test_round_trip_keeps_utc_labels_and_order(db_engine):
    frame = bars(DAYS)
    frame["close"] = [100.0, 100.5, 99.5, 100.25]
    with transaction(db_engine) as s:
        upsert_candles(s, "AAPL", "1d", frame.iloc[::-1], "csv")
    stored = load_candles(db_engine, "AAPL")
    assert stored.index.name == "ts" and str(stored.index.tz) == "UTC"
    assert list(stored.index) == list(frame.index)
    assert stored["close"].tolist() == [100.0, 100.5, 99.5, 100.25]
    window = load_candles(db_engine, "AAPL", start=pd.Timestamp("2024-01-03", tz="UTC"),
                          end=pd.Timestamp("2024-01-04", tz="UTC"))
    assert len(window) == 2
    assert load_candles(db_engine, "MSFT").empty


def test_naive_timestamps_are_refused(db_engine):
    frame = bars(DAYS[:1])
    frame.index = frame.index.tz_localize(None)
    with pytest.raises(DataError, match="timezone-aware"), transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", frame, "csv")


def test_demo_and_real_bars_never_mix(db_engine):
    with transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", bars(DAYS), "demo")
    with transaction(db_engine) as s:  # real bars replace every demo bar
        upsert_candles(s, "INFY.NS", "1d", bars(DAYS[:2], close=200.0), "yfinance")
    with transaction(db_engine) as s:
        assert sources(s, "INFY.NS", "1d") == {"yfinance"}
    assert count(db_engine) == 2
    with pytest.raises(DataError, match="already has real data"), transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", bars(DAYS[2:]), "demo")
    assert count(db_engine) == 2
    with transaction(db_engine) as s:  # other intervals are separate series
        upsert_candles(s, "INFY.NS", "1wk", bars(DAYS[:1]), "demo")
        assert sources(s, "INFY.NS", "1wk") == {"demo"}


def test_span_tail_coverage_and_delete(db_engine):
    with transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "1d", bars(DAYS), "csv")
        upsert_candles(s, "TCS.NS", "1d", bars(DAYS[:2]), "demo")
        first, last, n = time_span(s, "INFY.NS", "1d")
        assert (first, last, n) == (pd.Timestamp(DAYS[0], tz="UTC"), pd.Timestamp(DAYS[-1], tz="UTC"), 4)
        assert time_span(s, "MSFT", "1d") is None
        tail = tail_candles(s, "INFY.NS", "1d", 3)
        assert list(tail.index) == [pd.Timestamp(d, tz="UTC") for d in DAYS[1:]]
        assert tail_candles(s, "MSFT", "1d", 3).empty
    cov = coverage(db_engine)
    assert cov[["symbol", "bars", "source"]].values.tolist() == [["INFY.NS", 4, "csv"], ["TCS.NS", 2, "demo"]]
    with transaction(db_engine) as s:
        assert delete_candles(s, "INFY.NS", "1d", timestamps=[pd.Timestamp(DAYS[1], tz="UTC")]) == 1
    assert len(load_candles(db_engine, "INFY.NS")) == 3


def test_sync_run_queries(db_engine):
    assert latest_run(db_engine) is None
    with transaction(db_engine) as s:
        ok = start_run(s, "INFY.NS", "1d", "yfinance")
        finish_run(s, ok, "ok", 10)
        demo = start_run(s, "TCS.NS", "1d", "demo")
        finish_run(s, demo, "ok", 5)
        failed = start_run(s, "INFY.NS", "1d", "yfinance")
        finish_run(s, failed, "failed", 0, "offline: no network")
    times = last_success_times(db_engine)
    assert set(times) == {("INFY.NS", "1d")}  # demo runs are not real syncs
    assert times[("INFY.NS", "1d")].tzinfo is not None
    latest = latest_run(db_engine)
    assert latest["status"] == "failed" and latest["error"] == "offline: no network"
