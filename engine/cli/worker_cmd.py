"""Scheduler commands: `worker [--once]` runs the jobs outside the app, `jobs` lists recent job runs."""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
import threading
from types import FrameType

from engine.__main__ import emit
from engine.cli.data_cmd import open_db
from engine.config import get_settings
from engine.jobs import LEASE_NAME


def cmd_worker(args: argparse.Namespace) -> int:
    from engine.scheduler import build_scheduler

    settings = get_settings()
    open_db().dispose()  # migrate before any scheduler touches the database
    scheduler = build_scheduler(settings.database_url, settings)
    if args.once:
        results = scheduler.run_once()
        emit({"owner": scheduler.owner, "jobs": results}, args.json,
             "\n".join(f"{job:<12} {status}" for job, status in results.items()))
        return 1 if "failed" in results.values() else 0
    _log_to_stderr()
    return _run_until_signalled(scheduler, args.json)


def _log_to_stderr() -> None:
    """Job failures, lease changes and takeovers on stderr; APScheduler's per-run chatter only if it warns."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _run_until_signalled(scheduler, as_json: bool) -> int:  # noqa: ANN001 - QuantdeskScheduler
    """Run in the foreground until SIGTERM or SIGINT, then shut down cleanly (jobs finish, lease released)."""
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
        sys.stderr.write(f"worker {scheduler.owner} started; stop with Ctrl-C or SIGTERM\n")
        sys.stderr.flush()
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    name = signal.Signals(received[0]).name if received else "exit"
    emit({"owner": scheduler.owner, "stopped_by": name}, as_json, f"worker {scheduler.owner} stopped ({name})")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from storage.scheduler_runs import get_lease, recent_job_runs

    engine = open_db()
    runs = recent_job_runs(engine, limit=args.limit, job_id=args.job)
    lease = get_lease(engine, LEASE_NAME)
    holder = lease.owner if lease is not None and lease.is_held() else None
    records = [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in runs.to_dict(orient="records")
    ]
    lines = [f"lease: {holder or 'free'}"]
    lines.append(f"{'ID':>6} {'JOB':<12} {'STARTED (UTC)':<19} {'SECS':>7} {'STATUS':<8} OWNER / NOTE")
    for r in records:
        secs = f"{r['duration_s']:.2f}" if r["duration_s"] is not None else "-"
        lines.append(f"{r['id']:>6} {r['job_id']:<12} {r['started_at']:%Y-%m-%d %H:%M:%S} {secs:>7} "
                     f"{r['status']:<8} {r['owner']}" + (f"  {r['error']}" if r["error"] else ""))
    emit({"lease_holder": holder, "runs": records}, args.json, "\n".join(lines))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `worker` and `jobs` to the CLI."""
    p = subparsers.add_parser("worker", help="run the scheduled jobs (sync, paper tick, alerts) in this process")
    p.add_argument("--once", action="store_true", help="run each job once now and exit (for cron)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_worker)
    p = subparsers.add_parser("jobs", help="recent scheduler job runs and the lease holder")
    p.add_argument("--limit", type=int, default=30, help="how many runs (default 30)")
    p.add_argument("--job", choices=["sync", "paper_tick", "alert_check"], help="only this job")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_jobs)
