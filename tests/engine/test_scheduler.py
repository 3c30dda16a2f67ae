"""The scheduler in one process: real APScheduler, sub-second cadences, a temporary SQLite file per test."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from engine import jobs
from engine.data.sync import SyncResult
from engine.errors import DataError
from engine.jobs import LEASE_NAME, JobContext, in_session, register_alert_check, sync_body
from engine.scheduler import build_scheduler, running_schedulers
from storage.candles import coverage
from storage.scheduler_runs import acquire_lease, get_lease, recent_job_runs
from tests.engine.scheduler_helpers import (
    FAST_S,
    SLOW_MIN,
    assert_each_tick_once,
    assert_sequential,
    fast_settings,
    runs_of,
    wait_for,
)


@pytest.fixture
def make(db_engine, db_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """Build schedulers on this test's database (paper broker absent unless a test fakes it); all are
    shut down and alert checks unregistered afterwards."""
    monkeypatch.setattr(jobs, "load_tick_all", lambda: None)
    made, checks_before = [], list(jobs._alert_checks)

    def build(owner: str, **overrides: object):  # noqa: ANN202
        scheduler = build_scheduler(db_url, fast_settings(db_url, **overrides), owner=owner)
        made.append(scheduler)
        return scheduler

    yield build
    for scheduler in made:
        scheduler.shutdown(wait=True)
    jobs._alert_checks[:] = checks_before


def _runs(db_engine, job_id: str) -> pd.DataFrame:  # noqa: ANN001
    return runs_of(recent_job_runs(db_engine, limit=500), job_id)


def test_jobs_run_on_schedule_and_each_run_is_recorded(make, db_engine) -> None:  # noqa: ANN001
    calls = []
    register_alert_check(calls.append)
    a = make("A")
    a.start()
    a.start()  # idempotent
    assert running_schedulers() == [a]
    wait_for(lambda: a.is_leader)
    assert set(a.next_run_times()) == {"sync", "paper_tick", "alert_check", "news"}
    wait_for(lambda: len(_runs(db_engine, "alert_check")) >= 3)
    a.shutdown(wait=True)
    alerts, paper = _runs(db_engine, "alert_check"), _runs(db_engine, "paper_tick")
    assert set(alerts["status"]) == {"ok"} and set(alerts["owner"]) == {"A"}
    assert len(calls) == len(alerts) and all(c is a.db_engine for c in calls)  # one call per recorded run
    assert (alerts["finished_at"] >= alerts["started_at"]).all()
    assert set(paper["status"]) == {"skipped"} and "paper broker not installed" in paper["error"][0]
    assert _runs(db_engine, "sync").empty  # its cadence is ten hours
    assert get_lease(db_engine, LEASE_NAME) is None  # released on shutdown
    assert not a.running and running_schedulers() == []


def test_a_failing_job_is_recorded_and_the_scheduler_carries_on(make, db_engine, monkeypatch) -> None:  # noqa: ANN001
    ticks: list[pd.Timestamp] = []

    def tick_all(db_engine, now: pd.Timestamp) -> str:  # noqa: ANN001
        ticks.append(now)
        if len(ticks) == 1:
            raise RuntimeError("tick exploded")
        return "2 deployments ticked"

    def broken(_db) -> None:  # noqa: ANN001
        raise DataError("feed down")

    good = []
    monkeypatch.setattr(jobs, "load_tick_all", lambda: tick_all)
    register_alert_check(broken)
    register_alert_check(good.append)
    a = make("A")
    a.start()
    wait_for(lambda: len(_runs(db_engine, "paper_tick")) >= 3 and len(_runs(db_engine, "alert_check")) >= 2)
    a.shutdown()
    paper, alerts = _runs(db_engine, "paper_tick"), _runs(db_engine, "alert_check")
    assert paper["status"][0] == "failed" and paper["error"][0] == "RuntimeError: tick exploded"
    assert set(paper["status"][1:]) == {"ok"} and paper["error"][1] == "2 deployments ticked"
    assert all(t.tz is not None and str(t.tz) == "UTC" for t in ticks)
    assert set(alerts["status"]) == {"failed"}
    assert alerts["error"][0] == "broken: DataError: feed down"
    assert len(good) == len(alerts)  # the failing check never kept the other from running


def test_runs_of_one_job_never_overlap(make, db_engine) -> None:  # noqa: ANN001
    lock, active, peak = threading.Lock(), [0], [0]

    def slow(_db) -> None:  # noqa: ANN001
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(3 * FAST_S)  # three cadences long
        with lock:
            active[0] -= 1

    register_alert_check(slow)
    a = make("A")
    a.start()
    started = time.monotonic()
    wait_for(lambda: len(_runs(db_engine, "alert_check")) >= 3, timeout=15)
    a.shutdown(wait=True)
    elapsed = time.monotonic() - started
    alerts = _runs(db_engine, "alert_check")
    assert peak[0] == 1
    assert_sequential(alerts)
    assert len(alerts) <= elapsed / (3 * FAST_S) + 1  # missed runs were dropped, not queued


def test_two_schedulers_on_one_database_run_each_tick_once(make, db_engine) -> None:  # noqa: ANN001
    calls = []
    register_alert_check(calls.append)
    a, b = make("A"), make("B")
    a.start()
    wait_for(lambda: a.is_leader)
    b.start()
    wait_for(lambda: len(_runs(db_engine, "alert_check")) >= 8, timeout=15)
    assert a.is_leader and not b.is_leader and b.next_run_times() == {}
    a.shutdown()
    b.shutdown()
    alerts = _runs(db_engine, "alert_check")
    assert set(alerts["owner"]) == {"A"} and all(c is a.db_engine for c in calls)
    assert len(calls) == len(alerts)
    assert_each_tick_once(alerts, FAST_S)


def test_standby_takes_over_when_the_holder_shuts_down(make, db_engine) -> None:  # noqa: ANN001
    a, b = make("A", lease_seconds=3.0), make("B", lease_seconds=3.0)
    a.start()
    wait_for(lambda: a.is_leader)
    b.start()
    wait_for(lambda: len(_runs(db_engine, "alert_check")) >= 2)
    a.shutdown(wait=True)
    released = time.monotonic()
    wait_for(lambda: b.is_leader, timeout=5)
    assert time.monotonic() - released < 2.5  # took the released lease, did not wait for it to expire
    wait_for(lambda: (_runs(db_engine, "alert_check")["owner"] == "B").sum() >= 2)
    alerts = _runs(db_engine, "alert_check")
    assert alerts["owner"].tolist() == sorted(alerts["owner"])  # all of A's runs, then only B's
    assert_sequential(alerts)
    assert get_lease(db_engine, LEASE_NAME).owner == "B"


def test_a_scheduler_that_lost_its_lease_stops_running_jobs(make, db_engine) -> None:  # noqa: ANN001
    a = make("A")
    a.start()
    wait_for(lambda: len(_runs(db_engine, "alert_check")) >= 1)
    future = datetime.now(UTC) + timedelta(hours=1)  # an intruder whose lease outlives the test
    assert acquire_lease(db_engine, LEASE_NAME, "intruder", 60, now=future)
    wait_for(lambda: not a.is_leader, timeout=5)
    time.sleep(0.1)
    count = len(_runs(db_engine, "alert_check"))
    time.sleep(4 * FAST_S)
    assert len(_runs(db_engine, "alert_check")) == count
    a.shutdown()
    assert get_lease(db_engine, LEASE_NAME).owner == "intruder"  # shutdown releases only its own lease


def test_shutdown_without_waiting_releases_the_lease_when_the_running_job_ends(make, db_engine) -> None:  # noqa: ANN001
    inside = threading.Event()

    def slow(_db) -> None:  # noqa: ANN001
        inside.set()
        time.sleep(1.0)

    register_alert_check(slow)
    a = make("A")
    a.start()
    assert inside.wait(10)
    a.shutdown(wait=False)
    assert get_lease(db_engine, LEASE_NAME).owner == "A"  # still working: no one may start the job yet
    wait_for(lambda: get_lease(db_engine, LEASE_NAME) is None, timeout=5)
    assert _runs(db_engine, "alert_check")["status"].tolist() == ["ok"]


def test_an_overdue_stored_job_fires_once_at_start(make, db_engine) -> None:  # noqa: ANN001
    every = {"paper_every_minutes": 1 / 60, "alert_every_minutes": SLOW_MIN}  # paper tick each second
    a = make("A", **every)
    a.start()
    wait_for(lambda: len(_runs(db_engine, "paper_tick")) >= 1)
    a.shutdown()
    phase = _runs(db_engine, "paper_tick")["started_at"].iloc[0]  # the stored schedule fires on this phase
    time.sleep(max(0.0, (phase + timedelta(seconds=3.5) - datetime.now(UTC)).total_seconds()))
    b = make("B", **every)  # starts mid-phase, with two or three runs missed
    t0 = datetime.now(UTC)
    b.start()
    wait_for(lambda: (_runs(db_engine, "paper_tick")["owner"] == "B").any(), timeout=5)
    time.sleep(0.5)
    mine = _runs(db_engine, "paper_tick").query("owner == 'B'")["started_at"]
    assert (mine.iloc[0] - t0).total_seconds() < 0.4  # the stored schedule was kept: a fresh job would
    # first run a full second after start
    assert (mine < t0 + timedelta(seconds=0.4)).sum() == 1  # the missed runs coalesced into one


def test_run_once_runs_every_job_and_releases_the_lease(make, db_engine) -> None:  # noqa: ANN001
    calls = []
    register_alert_check(calls.append)
    cron = make("cron")
    assert cron.run_once() == {"sync": "ok", "paper_tick": "skipped", "alert_check": "ok", "news": "skipped"}
    assert "BTC-USD" in set(coverage(db_engine)["symbol"]) and len(calls) == 1
    assert get_lease(db_engine, LEASE_NAME) is None
    assert acquire_lease(db_engine, LEASE_NAME, "app", 60)
    assert make("cron2").run_once() == dict.fromkeys(("sync", "paper_tick", "alert_check", "news"), "standby")
    assert len(recent_job_runs(db_engine)) == 4 and len(calls) == 1  # the standby recorded nothing


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2025-06-07 06:00", None),  # Saturday: no watched exchange trades
        ("2025-06-02 05:00", ["INFY.NS"]),  # Monday 10:30 IST, New York not open yet
        ("2025-06-02 10:15", ["INFY.NS"]),  # 15 min after the NSE close: its closing bar is fetched
        ("2025-06-02 10:45", None),  # 45 min after: beyond sync_after_close_minutes
        ("2025-06-02 14:00", ["AAPL"]),  # 10:00 in New York
        ("2025-08-15 05:00", None),  # Independence Day: NSE holiday, New York still asleep
    ],
)
def test_sync_runs_only_for_exchanges_in_session(db_engine, monkeypatch, now: str, expected) -> None:  # noqa: ANN001
    asked: list[list[str]] = []

    def fake_sync(_db, symbols, *_a, **_k) -> list[SyncResult]:  # noqa: ANN001
        asked.append(list(symbols))
        return [SyncResult(s, "ok", 1) for s in symbols]

    monkeypatch.setattr("engine.data.sync.sync_symbols", fake_sync)
    ctx = JobContext(db_engine, fast_settings("sqlite://", watchlist=("INFY.NS", "AAPL")), "me")
    outcome = sync_body(ctx, now=pd.Timestamp(now, tz="UTC"))
    if expected is None:
        assert outcome.status == "skipped" and asked == []
    else:
        assert outcome.status == "ok" and asked == [expected]


def test_sync_fails_when_a_symbol_fails(db_engine, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr("engine.data.sync.sync_symbols", lambda _db, symbols, *a, **k: [
        SyncResult("BTC-USD", "failed", 0, "HTTP 500 after 4 attempts")])
    ctx = JobContext(db_engine, fast_settings("sqlite://"), "me")
    outcome = sync_body(ctx, now=pd.Timestamp("2025-06-07 06:00", tz="UTC"))  # crypto trades every day
    assert outcome.status == "failed" and "BTC-USD: HTTP 500 after 4 attempts" in outcome.note


def test_in_session() -> None:
    monday_ist_morning = pd.Timestamp("2025-06-02 04:00", tz="UTC")
    assert in_session("INFY.NS", monday_ist_morning) and not in_session("AAPL", monday_ist_morning)
    assert in_session("BTC-USD", pd.Timestamp("2025-06-07 23:59", tz="UTC"))
    assert not in_session("INFY.NS", pd.Timestamp("2025-06-02 03:44", tz="UTC"))  # opens 09:15 IST
    after_close = pd.Timestamp("2025-06-02 20:10", tz="UTC")  # New York closed at 20:00 UTC
    assert not in_session("AAPL", after_close) and in_session("AAPL", after_close, timedelta(minutes=15))


def test_paper_tick_reports_the_runner_summary(db_engine, monkeypatch) -> None:  # noqa: ANN001
    ctx = JobContext(db_engine, fast_settings("sqlite://"), "me")
    if jobs.load_tick_all() is not None:  # the real paper runner on a database without deployments
        outcome = jobs.paper_tick_body(ctx)
        assert outcome.status == "ok" and outcome.note.startswith("deployments=0 due=0")
    summary = {"deployments": 3, "due": 2, "ok": 1, "idle": 0, "stale": 0, "failed": 1, "orders": 2, "ms": 5.0,
               "results": [{"id": 7, "status": "ok", "error": ""}, {"id": 9, "status": "failed",
                                                                  "error": "no bars for INFY.NS"}]}
    monkeypatch.setattr(jobs, "load_tick_all", lambda: lambda db_engine, now=None, sync=True: summary)
    outcome = jobs.paper_tick_body(ctx)
    assert outcome.status == "failed"
    assert outcome.note == ("deployments=3 due=2 ok=1 idle=0 stale=0 failed=1 orders=2 — "
                            "deployment 9: no bars for INFY.NS")
    monkeypatch.setattr(jobs, "load_tick_all", lambda: None)
    assert jobs.paper_tick_body(ctx).status == "skipped"


def test_a_shut_down_scheduler_cannot_be_restarted(make) -> None:  # noqa: ANN001
    from engine.scheduler import SchedulerError

    a = make("A")
    a.start()
    a.shutdown()
    with pytest.raises(SchedulerError, match="build a new one"):
        a.start()
