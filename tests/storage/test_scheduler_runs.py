"""Job-run records and the scheduler lease: recorded outcomes, atomic take-over, expiry, release."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from storage.db import make_engine, transaction
from storage.scheduler_runs import (
    acquire_lease,
    finish_job_run,
    get_lease,
    interrupt_stale_runs,
    lease_holder,
    prune_job_runs,
    recent_job_runs,
    release_lease,
    start_job_run,
)

T0 = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def test_migration_creates_the_scheduler_tables(db_engine) -> None:  # noqa: ANN001
    tables = set(inspect(db_engine).get_table_names())
    assert {"job_runs", "scheduler_leases"} <= tables


def test_job_run_is_recorded_from_start_to_finish(db_engine) -> None:  # noqa: ANN001
    with transaction(db_engine) as s:
        first = start_job_run(s, "sync", "host:1:a", started_at=T0)
        second = start_job_run(s, "paper_tick", "host:1:a")
    running = recent_job_runs(db_engine)
    assert running["id"].tolist() == [second, first]  # newest first
    assert running["status"].tolist() == ["running", "running"] and running["duration_s"].isna().all()
    with transaction(db_engine) as s:
        finish_job_run(s, first, "failed", "DataError: " + "x" * 3000)
        finish_job_run(s, second, "skipped", "no watched exchange is in session")
    runs = recent_job_runs(db_engine).set_index("id")
    assert runs.loc[first, "status"] == "failed" and len(runs.loc[first, "error"]) == 2000
    assert runs.loc[first, "started_at"] == T0  # stored UTC, returned tz-aware
    assert runs.loc[first, "duration_s"] > 0
    assert runs.loc[second, "error"] == "no watched exchange is in session"
    assert recent_job_runs(db_engine, job_id="sync")["id"].tolist() == [first]
    assert len(recent_job_runs(db_engine, limit=1)) == 1


def test_unknown_status_is_rejected(db_engine) -> None:  # noqa: ANN001
    with transaction(db_engine) as s:
        run_id = start_job_run(s, "sync", "me")
    with pytest.raises(ValueError, match="job status must be one of"), transaction(db_engine) as s:
        finish_job_run(s, run_id, "done")


def test_stale_running_runs_of_other_owners_are_marked_failed(db_engine) -> None:  # noqa: ANN001
    with transaction(db_engine) as s:
        dead = start_job_run(s, "paper_tick", "dead")
        mine = start_job_run(s, "paper_tick", "me")
        finished = start_job_run(s, "sync", "dead")
        finish_job_run(s, finished, "ok")
    with transaction(db_engine) as s:
        assert interrupt_stale_runs(s, "me") == 1
    runs = recent_job_runs(db_engine).set_index("id")["status"]
    assert (runs[dead], runs[mine], runs[finished]) == ("failed", "running", "ok")


def test_prune_deletes_only_old_finished_runs(db_engine) -> None:  # noqa: ANN001
    with transaction(db_engine) as s:
        old = start_job_run(s, "sync", "me", started_at=T0 - timedelta(days=40))
        finish_job_run(s, old, "ok")
        old_running = start_job_run(s, "sync", "me", started_at=T0 - timedelta(days=40))
        new = start_job_run(s, "sync", "me", started_at=T0)
    with transaction(db_engine) as s:
        assert prune_job_runs(s, T0 - timedelta(days=30)) == 1
    assert sorted(recent_job_runs(db_engine)["id"]) == sorted([old_running, new])


def test_lease_is_exclusive_until_it_expires(db_engine) -> None:  # noqa: ANN001
    assert get_lease(db_engine, "scheduler") is None and lease_holder(db_engine, "scheduler", T0) is None
    assert acquire_lease(db_engine, "scheduler", "a", 60, now=T0)
    assert not acquire_lease(db_engine, "scheduler", "b", 60, now=T0 + timedelta(seconds=59.999999))
    assert acquire_lease(db_engine, "scheduler", "a", 60, now=T0 + timedelta(seconds=30))  # renewal
    lease = get_lease(db_engine, "scheduler")
    assert lease.owner == "a" and lease.expires_at == T0 + timedelta(seconds=90)
    assert lease.heartbeat_at == T0 + timedelta(seconds=30)
    assert lease_holder(db_engine, "scheduler", T0 + timedelta(seconds=89)) == "a"
    assert lease_holder(db_engine, "scheduler", T0 + timedelta(seconds=90)) is None
    assert not acquire_lease(db_engine, "scheduler", "b", 60, now=T0 + timedelta(seconds=89.9))
    assert acquire_lease(db_engine, "scheduler", "b", 60, now=T0 + timedelta(seconds=90))  # expired: taken
    assert not acquire_lease(db_engine, "scheduler", "a", 60, now=T0 + timedelta(seconds=91))  # a lost it
    assert acquire_lease(db_engine, "other", "a", 60, now=T0)  # leases are independent by name


def test_release_only_by_the_holder_frees_the_lease_at_once(db_engine) -> None:  # noqa: ANN001
    now = datetime.now(UTC)
    assert acquire_lease(db_engine, "scheduler", "a", 600, now=now)
    assert not release_lease(db_engine, "scheduler", "b")
    assert lease_holder(db_engine, "scheduler") == "a"
    assert release_lease(db_engine, "scheduler", "a")
    assert get_lease(db_engine, "scheduler") is None
    assert acquire_lease(db_engine, "scheduler", "b", 600, now=now)
    assert not release_lease(db_engine, "scheduler", "a")


def _race(db_url: str, owners: int, now: datetime) -> list[str]:
    """`owners` threads, each with its own connection pool, call acquire_lease at the same moment."""
    engines = [make_engine(db_url) for _ in range(owners)]
    barrier = threading.Barrier(owners)
    won: list[str] = []

    def contend(name: str, eng) -> None:  # noqa: ANN001
        barrier.wait()
        if acquire_lease(eng, "scheduler", name, 60, now=now):
            won.append(name)

    threads = [threading.Thread(target=contend, args=(f"{now:%M}-{i}", e)) for i, e in enumerate(engines)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for e in engines:
        e.dispose()
    return won


def test_racing_schedulers_get_exactly_one_lease(db_engine, db_url: str) -> None:  # noqa: ANN001
    """Sixteen owners race for a free lease, then for the same lease once it has expired."""
    for now in (T0, T0 + timedelta(seconds=120)):
        won = _race(db_url, 16, now)
        assert len(won) == 1, won
        assert get_lease(db_engine, "scheduler").owner == won[0]
