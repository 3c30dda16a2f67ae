"""Exchange calendars and instrument metadata: sessions, holidays, closes, fallbacks, suffix rules."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.data.calendars import (
    calendar_code,
    is_session,
    last_closed_session,
    session_close_utc,
    session_open_utc,
    sessions,
)
from engine.data.instruments import instrument_for, normalise_symbol
from engine.errors import DataError


def test_nse_sessions_skip_weekends_and_holidays():
    days = sessions("INFY.NS", "2024-01-20", "2024-01-31")
    assert str(days.tz) == "UTC" and days.name == "ts"
    assert pd.Timestamp("2024-01-26", tz="UTC") not in days  # Republic Day
    assert pd.Timestamp("2024-01-22", tz="UTC") not in days  # special closure in 2024
    assert pd.Timestamp("2024-01-20", tz="UTC") not in days  # Saturday
    assert pd.Timestamp("2024-01-23", tz="UTC") in days
    assert len(days) == 6  # 23, 24, 25, 29, 30, 31


def test_us_and_crypto_calendars():
    assert not is_session("AAPL", "2024-07-04")
    assert is_session("AAPL", "2024-07-05")
    assert is_session("BTC-USD", "2024-07-06")  # Saturday: crypto trades every day
    assert len(sessions("BTC-USD", "2024-01-01", "2024-12-31")) == 366


def test_dates_beyond_the_calendar_table_fall_back_to_weekdays():
    far = sessions("INFY.NS", "2031-01-01", "2031-01-14")
    assert len(far) == 10  # Mon-Fri only, holidays unknown that far out
    assert all(d.dayofweek < 5 for d in far)
    early = sessions("AAPL", "1999-12-27", "2000-01-05")
    assert pd.Timestamp("2000-01-03", tz="UTC") in early and pd.Timestamp("1999-12-28", tz="UTC") in early


def test_session_close_and_open_in_utc():
    assert session_close_utc("INFY.NS", "2024-01-02") == pd.Timestamp("2024-01-02 10:00", tz="UTC")  # 15:30 IST
    assert session_open_utc("INFY.NS", "2024-01-02") == pd.Timestamp("2024-01-02 03:45", tz="UTC")  # 09:15 IST
    assert session_close_utc("AAPL", "2024-11-29") == pd.Timestamp("2024-11-29 18:00", tz="UTC")  # early close
    assert session_close_utc("AAPL", "2024-07-01") == pd.Timestamp("2024-07-01 20:00", tz="UTC")  # EDT
    assert session_close_utc("AAPL", "2031-03-03") == pd.Timestamp("2031-03-03 21:00", tz="UTC")  # fallback, EST
    assert session_close_utc("BTC-USD", "2024-01-06") == pd.Timestamp("2024-01-07", tz="UTC")
    with pytest.raises(DataError, match="not a trading session"):
        session_close_utc("INFY.NS", "2024-01-26")


def test_last_closed_session():
    before_close = pd.Timestamp("2024-01-29 09:00", tz="UTC")  # Monday 14:30 IST, still open
    assert last_closed_session("INFY.NS", before_close) == pd.Timestamp("2024-01-25", tz="UTC")
    after_close = pd.Timestamp("2024-01-29 10:00", tz="UTC")
    assert last_closed_session("INFY.NS", after_close) == pd.Timestamp("2024-01-29", tz="UTC")
    assert last_closed_session("BTC-USD", pd.Timestamp("2024-01-29 00:00")) == pd.Timestamp("2024-01-28", tz="UTC")


def test_bad_date_is_a_data_error():
    with pytest.raises(DataError, match="not a date"):
        sessions("INFY.NS", "someday", "2024-01-01")


@pytest.mark.parametrize(
    ("symbol", "exchange", "currency", "tz", "calendar", "asset_class"),
    [
        ("RELIANCE.NS", "NSE", "INR", "Asia/Kolkata", "XBOM", "equity"),
        ("500325.BO", "BSE", "INR", "Asia/Kolkata", "XBOM", "equity"),
        ("^NSEI", "NSE", "INR", "Asia/Kolkata", "XBOM", "index"),
        ("BTC-USD", "CCC", "USD", "UTC", "24/7", "crypto"),
        ("AAPL", "NASDAQ", "USD", "America/New_York", "XNYS", "equity"),
        ("XYZ", "NYSE/NASDAQ", "USD", "America/New_York", "XNYS", "equity"),
    ],
)
def test_suffix_rules(symbol, exchange, currency, tz, calendar, asset_class):
    meta = instrument_for(symbol)
    assert (meta.exchange, meta.currency, meta.timezone, meta.calendar, meta.asset_class) == (
        exchange, currency, tz, calendar, asset_class)
    assert calendar_code(symbol) == calendar
    assert meta.lot_size >= 1


def test_watchlist_metadata_and_annualisation():
    assert instrument_for("HDFCBANK.NS").sector == "Financial Services"
    assert instrument_for("^NSEI").name == "NIFTY 50"
    assert instrument_for("BTC-USD").periods_per_year == 365
    assert instrument_for("INFY.NS").periods_per_year == 252


def test_symbols_are_normalised_and_garbage_rejected():
    assert normalise_symbol(" infy.ns ") == "INFY.NS"
    assert normalise_symbol("m&m.ns") == "M&M.NS"
    for bad in ("", "IN FY", "../etc", "A" * 40):
        with pytest.raises(DataError, match="not a valid symbol"):
            normalise_symbol(bad)
