"""System health: database, migrations, scheduler and jobs, recent log lines, disk, memory and versions."""

from __future__ import annotations

import platform
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from engine.config import ROOT
from engine.logbuffer import LogLine, recent_log_lines
from engine.overview import JOB_COLUMNS, job_health
from engine.scheduler import running_schedulers
from storage.migrate import current_revision, head_revision

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.config import Settings

LOG_LINES = 100
LOW_DISK_BYTES = 1 << 30  # below 1 GiB free the report flags the data directory
STALE_HEARTBEAT_S = 120.0
PACKAGES = ("streamlit", "pandas", "numpy", "plotly", "SQLAlchemy", "alembic", "APScheduler", "pydantic",
            "pydantic-settings", "yfinance", "PyPortfolioOpt", "cvxpy", "arch", "apprise", "cryptography",
            "transformers", "torch")


@dataclass(frozen=True)
class DatabaseHealth:
    """Where the data lives: URL (password masked), backend, SQLite file and its size incl. -wal/-shm."""

    url: str
    backend: str
    path: Path | None  # the SQLite file; None for a server database or in-memory SQLite
    size_bytes: int | None  # main file + -wal + -shm; None when not a file
    revision: str  # applied Alembic revision ("" = never migrated)
    head: str  # newest migration script

    @property
    def is_at_head(self) -> bool:
        return self.revision == self.head

    @property
    def location(self) -> str:
        return str(self.path) if self.path is not None else f"server database ({self.backend})"


@dataclass(frozen=True)
class SchedulerState:
    """The configured mode, schedulers running in this process and the lease holder (the one running jobs)."""

    mode: str  # thread | worker | off
    running_here: int  # started, not yet shut down, in this process
    leading_here: bool  # one of them holds the lease
    holder: str | None
    heartbeat_age_s: float | None  # seconds since the lease row was last renewed (None: never taken)


@dataclass(frozen=True)
class HealthReport:
    """Everything the Health view shows, read at `checked_at` (UTC)."""

    checked_at: pd.Timestamp
    database: DatabaseHealth
    scheduler: SchedulerState
    jobs: pd.DataFrame  # engine.overview.JOB_COLUMNS, one row per scheduled job
    log_lines: tuple[LogLine, ...]
    data_dir: Path
    disk_free_bytes: int | None
    disk_total_bytes: int | None
    process_rss_bytes: int | None
    memory_total_bytes: int | None
    memory_available_bytes: int | None
    versions: dict[str, str] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """What needs a look, one sentence each; empty when all is well."""
        out = []
        db = self.database
        if not db.is_at_head:
            out.append(f"database schema is at revision {db.revision or 'none'}, behind {db.head}: "
                       "run `python -m engine db upgrade` (or restart the app)")
        s = self.scheduler
        if s.mode != "off" and s.holder is None:
            out.append("no scheduler holds the job lease, so no jobs run"
                       + (": start `python -m engine worker`" if s.mode == "worker" else ""))
        elif s.holder is not None and s.heartbeat_age_s is not None and s.heartbeat_age_s > STALE_HEARTBEAT_S:
            out.append(f"the scheduler's last heartbeat was {s.heartbeat_age_s:,.0f} s ago")
        out += [f"job {job} failed on its last run" for job in self.jobs.loc[self.jobs["status"] == "failed", "job"]]
        if self.disk_free_bytes is not None and self.disk_free_bytes < LOW_DISK_BYTES:
            out.append(f"only {format_bytes(self.disk_free_bytes)} free on the data disk")
        return out


def format_bytes(n: float | None) -> str:
    """1536 → '1.5 KiB'; None → '—'."""
    if n is None:
        return "—"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB"


def database_health(db_engine: Engine) -> DatabaseHealth:
    """URL with the password masked, SQLite file size (with -wal and -shm) and migration revision vs head."""
    url = db_engine.url
    path = Path(url.database) if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
        else None
    size = None
    if path is not None:
        size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())
    return DatabaseHealth(url.render_as_string(hide_password=True), url.get_backend_name(), path, size,
                          current_revision(db_engine), head_revision())


def scheduler_state(db_engine: Engine, mode: str, now: pd.Timestamp) -> tuple[SchedulerState, pd.DataFrame]:
    """The scheduler as seen from this process and the database, and each job's latest run."""
    lease, jobs = job_health(db_engine, mode, now)
    here = running_schedulers()
    state = SchedulerState(mode, len(here), any(s.is_leader for s in here), lease.holder, lease.heartbeat_age_s)
    return state, jobs


def data_dir(db: DatabaseHealth) -> Path:
    """The SQLite file's folder, else the project's data folder (or the project root)."""
    if db.path is not None:
        return db.path.parent
    return ROOT / "data" if (ROOT / "data").is_dir() else ROOT


def memory() -> tuple[int | None, int | None, int | None]:
    """(process RSS, system total, system available) in bytes; psutil when installed, else /proc."""
    try:
        import psutil

        vm = psutil.virtual_memory()
        return int(psutil.Process().memory_info().rss), int(vm.total), int(vm.available)
    except ImportError:
        return _proc_kib("/proc/self/status", "VmRSS"), _proc_kib("/proc/meminfo", "MemTotal"), \
            _proc_kib("/proc/meminfo", "MemAvailable")


def _proc_kib(path: str, key: str) -> int | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Python and the installed version of each package ("not installed" when missing)."""
    out = {"Python": f"{platform.python_version()} ({sys.executable})"}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def health_report(db_engine: Engine, settings: Settings, now: pd.Timestamp | None = None,
                  log_lines: int = LOG_LINES) -> HealthReport:
    """A snapshot of the system's health (reads the database; never raises for a missing file or package)."""
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    db = database_health(db_engine)
    sched, jobs = scheduler_state(db_engine, settings.scheduler, now)
    folder = data_dir(db)
    try:
        disk = shutil.disk_usage(folder)
        free, total = int(disk.free), int(disk.total)
    except OSError:
        free = total = None
    rss, mem_total, mem_available = memory()
    return HealthReport(now, db, sched, jobs.reindex(columns=JOB_COLUMNS), tuple(recent_log_lines(log_lines)),
                        folder, free, total, rss, mem_total, mem_available, versions())
