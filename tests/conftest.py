"""Shared fixtures: every test gets its own SQLite file and never touches the network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".numba_cache"))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'quantdesk.db'}"


@pytest.fixture
def db_engine(db_url: str):
    """A migrated SQLite database in a temporary file."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str):
    """Point settings at a per-test database and config, and keep yfinance's cache in tmp."""
    monkeypatch.setenv("QUANTDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("QUANTDESK_CONFIG", str(tmp_path / "quantdesk.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from engine.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def goog():
    """Real daily GOOG prices 2004-2013 shipped by backtesting.py, as Quantdesk bars (UTC index)."""
    from backtesting.test import GOOG

    bars = GOOG.rename(columns=str.lower).copy()
    bars.index = bars.index.tz_localize("UTC")
    bars.index.name = "ts"
    bars["adj_close"] = bars["close"]
    return bars.astype(float)
