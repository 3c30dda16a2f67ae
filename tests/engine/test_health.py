"""Health report on a real SQLite file: job runs, migration revision vs head, lease, log buffer, disk and memory."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy.engine import make_url

from engine import health
from engine.config import get_settings
from engine.health import format_bytes, health_report
from engine.logbuffer import REDACTED, RingBufferHandler, install_log_buffer, redact
from storage import scheduler_runs as runs
from storage.db import make_engine, transaction
from storage.migrate import head_revision, upgrade

T0 = datetime(2024, 6, 28, 9, 15, tzinfo=UTC)


def record_run(db, job_id: str, status: str, seconds: float, error: str = "", at: datetime = T0) -> None:  # noqa: ANN001
    with transaction(db) as s:
        run_id = runs.start_job_run(s, job_id, "host:1:abc", started_at=at)
    with transaction(db) as s:
        runs.finish_job_run(s, run_id, status, error)
        s.get(runs.JobRun, run_id).finished_at = at + timedelta(seconds=seconds)


def test_a_recorded_job_run_shows_in_the_report(db_engine) -> None:  # noqa: ANN001
    record_run(db_engine, "news", "failed", 1.0, "feed timed out", at=T0)
    record_run(db_engine, "news", "ok", 2.0, at=T0 + timedelta(minutes=30))
    record_run(db_engine, "sync", "ok", 4.25, at=T0 + timedelta(minutes=31))
    report = health_report(db_engine, get_settings(), now=pd.Timestamp(T0 + timedelta(hours=1)))
    jobs = report.jobs.set_index("job")
    assert list(jobs.index) == ["sync", "paper_tick", "alert_check", "news"]
    assert jobs.at["sync", "status"] == "ok" and jobs.at["sync", "duration_s"] == pytest.approx(4.25)
    assert pd.Timestamp(jobs.at["sync", "started_at"]) == pd.Timestamp(T0 + timedelta(minutes=31))
    assert jobs.at["news", "status"] == "ok"  # the latest run …
    assert jobs.at["news", "last_error"] == "feed timed out"  # … and the latest failure
    assert jobs.at["paper_tick", "status"] == "never run"
    assert not any("failed" in p for p in report.problems())
    record_run(db_engine, "sync", "failed", 1.0, "provider unreachable", at=T0 + timedelta(minutes=45))
    assert "job sync failed on its last run" in health_report(db_engine, get_settings()).problems()


def test_database_at_head_with_its_file_size(db_engine, db_url) -> None:  # noqa: ANN001
    report = health_report(db_engine, get_settings())
    db = report.database
    assert db.revision == db.head == head_revision() != ""
    assert db.is_at_head and db.backend == "sqlite"
    assert db.path == Path(make_url(db_url).database) and db.location == str(db.path)
    files = [p for p in (db.path, Path(f"{db.path}-wal"), Path(f"{db.path}-shm")) if p.exists()]
    assert db.size_bytes == sum(p.stat().st_size for p in files) >= db.path.stat().st_size > 0
    assert report.data_dir == db.path.parent
    assert report.disk_total_bytes >= report.disk_free_bytes > 0
    assert not any("schema" in p for p in report.problems())


def test_a_database_behind_head_is_flagged(tmp_path: Path) -> None:
    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(old, "0008")
    db = health.database_health(old)
    assert (db.revision, db.is_at_head) == ("0008", False)
    report = health_report(old, get_settings())
    assert any(p.startswith(f"database schema is at revision 0008, behind {head_revision()}") for p in report.problems())
    old.dispose()


def test_a_server_url_is_shown_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "current_revision", lambda engine: "0009")
    fake = SimpleNamespace(url=make_url("postgresql+psycopg://quant:s3cr3t-pw@db.internal:5432/quantdesk"))
    db = health.database_health(fake)  # type: ignore[arg-type]
    assert "s3cr3t-pw" not in db.url and "***" in db.url and "db.internal" in db.url
    assert (db.path, db.size_bytes, db.location) == (None, None, "server database (postgresql)")


def test_scheduler_lease_holder_and_heartbeat_age(db_engine, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("QUANTDESK_SCHEDULER", "worker")
    get_settings.cache_clear()
    report = health_report(db_engine, get_settings())
    assert report.scheduler.holder is None and report.scheduler.running_here == 0
    assert any("no scheduler holds the job lease" in p and "engine worker" in p for p in report.problems())
    beat = datetime.now(UTC) - timedelta(seconds=30)
    assert runs.acquire_lease(db_engine, "scheduler", "other-host:42:f00", 600, now=beat)
    s = health_report(db_engine, get_settings()).scheduler
    assert (s.mode, s.holder, s.leading_here) == ("worker", "other-host:42:f00", False)
    assert s.heartbeat_age_s == pytest.approx(30, abs=5)


def test_the_log_buffer_is_bounded_and_keeps_the_newest_lines() -> None:
    handler = RingBufferHandler(capacity=5)
    logger = logging.getLogger("qdtest.bounded")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        for i in range(12):
            logger.info("line %d", i)
        logger.warning("careful")
    finally:
        logger.removeHandler(handler)
    lines = handler.lines()
    assert len(lines) == handler.capacity == 5
    assert [line.message for line in lines] == ["line 8", "line 9", "line 10", "line 11", "careful"]
    assert [line.is_warning for line in lines] == [False] * 4 + [True]
    assert [line.message for line in handler.lines(limit=2)] == ["line 11", "careful"]
    with pytest.raises(ValueError):
        RingBufferHandler(capacity=0)


@pytest.mark.parametrize(("text", "secret"), [
    ("connect postgresql://quant:hunter2pw@db/qd failed", "hunter2pw"),
    ("login with password=hunter2pw rejected", "hunter2pw"),
    ("payload {'token': 'abcd1234xyz'}", "abcd1234xyz"),
    ("header Authorization: Bearer eyJhbGciOi.J9.xyz", "eyJhbGciOi.J9.xyz"),
    ("tgram://123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-9k/42", "AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-9k"),
    ("api_key: 'k-9f8e7d6c'", "k-9f8e7d6c"),
])
def test_secrets_are_redacted(text: str, secret: str) -> None:
    assert secret not in redact(text) and REDACTED in redact(text)


def test_installed_buffer_masks_the_secret_key_and_feeds_the_report(db_engine) -> None:  # noqa: ANN001
    handler = install_log_buffer()
    assert install_log_buffer() is handler  # once per process
    assert logging.getLogger("engine").handlers.count(handler) == 1
    assert logging.getLogger("storage").handlers.count(handler) == 1
    handler.add_secret("Zm9vYmFyLXNlY3JldC1rZXk=")
    logging.getLogger("engine.testhealth").warning("could not use key Zm9vYmFyLXNlY3JldC1rZXk= for %s", "x")
    logging.getLogger("storage.testhealth").info("checked %d rows", 3)
    lines = health_report(db_engine, get_settings(), log_lines=2).log_lines
    assert [(line.level, line.logger) for line in lines] == [("WARNING", "engine.testhealth"),
                                                              ("INFO", "storage.testhealth")]
    assert "Zm9vYmFy" not in lines[0].message and REDACTED in lines[0].message and lines[0].is_warning


def test_memory_falls_back_to_proc_without_psutil(monkeypatch: pytest.MonkeyPatch) -> None:
    with_psutil = health.memory()
    monkeypatch.setitem(sys.modules, "psutil", None)  # import psutil now raises ImportError
    rss, total, available = health.memory()
    assert rss > 1 << 20 and total >= available > 0
    assert total == pytest.approx(with_psutil[1], rel=0.01)


def test_versions_and_byte_formatting() -> None:
    versions = health.versions(("streamlit", "no-such-package-xyz"))
    assert versions["Python"].startswith(sys.version.split()[0])
    assert versions["streamlit"][0].isdigit() and versions["no-such-package-xyz"] == "not installed"
    assert [format_bytes(n) for n in (None, 512, 1536, 5 * 1024**3)] == ["—", "512 B", "1.5 KiB", "5.0 GiB"]
