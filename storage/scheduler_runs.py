"""Scheduler bookkeeping: job-run records and the database lease that elects one scheduler to run jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import JobRun, SchedulerLease

JOB_STATUSES = ("running", "ok", "failed", "skipped")
RUN_COLUMNS = ["id", "job_id", "started_at", "finished_at", "status", "error", "owner", "duration_s"]
_LEASES = SchedulerLease.__table__


@dataclass(frozen=True)
class Lease:
    """A lease row: who holds it and until when (UTC)."""

    name: str
    owner: str
    expires_at: datetime
    heartbeat_at: datetime

    def is_held(self, now: datetime | None = None) -> bool:
        return self.expires_at > (now or datetime.now(UTC))


def _check_status(status: str) -> None:
    if status not in JOB_STATUSES:
        raise ValueError(f"job status must be one of {', '.join(JOB_STATUSES)}, not {status!r}")


def start_job_run(session: Session, job_id: str, owner: str, started_at: datetime | None = None) -> int:
    """Insert a `running` record for `job_id` run by `owner`; returns its id (caller owns the transaction)."""
    run = JobRun(job_id=job_id, owner=owner, started_at=started_at or datetime.now(UTC), status="running",
                 error="")
    session.add(run)
    session.flush()
    return run.id


def finish_job_run(session: Session, run_id: int, status: str, error: str = "") -> None:
    """Close run `run_id` with `status` (ok | failed | skipped) and an error or note (kept to 2,000 chars).

    Raises ValueError for an unknown status.
    """
    _check_status(status)
    run = session.get(JobRun, run_id)
    if run is None:
        return
    run.status, run.error, run.finished_at = status, error[:2000], datetime.now(UTC)


def interrupt_stale_runs(session: Session, live_owner: str) -> int:
    """Mark `running` records of any other owner as failed: only the lease holder runs jobs, so a new
    holder knows those runs died with their scheduler. Returns how many were closed."""
    result = session.execute(
        update(JobRun)
        .where(JobRun.status == "running", JobRun.owner != live_owner)
        .values(status="failed", finished_at=datetime.now(UTC),
                error="interrupted: its scheduler stopped before the job finished")
    )
    return int(result.rowcount or 0)


def prune_job_runs(session: Session, older_than: datetime) -> int:
    """Delete finished records started before `older_than` (UTC); returns how many were deleted."""
    result = session.execute(delete(JobRun).where(JobRun.started_at < older_than, JobRun.status != "running"))
    return int(result.rowcount or 0)


def recent_job_runs(engine: Engine, limit: int = 50, job_id: str | None = None) -> pd.DataFrame:
    """Latest job runs, newest first (columns RUN_COLUMNS; times UTC, duration in seconds or NaN)."""
    stmt = select(JobRun).order_by(JobRun.id.desc()).limit(limit)
    if job_id is not None:
        stmt = stmt.where(JobRun.job_id == job_id)
    with Session(engine) as session:
        data = [
            {"id": r.id, "job_id": r.job_id, "started_at": _utc(r.started_at),
             "finished_at": _utc(r.finished_at) if r.finished_at else None, "status": r.status,
             "error": r.error, "owner": r.owner,
             "duration_s": (_utc(r.finished_at) - _utc(r.started_at)).total_seconds() if r.finished_at
             else float("nan")}
            for r in session.scalars(stmt)
        ]
    return pd.DataFrame(data, columns=RUN_COLUMNS)


def acquire_lease(engine: Engine, name: str, owner: str, ttl_s: float, now: datetime | None = None) -> bool:
    """Take or renew lease `name` for `owner` until now + `ttl_s` seconds; True if `owner` now holds it.

    Atomic on SQLite and PostgreSQL: one UPDATE that only matches when the lease is ours or expired,
    else an INSERT that fails on the primary key if another owner created the row first. Each call is
    its own transaction. Times come from this process's clock, so hosts sharing a database need
    synchronised clocks (skew well below `ttl_s`).
    """
    now = now or datetime.now(UTC)
    values = {"owner": owner, "expires_at": now + timedelta(seconds=ttl_s), "heartbeat_at": now}
    taken = (
        update(_LEASES)
        .where(_LEASES.c.name == name, or_(_LEASES.c.owner == owner, _LEASES.c.expires_at <= now))
        .values(**values)
    )
    with engine.begin() as conn:
        if conn.execute(taken).rowcount == 1:
            return True
    try:
        with engine.begin() as conn:
            conn.execute(insert(_LEASES).values(name=name, **values))
    except IntegrityError:
        return False  # the row exists and another owner's lease has not expired
    return True


def release_lease(engine: Engine, name: str, owner: str) -> bool:
    """Give up lease `name` if `owner` holds it (a standby may take it at once); True if released."""
    with engine.begin() as conn:
        result = conn.execute(delete(_LEASES).where(_LEASES.c.name == name, _LEASES.c.owner == owner))
    return result.rowcount == 1


def get_lease(engine: Engine, name: str) -> Lease | None:
    """The lease row `name` (held or expired), or None when nobody has taken it or it was released."""
    with engine.connect() as conn:
        row = conn.execute(select(_LEASES).where(_LEASES.c.name == name)).first()
    if row is None:
        return None
    return Lease(row.name, row.owner, _utc(row.expires_at), _utc(row.heartbeat_at))


def lease_holder(engine: Engine, name: str, now: datetime | None = None) -> str | None:
    """Owner currently holding lease `name`, or None when it is free or expired."""
    lease = get_lease(engine, name)
    return lease.owner if lease is not None and lease.is_held(now) else None


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
