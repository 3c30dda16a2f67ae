"""The Quantdesk scheduler: APScheduler's BackgroundScheduler with a database lease so one scheduler runs jobs.

Any number of schedulers (app processes, `python -m engine worker`) may start against one database.
Each keeps a heartbeat that takes or renews the lease; only the holder attaches the shared SQLAlchemy
job store, so only it fires the jobs (data sync, paper tick, alert checks), and every job checks the
lease again before working. A standby takes over when the holder releases the lease on shutdown or
stops renewing it (crash) for `lease_seconds`.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from engine import jobs
from engine.errors import QuantdeskError
from storage import scheduler_runs as runs
from storage.db import make_engine, transaction

if TYPE_CHECKING:
    from engine.config import Settings

log = logging.getLogger(__name__)
JOBSTORE = "db"
JOBSTORE_TABLE = "apscheduler_jobs"
PRUNE_EVERY_S = 3600.0


class SchedulerError(QuantdeskError):
    """The scheduler was used in a way it does not support: fix the calling code."""


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: fixed id, module-level callable (as text) and the setting holding its cadence."""

    job_id: str
    func: str
    every_minutes_setting: str

    def interval(self, settings: Settings) -> timedelta:
        return timedelta(minutes=getattr(settings, self.every_minutes_setting))


JOBS = (
    JobSpec("sync", "engine.jobs:sync", "sync_every_minutes"),
    JobSpec("paper_tick", "engine.jobs:paper_tick", "paper_every_minutes"),
    JobSpec("alert_check", "engine.jobs:alert_check", "alert_every_minutes"),
    JobSpec("news", "engine.jobs:news", "news_every_minutes"),
)
_live: set[QuantdeskScheduler] = set()
_live_lock = threading.Lock()


