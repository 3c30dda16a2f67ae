"""`python -m engine worker` as a real process: --once, clean stop on a signal, takeover after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.jobs import LEASE_NAME
from engine.scheduler import build_scheduler
from storage.scheduler_runs import get_lease, lease_holder, recent_job_runs
from tests.engine.scheduler_helpers import (
    FAST_S,
    SLOW_MIN,
    assert_each_tick_once,
    fast_settings,
    runs_of,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_env(db_engine, db_url: str) -> dict[str, str]:  # noqa: ANN001
    """Environment of a worker process on this test's (migrated) database, offline, fast cadences."""
    env = dict(os.environ)
    env.update({
        "QUANTDESK_DATABASE_URL": db_url, "QUANTDESK_PROVIDER": "demo", "QUANTDESK_WATCHLIST": "BTC-USD",
        "QUANTDESK_HISTORY_START": "2025-06-01", "QUANTDESK_SCHEDULER": "worker",
        "QUANTDESK_SYNC_EVERY_MINUTES": str(SLOW_MIN), "QUANTDESK_PAPER_EVERY_MINUTES": str(FAST_S / 60),
        "QUANTDESK_ALERT_EVERY_MINUTES": str(FAST_S / 60), "QUANTDESK_LEASE_SECONDS": "0.9",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _worker(env: dict[str, str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "engine", "worker", *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stderr_lines(proc: subprocess.Popen) -> list[str]:
    """Collect the process's stderr lines as they come (read by a thread, so the pipe never fills)."""
    lines: list[str] = []

    def read() -> None:
        lines.extend(iter(proc.stderr.readline, ""))

    threading.Thread(target=read, daemon=True).start()
    return lines


def _pid_of(owner: str | None) -> int | None:
    return int(owner.split(":")[1]) if owner else None


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
    if proc.poll() is None:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err or ""


@pytest.mark.slow  # a worker process starts in ~4 s
def test_worker_once_runs_each_job_once_and_exits(worker_env, db_engine) -> None:  # noqa: ANN001
    done = subprocess.run([sys.executable, "-m", "engine", "worker", "--once", "--json"], cwd=ROOT,
                          env=worker_env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["jobs"]["sync"] == "ok" and report["jobs"]["alert_check"] == "ok"
    assert report["jobs"]["paper_tick"] in {"ok", "skipped"}  # skipped until the paper broker exists
    runs = recent_job_runs(db_engine)
    assert sorted(runs["job_id"]) == ["alert_check", "news", "paper_tick", "sync"]
    assert set(runs["owner"]) == {report["owner"]} and "running" not in set(runs["status"])
    assert get_lease(db_engine, LEASE_NAME) is None


@pytest.mark.slow  # a worker process starts in ~4 s
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_worker_runs_until_signalled_then_stops_cleanly(worker_env, db_engine, sig: int) -> None:  # noqa: ANN001
    proc = _worker(worker_env)
    try:
        wait_for(lambda: _pid_of(lease_holder(db_engine, LEASE_NAME)) == proc.pid, timeout=60)
        wait_for(lambda: len(runs_of(recent_job_runs(db_engine), "alert_check")) >= 2, timeout=20)
    finally:
        code, out, err = _stop(proc, sig)
    assert code == 0, err
    assert f"stopped ({signal.Signals(sig).name})" in out
    assert get_lease(db_engine, LEASE_NAME) is None  # released, so another scheduler may start at once
    runs = recent_job_runs(db_engine, limit=500)
    assert "running" not in set(runs["status"])  # the job in flight finished before the exit


@pytest.mark.slow  # a worker process starts in ~4 s
def test_a_standby_takes_over_after_the_worker_is_killed(worker_env, db_engine, db_url: str) -> None:  # noqa: ANN001
    proc = _worker(worker_env)
    standby = build_scheduler(db_url, fast_settings(db_url), owner="standby")
    try:
        wait_for(lambda: _pid_of(lease_holder(db_engine, LEASE_NAME)) == proc.pid, timeout=60)
        standby.start()
        wait_for(lambda: len(runs_of(recent_job_runs(db_engine), "alert_check")) >= 2, timeout=20)
        assert not standby.is_leader
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        expires = get_lease(db_engine, LEASE_NAME).expires_at  # the dead worker's lease
        wait_for(lambda: standby.is_leader, timeout=10)
        assert datetime.now(UTC) >= expires  # not before the lease ran out
        wait_for(lambda: (recent_job_runs(db_engine)["owner"] == "standby").any(), timeout=10)
    finally:
        standby.shutdown()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    alerts = runs_of(recent_job_runs(db_engine, limit=500), "alert_check")
    mine = alerts[alerts["owner"] == "standby"]
    assert (mine["started_at"] >= expires).all()
    assert {_pid_of(o) for o in alerts["owner"] if o != "standby"} == {proc.pid}


@pytest.mark.slow  # a worker process starts in ~4 s
def test_two_workers_on_one_database_run_each_tick_once(worker_env, db_engine) -> None:  # noqa: ANN001
    worker_env["QUANTDESK_LEASE_SECONDS"] = "3"  # no hand-over while the machine is busy starting both
    procs = [_worker(worker_env), _worker(worker_env)]
    logs = [_stderr_lines(p) for p in procs]
    try:
        wait_for(lambda: all(any("started" in line for line in log) for log in logs), timeout=90)
        both_up = datetime.now(UTC)
        wait_for(lambda: (runs_of(recent_job_runs(db_engine, limit=500), "alert_check")["started_at"]
                          > both_up).sum() >= 12, timeout=30)
    finally:
        stopping = datetime.now(UTC)  # the standby may take over once the holder has stopped
        for p in procs:
            p.send_signal(signal.SIGTERM)
        results = [(p.wait(timeout=60), "", "") for p in procs]
    assert [code for code, _, _ in results] == [0, 0], logs
    alerts = runs_of(recent_job_runs(db_engine, limit=500), "alert_check")
    alerts = alerts[(alerts["started_at"] > both_up) & (alerts["started_at"] < stopping)]
    assert_each_tick_once(alerts, FAST_S, max_gap_s=2.0)  # the holder ran the ticks (lease 3 s); the other stood by


def test_jobs_command_lists_recent_runs_and_the_lease(db_engine, capsys) -> None:  # noqa: ANN001
    from engine.__main__ import main
    from storage.db import transaction
    from storage.scheduler_runs import acquire_lease, finish_job_run, start_job_run

    with transaction(db_engine) as s:
        for job_id, status in [("sync", "ok"), ("paper_tick", "failed"), ("alert_check", "skipped")]:
            finish_job_run(s, start_job_run(s, job_id, "host:1:abc"), status, f"note {job_id}")
        start_job_run(s, "paper_tick", "host:1:abc")
    assert acquire_lease(db_engine, LEASE_NAME, "host:1:abc", 60)
    assert main(["jobs", "--json", "--limit", "3"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lease_holder"] == "host:1:abc"
    assert [r["job_id"] for r in report["runs"]] == ["paper_tick", "alert_check", "paper_tick"]
    assert report["runs"][0]["status"] == "running" and report["runs"][0]["duration_s"] is None
    assert main(["jobs", "--job", "sync"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("lease: host:1:abc") and "note sync" in text and "paper_tick" not in text
