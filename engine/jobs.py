"""Scheduler jobs: module-level callables ("engine.jobs:sync" …) that run only while their scheduler holds the lease.

A job stored in the shared APScheduler job store carries no arguments: whichever process fires it runs
it with the `JobContext` (database engine, settings, lease) of its own scheduler that leads, if any.
Every run is guarded by the lease and recorded in job_runs; a failure is logged and recorded, never raised.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from engine.errors import DataError
from storage import scheduler_runs as runs
from storage.db import transaction

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.config import Settings

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
AlertCheck = Callable[["Engine"], None]


@dataclass(frozen=True)
class JobOutcome:
    """How a job body ended: status ok | skipped | failed, with a note stored in job_runs.error."""

    status: str = "ok"
    note: str = ""


@dataclass(eq=False)
class JobContext:
    """What the jobs of one scheduler need: its database, settings and lease identity."""

    db_engine: Engine
    settings: Settings
    owner: str
    lease_name: str = LEASE_NAME
    leader: bool = False  # set by the scheduler while it holds the lease and fires the stored jobs
    closed: bool = False
    in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def holds_lease(self) -> bool:
        """Take or renew the lease; False when another scheduler holds it (or the database is unreachable)."""
        try:
            return runs.acquire_lease(self.db_engine, self.lease_name, self.owner, self.settings.lease_seconds)
        except Exception:  # noqa: BLE001 - a standby must never crash on a database hiccup
            log.exception("scheduler %s could not reach the lease", self.owner)
            return False

    def close(self) -> bool:
        """Refuse new runs from now on; True if no run is in flight (else the last one releases the lease)."""
        with self._lock:
            self.closed = True
            return self.in_flight == 0

    def release(self) -> None:
        try:
            runs.release_lease(self.db_engine, self.lease_name, self.owner)
        except Exception:  # noqa: BLE001 - the lease then simply expires
            log.exception("scheduler %s could not release its lease", self.owner)


_contexts: dict[str, JobContext] = {}
_alert_checks: list[AlertCheck] = []
# Modules that call register_alert_check when imported; the alert job imports them first, so a worker
# process (which never imports the app's pages) runs the same checks as the app's scheduler thread.
ALERT_MODULES: tuple[str, ...] = ("engine.alerts.checker",)


def register_context(ctx: JobContext) -> None:
    _contexts[ctx.owner] = ctx


def unregister_context(owner: str) -> None:
    _contexts.pop(owner, None)


def register_alert_check(check: AlertCheck) -> AlertCheck:
    """Plug `check(db_engine)` into the alert-check job (usable as a decorator); registering twice is a no-op."""
    if check not in _alert_checks:
        _alert_checks.append(check)
    return check


def unregister_alert_check(check: AlertCheck) -> None:
    if check in _alert_checks:
        _alert_checks.remove(check)


def run_job(job_id: str, ctx: JobContext, body: Callable[[JobContext], JobOutcome | None]) -> str:
    """Run `body` if `ctx` holds the lease, recording start, end, status and error in job_runs.

    Returns the status: ok | skipped | failed, or "standby" (another scheduler holds the lease;
    nothing recorded) or "closed" (the scheduler was shut down). Never raises.
    """
    with ctx._lock:
        if ctx.closed:
            return "closed"
        ctx.in_flight += 1
    try:
        if not ctx.holds_lease():
            return "standby"
        return _record(job_id, ctx, body)
    finally:
        with ctx._lock:
            ctx.in_flight -= 1
            last_out = ctx.closed and ctx.in_flight == 0
        if last_out:  # shut down without waiting: the last running job hands the lease back
            ctx.release()


def _record(job_id: str, ctx: JobContext, body: Callable[[JobContext], JobOutcome | None]) -> str:
    try:
        with transaction(ctx.db_engine) as s:
            run_id = runs.start_job_run(s, job_id, ctx.owner)
    except Exception:  # noqa: BLE001
        log.exception("job %s: could not record its start; not run", job_id)
        return "failed"
    try:
        outcome = body(ctx) or JobOutcome()
    except Exception as exc:  # noqa: BLE001 - a failing job is recorded and the scheduler carries on
        log.exception("job %s failed", job_id)
        outcome = JobOutcome("failed", f"{type(exc).__name__}: {exc}")
    try:
        with transaction(ctx.db_engine) as s:
            runs.finish_job_run(s, run_id, outcome.status, outcome.note)
    except Exception:  # noqa: BLE001
        log.exception("job %s: could not record its end", job_id)
    return outcome.status


def _dispatch(job_id: str) -> str:
    leaders = [c for c in list(_contexts.values()) if c.leader and not c.closed]
    if not leaders:  # fired while this process's scheduler was handing over or shutting down
        log.warning("job %s: no leading scheduler in this process; run ignored", job_id)
        return "closed"
    return run_job(job_id, leaders[0], BODIES[job_id])


def sync() -> str:
    """Scheduled data sync of the watchlist (only exchanges in session); see `sync_body`."""
    return _dispatch("sync")


def paper_tick() -> str:
    """Scheduled paper tick over all deployments; see `paper_tick_body`."""
    return _dispatch("paper_tick")


def alert_check() -> str:
    """Scheduled alert checks registered with `register_alert_check`; see `alert_check_body`."""
    return _dispatch("alert_check")


def news() -> str:
    """Scheduled news fetch, scoring and sentiment index rebuild; see `news_body`."""
    return _dispatch("news")


def in_session(symbol: str, now: pd.Timestamp, after_close: timedelta = timedelta(0)) -> bool:
    """True if `symbol`'s exchange is open at `now` (UTC) or closed less than `after_close` ago.

    Crypto is always in session. Raises DataError for an invalid symbol.
    """
    from engine.data.calendars import is_session, session_close_utc, session_open_utc

    for day in (now.normalize() - pd.Timedelta(days=1), now.normalize()):
        if is_session(symbol, day) and (
            session_open_utc(symbol, day) <= now <= session_close_utc(symbol, day) + after_close
        ):
            return True
    return False


def _symbols_in_session(symbols: tuple[str, ...], now: pd.Timestamp, after_close: timedelta) -> list[str]:
    chosen = []
    for symbol in symbols:
        try:
            if in_session(symbol, now, after_close):
                chosen.append(symbol)
        except DataError:
            chosen.append(symbol)  # let the sync record why this symbol is unusable
    return chosen


def sync_body(ctx: JobContext, now: pd.Timestamp | None = None) -> JobOutcome:
    """Sync the watched symbols whose exchange is in session (or closed within sync_after_close_minutes).

    Skipped when none is; failed when any symbol failed (details per symbol in sync_runs).
    """
    from engine.data.providers import make_provider
    from engine.data.retry import RetryPolicy
    from engine.data.sync import sync_symbols

    cfg = ctx.settings
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    symbols = _symbols_in_session(cfg.watchlist, now, timedelta(minutes=cfg.sync_after_close_minutes))
    if not symbols:
        return JobOutcome("skipped", "no watched exchange is in session")
    results = sync_symbols(
        ctx.db_engine, symbols, cfg.default_interval, start=cfg.history_start,
        provider=make_provider(cfg.provider, cfg.provider_min_interval_s), overlap_bars=cfg.sync_overlap_bars,
        demo_fallback=cfg.demo_fallback,
        retry=RetryPolicy(attempts=cfg.retry_attempts, base_wait_s=cfg.retry_base_wait_s),
    )
    failed = [f"{r.symbol}: {r.error}" for r in results if r.status == "failed"]
    if failed:
        return JobOutcome("failed", f"{len(failed)} of {len(results)} symbols failed — " + "; ".join(failed))
    return JobOutcome("ok", f"synced {len(results)} symbols: " + ", ".join(symbols))


def load_tick_all() -> Callable[..., object] | None:
    """`engine.paper.runner.tick_all`, or None while the paper broker is not installed."""
    try:
        from engine.paper.runner import tick_all
    except ModuleNotFoundError as exc:
        if exc.name not in {"engine.paper", "engine.paper.runner"}:
            raise  # a missing dependency of the paper broker is a failure, not "not installed"
        return None
    return tick_all


def paper_tick_body(ctx: JobContext) -> JobOutcome:
    """One paper tick over all deployments (`tick_all(db_engine, now=…)`); failed when any deployment
    failed, skipped while the paper broker is not installed."""
    tick_all = load_tick_all()
    if tick_all is None:
        return JobOutcome("skipped", "paper broker not installed (engine.paper.runner)")
    offered = {"settings": ctx.settings, "now": pd.Timestamp.now(tz="UTC")}
    params = inspect.signature(tick_all).parameters
    summary = tick_all(ctx.db_engine, **{k: v for k, v in offered.items() if k in params})
    if not isinstance(summary, dict):
        return JobOutcome("ok", "" if summary is None else str(summary)[:500])
    counts = " ".join(f"{k}={summary[k]}" for k in ("deployments", "due", "ok", "idle", "stale", "failed", "orders")
                      if k in summary)
    failed = [f"deployment {r.get('id')}: {r.get('error', '')}" for r in summary.get("results", [])
              if isinstance(r, dict) and r.get("status") == "failed"]
    if failed:  # each deployment's error is also stored on the deployment itself
        return JobOutcome("failed", f"{counts} — " + "; ".join(failed))
    return JobOutcome("ok", counts)


def alert_check_body(ctx: JobContext) -> JobOutcome:
    """Run every registered alert check; one failing check never stops the others (failed if any did)."""
    for name in ALERT_MODULES:
        importlib.import_module(name)
    checks = list(_alert_checks)
    if not checks:
        return JobOutcome("skipped", "no alert checks registered")
    errors = []
    for check in checks:
        try:
            check(ctx.db_engine)
        except Exception as exc:  # noqa: BLE001 - fan-out: report and go on
            log.exception("alert check %r failed", check)
            errors.append(f"{getattr(check, '__name__', repr(check))}: {type(exc).__name__}: {exc}")
    if errors:
        return JobOutcome("failed", "; ".join(errors))
    return JobOutcome("ok", f"{len(checks)} checks")


def news_body(ctx: JobContext) -> JobOutcome:
    """Fetch news for the watchlist and feeds, score it and rebuild the index (skipped on the demo provider,
    which means "work offline"); failed only when no source answered."""
    from engine.sentiment.news import fetch_news

    if ctx.settings.provider == "demo":
        return JobOutcome("skipped", "provider is demo (offline): news is not fetched")
    report = fetch_news(ctx.db_engine, ctx.settings)
    return JobOutcome("failed" if report.status == "offline" else "ok", report.summary()[:500])


BODIES: dict[str, Callable[[JobContext], JobOutcome | None]] = {
    "sync": sync_body, "paper_tick": paper_tick_body, "alert_check": alert_check_body, "news": news_body,
}


def prune_old_runs(ctx: JobContext) -> int:
    """Delete job-run records older than job_runs_keep_days; returns how many."""
    cutoff = datetime.now(UTC) - timedelta(days=ctx.settings.job_runs_keep_days)
    with transaction(ctx.db_engine) as s:
        return runs.prune_job_runs(s, cutoff)