def default_owner() -> str:
    """A scheduler id unique across hosts, processes and instances: host:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def running_schedulers() -> list[QuantdeskScheduler]:
    """Schedulers started in this process and not yet shut down."""
    with _live_lock:
        return list(_live)


class QuantdeskScheduler:
    """One scheduler: start() begins the heartbeat; jobs run only while this scheduler holds the lease."""

    def __init__(self, db_url: str, settings: Settings, owner: str | None = None) -> None:
        self.settings = settings
        self.owner = owner or default_owner()
        self.db_engine = make_engine(db_url)
        self._ctx = jobs.JobContext(self.db_engine, settings, self.owner)
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=len(JOBS) + 1)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": max(1, round(settings.misfire_grace_seconds))},
        )
        self._attached = False
        self._state = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._last_prune = 0.0

    @property
    def running(self) -> bool:
        return self._scheduler.running

    @property
    def is_leader(self) -> bool:
        """True while this scheduler holds the lease (as of its last heartbeat) and fires the jobs."""
        return self._attached

    @property
    def heartbeat_seconds(self) -> float:
        return self.settings.lease_seconds / 3

    def start(self) -> None:
        """Start the scheduler thread and the heartbeat (which takes the lease when it is free).

        Raises SchedulerError if this scheduler was shut down (build a new one instead).
        """
        if self.running:
            return
        if self._stop.is_set():
            raise SchedulerError("this scheduler was shut down; build a new one with build_scheduler()")
        jobs.register_context(self._ctx)
        self._scheduler.start()
        self._heartbeat = threading.Thread(target=self._beat_forever, name=f"quantdesk-lease-{self.owner}",
                                           daemon=True)
        self._heartbeat.start()
        with _live_lock:
            _live.add(self)
        atexit.register(self.shutdown, False)
        log.info("scheduler %s started", self.owner)

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing jobs and the heartbeat, then release the lease so a standby takes over at once.

        `wait` waits for running jobs; without it, the last running job releases the lease as it ends.
        """
        self._stop.set()
        if self._heartbeat is not None and self._heartbeat is not threading.current_thread():
            self._heartbeat.join(timeout=max(5.0, self.settings.lease_seconds))
        self._ctx.close()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
        if self._ctx.close():  # nothing in flight (any more)
            self._ctx.release()
        self._attached = self._ctx.leader = False
        jobs.unregister_context(self.owner)
        self.db_engine.dispose()  # pooled connections only; a job still finishing opens its own
        with _live_lock:
            _live.discard(self)
        atexit.unregister(self.shutdown)
        log.info("scheduler %s shut down", self.owner)

    def beat(self) -> bool:
        """One heartbeat: take or renew the lease, attach or detach the job store; True if holding it."""
        held = self._ctx.holds_lease()
        with self._state:
            if self._stop.is_set():
                return held
            try:
                if held and not self._attached:
                    self._attach()
                elif not held and self._attached:
                    self._detach()
            except Exception:  # noqa: BLE001 - retried on the next beat
                log.exception("scheduler %s: could not switch its job store", self.owner)
        if held:
            self._maybe_prune()
        return held

    def run_once(self) -> dict[str, str]:
        """Run every job once now, in this thread (cron mode); job id → status ("standby" if another
        scheduler holds the lease). The lease is released afterwards unless this scheduler is running."""
        jobs.register_context(self._ctx)
        try:
            return {spec.job_id: jobs.run_job(spec.job_id, self._ctx, jobs.BODIES[spec.job_id]) for spec in JOBS}
        finally:
            if not self.running:
                self._ctx.release()
                jobs.unregister_context(self.owner)

    def next_run_times(self) -> dict[str, str]:
        """Job id → next fire time (ISO, UTC) while this scheduler is the leader; empty otherwise."""
        if not self._attached:
            return {}
        return {j.id: j.next_run_time.isoformat() for j in self._scheduler.get_jobs(JOBSTORE) if j.next_run_time}

    def _beat_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - the heartbeat thread must survive anything
                log.exception("scheduler %s: heartbeat failed", self.owner)
            self._stop.wait(self.heartbeat_seconds)

    def _attach(self) -> None:
        """Became the leader: close runs left by a dead holder, attach the shared store, (re)define jobs."""
        with transaction(self.db_engine) as s:
            stale = runs.interrupt_stale_runs(s, self.owner)
        if stale:
            log.warning("scheduler %s: %d job runs of a stopped scheduler marked failed", self.owner, stale)
        self._scheduler.pause()  # stored jobs fire only once their definitions are current
        try:
            self._scheduler.add_jobstore(SQLAlchemyJobStore(engine=self.db_engine, tablename=JOBSTORE_TABLE),
                                         JOBSTORE)
            try:
                for spec in JOBS:
                    self._define(spec)
            except Exception:
                self._scheduler.remove_jobstore(JOBSTORE, shutdown=False)  # retried whole on the next beat
                raise
            self._attached = self._ctx.leader = True
        finally:
            self._scheduler.resume()
        log.info("scheduler %s holds the lease and runs jobs", self.owner)

    def _define(self, spec: JobSpec) -> None:
        """Keep a stored job's schedule (so overdue runs fire once, coalesced) unless its cadence changed."""
        interval = spec.interval(self.settings)
        stored = self._scheduler.get_job(spec.job_id, JOBSTORE)
        options = {"args": [], "max_instances": 1, "coalesce": True,
                   "misfire_grace_time": max(1, round(self.settings.misfire_grace_seconds))}
        if stored is not None and isinstance(stored.trigger, IntervalTrigger) and stored.trigger.interval == interval:
            self._scheduler.modify_job(spec.job_id, JOBSTORE, **options)
            return
        self._scheduler.add_job(spec.func, IntervalTrigger(seconds=interval.total_seconds(), timezone=UTC),
                                id=spec.job_id, name=spec.job_id, jobstore=JOBSTORE, replace_existing=True,
                                **options)

    def _detach(self) -> None:
        self._attached = self._ctx.leader = False
        self._scheduler.remove_jobstore(JOBSTORE, shutdown=False)  # the engine is ours, keep it open
        log.warning("scheduler %s lost the lease; standing by", self.owner)

    def _maybe_prune(self) -> None:
        if self._last_prune and time.monotonic() - self._last_prune < PRUNE_EVERY_S:
            return
        self._last_prune = time.monotonic()
        try:
            jobs.prune_old_runs(self._ctx)
        except Exception:  # noqa: BLE001
            log.exception("scheduler %s: could not prune old job runs", self.owner)


def build_scheduler(db_url: str, settings: Settings, owner: str | None = None) -> QuantdeskScheduler:
    """A scheduler for the (migrated) database at `db_url` with cadences and lease length from `settings`.

    Not started: call start() (thread mode) or run_once() (cron mode).
    """
    return QuantdeskScheduler(db_url, settings, owner)
