"""Closed bars: exchange sessions and holidays for daily bars, bar length for intraday; when a deployment is due."""

from __future__ import annotations

import pandas as pd

from engine.paper.clock import bar_close_time, last_closed_bar
from engine.paper.runner import is_due

IST = "Asia/Kolkata"


def ist(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=IST).tz_convert("UTC")


def test_daily_bar_closes_at_the_session_close() -> None:
    assert last_closed_bar("INFY.NS", "1d", ist("2024-01-25 10:00")) == pd.Timestamp("2024-01-24", tz="UTC")
    assert last_closed_bar("INFY.NS", "1d", ist("2024-01-25 15:31")) == pd.Timestamp("2024-01-25", tz="UTC")


def test_holiday_and_weekend_add_no_bar() -> None:
    # 26 Jan 2024 (Republic Day) is an NSE holiday, 27-28 Jan a weekend: Thursday's bar stays the last one
    for moment in ("2024-01-26 16:00", "2024-01-27 12:00", "2024-01-29 09:30"):
        assert last_closed_bar("INFY.NS", "1d", ist(moment)) == pd.Timestamp("2024-01-25", tz="UTC")


def test_intraday_bar_closes_one_length_after_its_label() -> None:
    now = pd.Timestamp("2024-01-25 05:00", tz="UTC")
    assert last_closed_bar("INFY.NS", "15m", now) == pd.Timestamp("2024-01-25 04:45", tz="UTC")
    assert bar_close_time("INFY.NS", "1h", pd.Timestamp("2024-01-25 04:00", tz="UTC")) == now


def test_due_only_when_a_new_bar_closed_and_running() -> None:
    dep = {"status": "running", "symbols": ["INFY.NS"], "interval": "1d",
           "last_bar_ts": int(pd.Timestamp("2024-01-25", tz="UTC").timestamp())}
    assert not is_due(dep, ist("2024-01-26 16:00"))  # holiday
    assert not is_due(dep, ist("2024-01-29 15:00"))  # Monday's session still open
    assert is_due(dep, ist("2024-01-29 15:31"))
    assert not is_due(dep | {"status": "paused"}, ist("2024-01-29 15:31"))
    assert is_due(dep | {"last_bar_ts": None}, ist("2024-01-26 16:00"))
