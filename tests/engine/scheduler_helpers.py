"""Helpers for scheduler tests: fast settings on a per-test database, bounded waits, run tables."""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd

from engine.config import Settings

FAST_S = 0.25  # seconds between runs of the jobs a test exercises
SLOW_MIN = 600.0  # minutes: a cadence that never fires during a test


def fast_settings(db_url: str, **overrides: object) -> Settings:
    """Offline settings with sub-second alert and paper cadences; sync only when a test asks for it."""
    values: dict[str, object] = {
        "database_url": db_url, "provider": "demo", "watchlist": ("BTC-USD",), "history_start": "2025-06-01",
        "scheduler": "off", "sync_every_minutes": SLOW_MIN, "paper_every_minutes": FAST_S / 60,
        "alert_every_minutes": FAST_S / 60, "lease_seconds": 0.9, "misfire_grace_seconds": 5,
    }
    values.update(overrides)
    return Settings(**values)


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, every: float = 0.05) -> object:
    """Poll `predicate` until it returns something truthy (returned) or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def runs_of(frame: pd.DataFrame, job_id: str) -> pd.DataFrame:
    """Finished runs of one job, oldest first."""
    done = frame[(frame["job_id"] == job_id) & (frame["status"] != "running")]
    return done.sort_values("started_at").reset_index(drop=True)


def assert_sequential(runs: pd.DataFrame) -> None:
    """No run of the job started before the previous one finished."""
    starts, ends = runs["started_at"].tolist(), runs["finished_at"].tolist()
    for prev_end, start in zip(ends[:-1], starts[1:], strict=True):
        assert start >= prev_end, (prev_end, start)


def assert_each_tick_once(runs: pd.DataFrame, every_s: float, max_gap_s: float = 1.0) -> None:
    """Runs of one job by one scheduler: no tick run twice, none dropped for a stretch.

    A tick fired by two schedulers shows as a second owner or as more runs than cadences fit between
    the first and the last run. Ticks lost to a standby (a holder that stops while the lease has not
    passed on) show as a gap of about a lease period: no gap may exceed `max_gap_s`, which a test sets
    below its lease. A CPU-starved process runs a tick late and APScheduler coalesces the ones it
    missed, so a busy machine may leave shorter gaps and fewer runs; neither is a scheduling fault.
    """
    assert runs["owner"].nunique() == 1, runs["owner"].value_counts().to_dict()
    starts = runs["started_at"]
    span = (starts.iloc[-1] - starts.iloc[0]).total_seconds()
    expected = span / every_s
    assert len(runs) - 1 <= expected + 1.5, (len(runs), expected, starts.tolist())  # nothing ran twice
    gaps = starts.diff().dt.total_seconds().iloc[1:]
    assert gaps.max() <= max_gap_s, (gaps.max(), starts.tolist())  # nothing lost for a lease period
    assert len(runs) - 1 >= expected / 2, (len(runs), expected, starts.tolist())  # most ticks ran
