"""Database set-up: WAL and busy timeout on SQLite, migrations idempotent, settings from env and file."""

from pathlib import Path

import pytest
from sqlalchemy import inspect

from engine.config import Settings, get_settings
from storage.db import make_engine
from storage.migrate import current_revision, upgrade


def test_sqlite_wal_and_busy_timeout(db_engine) -> None:
    with db_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_migrations_create_tables_and_are_idempotent(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'q.db'}")  # folder created on demand
    first = upgrade(engine)
    assert first and upgrade(engine) == first == current_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"instruments", "candles", "sync_runs", "alembic_version"} <= tables


def test_database_url_from_environment_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "quantdesk.toml"
    cfg.write_text('database_url = "sqlite:///from-file.db"\nwatchlist = ["INFY.NS", "AAPL"]\n')
    monkeypatch.setenv("QUANTDESK_CONFIG", str(cfg))
    monkeypatch.delenv("QUANTDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert Settings().database_url == "sqlite:///from-file.db"
    assert Settings().watchlist == ("INFY.NS", "AAPL")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    assert Settings().database_url == "sqlite:///from-env.db"  # environment wins over the file
    monkeypatch.setenv("QUANTDESK_WATCHLIST", "tcs.ns, ^nsei")
    assert Settings().watchlist == ("TCS.NS", "^NSEI")


def test_invalid_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTDESK_PROVIDER", "bloomberg")
    with pytest.raises(ValueError, match="provider must be"):
        Settings()


def test_default_database_is_a_file_under_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUANTDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    assert get_settings().database_url.endswith("/data/quantdesk.db")
