"""Shared Streamlit resources and widgets: DB engine, cached loaders, data badges, symbol pickers."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from engine.config import Settings, get_settings
from engine.data import sync as data_sync
from engine.logbuffer import install_log_buffer
from engine.scheduler import QuantdeskScheduler, build_scheduler
from storage import candles as candle_store
from storage.db import make_engine
from storage.migrate import upgrade


def _leave_legacy_multipage_mode() -> None:
    """Make a deep link (e.g. /market) on a fresh server go through app.py's st.navigation.

    Streamlit treats an app with a `pages/` folder as a legacy multipage app until some script calls
    st.navigation; a first request for /market would then run pages/market.py on its own (no app
    shell, helper modules listed as pages). Switching the flag and rerunning hands the request to
    app.py, which routes it to the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_multipage_mode()

CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}


def settings() -> Settings:
    return get_settings()


@st.cache_resource(show_spinner="Opening the database…")
def get_db() -> Engine:
    """The process-wide database engine, migrated; on an empty database the watchlist is synced once."""
    cfg = get_settings()
    install_log_buffer().add_secret(cfg.secret_key)  # Settings → Health shows engine/storage log lines
    engine = make_engine(cfg.database_url)
    upgrade(engine)
    data_sync.ensure_default_data(engine, cfg)
    return engine


@st.cache_resource(show_spinner=False, on_release=lambda s: s is not None and s.running and s.shutdown(wait=False))
def get_scheduler() -> QuantdeskScheduler | None:
    """The process-wide job scheduler, started once per server process when settings.scheduler is
    "thread"; None when it is "worker" (run `python -m engine worker`) or "off". Its threads never call st.*."""
    cfg = get_settings()
    if cfg.scheduler != "thread":
        return None
    get_db()  # migrated before the scheduler touches it
    scheduler = build_scheduler(cfg.database_url, cfg)
    scheduler.start()
    return scheduler


@st.cache_data(ttl=30, show_spinner=False)
def data_status_cached() -> data_sync.DataStatus:
    return data_sync.data_status(get_db())


@st.cache_data(ttl=60, show_spinner=False)
def coverage_cached() -> pd.DataFrame:
    return candle_store.coverage(get_db())


@st.cache_data(ttl=60, show_spinner="Loading bars…")
def load_bars_cached(symbol: str, interval: str, adjusted: bool = False) -> pd.DataFrame:
    return data_sync.load_bars(get_db(), symbol, interval, adjusted=adjusted)


def clear_data_caches() -> None:
    data_status_cached.clear()
    coverage_cached.clear()
    load_bars_cached.clear()


def stored_symbols(interval: str | None = None) -> list[str]:
    cov = coverage_cached()
    if interval:
        cov = cov[cov["interval"] == interval]
    return sorted(cov["symbol"].unique().tolist())


def require_stored_symbols() -> list[str]:
    """Symbols with stored bars; with none, an empty state pointing to the Data page, and stop."""
    symbols = stored_symbols()
    if not symbols:
        st.info("No market data stored yet — open **Data** and click *Sync now* (or upload a CSV), "
                "then come back.", icon="🗄️")
        st.page_link("pages/data.py", label="Go to Data", icon="🗄️")
        st.stop()
    return symbols


def stored_intervals(symbol: str) -> list[str]:
    cov = coverage_cached()
    return cov.loc[cov["symbol"] == symbol, "interval"].tolist()


def data_badge(symbols: list[str] | None = None, sidebar: bool = False) -> None:
    """A visible badge when the data shown is demo data or the last sync could not reach the provider."""
    status = data_status_cached()
    target = st.sidebar if sidebar else st
    demo_symbols = sorted({s.symbol for s in status.symbols if s.is_demo})
    demo = [s for s in (symbols or demo_symbols) if s in demo_symbols]
    if demo:
        shown = ", ".join(demo[:4]) + ("…" if len(demo) > 4 else "")
        target.warning(f"**demo data** — generated, not market prices ({shown})", icon="🧪")
    if status.offline:
        as_of = status.as_of.tz_convert("Asia/Kolkata").strftime("%d %b %Y") if status.as_of is not None else "never"
        target.info(f"**offline** — market data provider unreachable; data as of {as_of}", icon="📴")
