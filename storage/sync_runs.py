"""Sync-run records: one row per attempt to fetch a symbol, with its outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from storage.models import SyncRun


def start_run(session: Session, symbol: str, interval: str, provider: str) -> int:
    run = SyncRun(symbol=symbol, interval=interval, provider=provider,
                  started_at=datetime.now(UTC), status="running", rows=0, error="")
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, rows: int = 0, error: str = "") -> None:
    run = session.get(SyncRun, run_id)
    if run is None:
        return
    run.status, run.rows, run.error = status, rows, error[:2000]
    run.finished_at = datetime.now(UTC)


def recent_runs(engine: Engine, limit: int = 200) -> pd.DataFrame:
    """Latest sync runs, newest first."""
    with Session(engine) as session:
        rows = session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)).all()
        data = [
            {"id": r.id, "symbol": r.symbol, "interval": r.interval, "provider": r.provider,
             "started_at": r.started_at, "finished_at": r.finished_at, "status": r.status,
             "rows": r.rows, "error": r.error}
            for r in rows
        ]
    cols = ["id", "symbol", "interval", "provider", "started_at", "finished_at", "status", "rows", "error"]
    return pd.DataFrame(data, columns=cols)


def last_runs(engine: Engine) -> pd.DataFrame:
    """The most recent run per symbol/interval."""
    latest = select(func.max(SyncRun.id)).group_by(SyncRun.symbol, SyncRun.interval)
    with Session(engine) as session:
        rows = session.scalars(select(SyncRun).where(SyncRun.id.in_(latest)).order_by(SyncRun.symbol)).all()
        data = [
            {"symbol": r.symbol, "interval": r.interval, "provider": r.provider, "started_at": r.started_at,
             "finished_at": r.finished_at, "status": r.status, "rows": r.rows, "error": r.error}
            for r in rows
        ]
    cols = ["symbol", "interval", "provider", "started_at", "finished_at", "status", "rows", "error"]
    return pd.DataFrame(data, columns=cols)


def last_success_times(engine: Engine, exclude_provider: str = "demo") -> dict[tuple[str, str], datetime]:
    """Finish time (UTC) of the latest successful run per (symbol, interval), ignoring one provider."""
    stmt = (
        select(SyncRun.symbol, SyncRun.interval, func.max(SyncRun.finished_at))
        .where(SyncRun.status == "ok", SyncRun.provider != exclude_provider)
        .group_by(SyncRun.symbol, SyncRun.interval)
    )
    with Session(engine) as session:
        rows = session.execute(stmt).all()
    return {(sym, iv): _utc(ts) for sym, iv, ts in rows if ts is not None}


def latest_run(engine: Engine) -> dict | None:
    """The most recent sync run of any symbol as a dict (see recent_runs for the keys), or None."""
    runs = recent_runs(engine, limit=1)
    return None if runs.empty else runs.iloc[0].to_dict()


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
