"""Data freshness against the exchange calendars, hand-checked on the week of 2026-11-23.

NSE (09:15–15:30 IST = 03:45–10:00 UTC) trades 23, 25, 26, 27 November 2026; crypto every day.
"""

from __future__ import annotations

import pandas as pd
import pytest

from engine.data.freshness import age, expected_last_bar, freshness


def T(text: str) -> pd.Timestamp:  # noqa: N802 - reads like a literal
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(("symbol", "interval", "now", "last", "status"), [
    ("INFY.NS", "1d", "2026-11-27 09:00", "2026-11-26", "fresh"),  # the 27th is still trading
    ("INFY.NS", "1d", "2026-11-27 09:00", "2026-11-25", "stale"),
    ("INFY.NS", "1d", "2026-11-27 10:30", "2026-11-26", "stale"),  # the 27th closed at 10:00 UTC
    ("INFY.NS", "1d", "2026-11-24 12:00", "2026-11-23", "fresh"),  # the 24th is a holiday
    ("INFY.NS", "1wk", "2026-11-27 12:00", "2026-11-23", "fresh"),
    ("INFY.NS", "1wk", "2026-11-27 12:00", "2026-11-16", "stale"),
    ("INFY.NS", "15m", "2026-11-27 08:00", "2026-11-27 07:30", "fresh"),  # two bars of provider delay allowed
    ("INFY.NS", "15m", "2026-11-27 08:00", "2026-11-27 07:00", "stale"),
    ("INFY.NS", "15m", "2026-11-27 12:00", "2026-11-27 09:45", "fresh"),  # closed: the session's last bar
    ("INFY.NS", "15m", "2026-11-27 12:00", "2026-11-27 09:00", "stale"),
    ("INFY.NS", "15m", "2026-11-28 12:00", "2026-11-27 09:45", "fresh"),  # Saturday
    ("BTC-USD", "1d", "2026-11-27 12:00", "2026-11-26", "fresh"),  # the 26th closed at midnight UTC
    ("BTC-USD", "1d", "2026-11-27 12:00", "2026-11-25", "stale"),
])
def test_calendar_rule(symbol: str, interval: str, now: str, last: str, status: str) -> None:
    assert freshness(symbol, interval, T(last), T(now)) == status


def test_expected_last_bar() -> None:
    assert expected_last_bar("INFY.NS", "1d", T("2026-11-27 12:00")) == T("2026-11-27")
    assert expected_last_bar("INFY.NS", "15m", T("2026-11-27 08:00")) == T("2026-11-27 07:15")
    assert expected_last_bar("INFY.NS", "15m", T("2026-11-27 12:00")) == T("2026-11-27 09:15")


def test_failed_sync_then_missing_then_demo_win_over_the_calendar() -> None:
    now = T("2026-11-27 12:00")
    assert freshness("INFY.NS", "1d", T("2026-11-27"), now, is_demo=True, last_status="failed") == "failed"
    assert freshness("INFY.NS", "1d", None, now) == "missing"
    assert freshness("INFY.NS", "1d", None, now, last_status="failed") == "failed"
    assert freshness("INFY.NS", "1d", T("2026-11-27"), now, is_demo=True, last_status="demo") == "demo"
    assert freshness("INFY.NS", "1d", T("2026-11-27"), now, last_status="ok") == "fresh"


def test_age_counts_from_the_bar_close() -> None:
    assert age("INFY.NS", "1d", T("2026-11-26"), T("2026-11-27 12:00")) == pd.Timedelta(hours=26)
    assert age("INFY.NS", "15m", T("2026-11-27 07:30"), T("2026-11-27 08:00")) == pd.Timedelta(minutes=15)
    assert age("INFY.NS", "1d", T("2026-11-27"), T("2026-11-27 09:00")) == pd.Timedelta(0)  # still forming
    assert age("BTC-USD", "1d", T("2026-11-26"), T("2026-11-27 12:00")) == pd.Timedelta(hours=12)
    assert age("INFY.NS", "1d", None, T("2026-11-27 12:00")) is None
