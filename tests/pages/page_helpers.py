"""Helpers for page tests: a demo-seeded database per test and AppTest runs of one page file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
SYMBOLS = ("RELIANCE.NS", "TCS.NS")
NOW = pd.Timestamp("2024-06-28", tz="UTC")  # pins the demo generator so every run sees the same bars


def fresh_streamlit_caches() -> None:
    """Drop cached DB engines and loaders left by an earlier test (each test has its own database)."""
    st.cache_data.clear()
    st.cache_resource.clear()


def seed_demo_bars(db_engine, symbols: tuple[str, ...] = SYMBOLS, start: str = "2019-01-01") -> None:  # noqa: ANN001
    """Store deterministic demo daily bars for `symbols` through the data layer's sync."""
    from engine.data.providers.demo import DemoProvider
    from engine.data.sync import sync_symbols

    results = sync_symbols(db_engine, symbols, "1d", start=start, provider=DemoProvider(now=NOW))
    assert all(r.status == "ok" and r.rows > 500 for r in results), [r.as_dict() for r in results]


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline settings: demo provider, no scheduler, a watchlist limited to the seeded symbols."""
    from engine.config import get_settings

    monkeypatch.setenv("QUANTDESK_PROVIDER", "demo")
    monkeypatch.setenv("QUANTDESK_SCHEDULER", "off")
    monkeypatch.setenv("QUANTDESK_WATCHLIST", ",".join(SYMBOLS))
    get_settings.cache_clear()
    fresh_streamlit_caches()
    yield
    fresh_streamlit_caches()


@pytest.fixture
def seeded(demo_env, db_engine) -> None:  # noqa: ANN001
    seed_demo_bars(db_engine)


@pytest.fixture
def empty_db(demo_env, db_engine, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """A migrated database with no bars, and an empty watchlist so first start stores nothing."""
    from engine.config import get_settings

    monkeypatch.setenv("QUANTDESK_WATCHLIST", "")
    get_settings.cache_clear()


def app(page: str) -> AppTest:
    """AppTest of one page file (absolute path), run once."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
    at.run(timeout=60)
    return at


def app_at(page: str) -> AppTest:
    """AppTest of the whole app (st.navigation, so page links resolve) switched to pages/<page>.py."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run(timeout=60)
    at.switch_page(f"pages/{page}.py").run(timeout=60)
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def chart_keys(at: AppTest) -> set[str]:
    return {c.key for c in at.get("plotly_chart")}
