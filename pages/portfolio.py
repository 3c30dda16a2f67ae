"""Portfolio: holdings, P&L, XIRR and allocation from your transactions; add, import, and a tear sheet."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from engine.data.providers import make_provider
from engine.errors import QuantdeskError
from engine.money import format_money
from engine.portfolio import (
    PortfolioReport,
    benchmark_prices,
    build_report,
    load_transactions,
    portfolio_names,
)
from engine.portfolio.report import SYNC_LEAD_DAYS, sync_missing
from pages import _holdings as parts
from pages._shared import clear_data_caches, coverage_cached, data_badge, get_db, settings, stored_symbols
from pages._tearsheet import render_tearsheet
from pages._widgets import metric_slots

P = "portfolio"

st.title("Portfolio")
st.caption("Your holdings built from their transactions: FIFO P&L, XIRR, allocation and a time-weighted tear sheet.")


def fetch_missing(symbols: list[str], start: date) -> None:
    """Sync daily bars for symbols with none stored (demo data when offline; once per session each)."""
    tried = st.session_state.setdefault(f"{P}_synced", set())
    missing = [s for s in symbols if s not in stored_symbols("1d") and s not in tried]
    if not missing:
        return
    tried.update(missing)
    cfg = settings()
    with st.spinner(f"Fetching prices for {', '.join(missing)}…"):
        notes = sync_missing(get_db(), missing, start - timedelta(days=SYNC_LEAD_DAYS),
                             make_provider(cfg.provider, cfg.provider_min_interval_s), cfg.demo_fallback)
    st.session_state.setdefault(f"{P}_sync_notes", []).extend(notes)
    clear_data_caches()


def bars_key(symbols: list[str]) -> str:
    """Changes whenever new bars of these symbols are stored (part of the cache keys)."""
    cov = coverage_cached()
    return cov[cov["symbol"].isin(symbols)].to_csv(index=False)


@st.cache_data(ttl=300, show_spinner="Valuing the portfolio…", max_entries=8)
def report_cached(name: str, txn_ids: tuple[int, ...], bars: str) -> PortfolioReport:
    return build_report(get_db(), name)


@st.cache_data(ttl=300, show_spinner=False, max_entries=8)
def benchmark_cached(symbol: str, start: date, bars: str) -> pd.Series | None:
    return benchmark_prices(get_db(), symbol, start)


def money(value: float, currency: str) -> str:
    return format_money(value, currency) if math.isfinite(value) else "—"


def metrics(report: PortfolioReport) -> None:
    t, c = report.totals, report.currency
    m = metric_slots(6)
    m[0].metric("Value", money(t["value"], c), f"{money(t['total_pnl'], c)} total P&L",
                help="Open positions at the latest stored close; total P&L = unrealised + realised + dividends.")
    m[1].metric("Invested", money(t["invested"], c), help="Cost of the shares still held (FIFO, incl. buy fees).")
    pct = t["unrealised"] / t["invested"] if t["invested"] else math.nan
    m[2].metric("Unrealised P&L", money(t["unrealised"], c), None if math.isnan(pct) else f"{pct:+.2%}")
    m[3].metric("Realised P&L", money(t["realised"], c), f"+ {money(t['dividends'], c)} dividends",
                delta_color="off", delta_arrow="off", help="FIFO, net of buy and sell fees; dividends net of TDS.")
    xirr = t["xirr"]
    m[4].metric("XIRR", "—" if math.isnan(xirr) else f"{xirr:+.2%}",
                help="Money-weighted annual return of all cash flows and today's value (ACT/365, as Excel's XIRR).")
    m[5].metric("Today's change", money(t["day_change"], c), f"{t['day_change_pct']:+.2%}",
                help=f"Latest session ({report.as_of:%d %b %Y}) vs the one before, net of that day's trades.")


def tearsheet_tab(report: PortfolioReport) -> None:
    if report.is_empty:
        st.info("The tear sheet appears once the portfolio has transactions.", icon="📄")
        return
    if len(report.nav.dropna()) < 3:
        st.info("The tear sheet needs at least three days of history after the first transaction.", icon="📄")
        return
    start = report.series.index[0].date()
    symbol, bench = report.benchmark, None
    if symbol:
        fetch_missing([symbol], start)
        bench = benchmark_cached(symbol, start, bars_key([symbol]))
    st.caption("Time-weighted NAV (100 at the first transaction): buying and selling never moves it, only prices "
               "and dividends do." + (f" Benchmark: {symbol}." if bench is not None else ""))
    render_tearsheet(report.nav, bench, key=P, currency=report.currency, title=f"Portfolio {report.name}",
                     benchmark_name=symbol if bench is not None else None)


names = portfolio_names(get_db())
name = st.selectbox("Portfolio", names, key=f"{P}_name") if len(names) > 1 else names[0]
try:
    txns = load_transactions(get_db(), name)
    symbols = list(dict.fromkeys(t.symbol for t in txns))
    if txns:
        fetch_missing(symbols, min(t.trade_date for t in txns))
    report = report_cached(name, tuple(t.id for t in txns), bars_key(symbols))
except QuantdeskError as exc:
    st.error(str(exc), icon="⚠️")
    st.stop()

parts.flash()
if report.is_empty:
    st.info("No transactions yet — add your first buy under **Transactions**, or upload a broker tradebook "
            "(Zerodha, Upstox or a simple CSV) under **Import**.", icon="💼")
else:
    metrics(report)
    st.caption(f"As of {report.as_of:%d %b %Y} · {len(report.transactions)} transactions · amounts in "
               f"{report.currency} · XIRR and NAV conventions under each figure's help.")
    data_badge(symbols)
    for note in st.session_state.pop(f"{P}_sync_notes", []) + report.notices:
        st.info(note, icon="ℹ️")

holdings, transactions, imports, allocation, tearsheet = st.tabs(
    ["Holdings", "Transactions", "Import", "Allocation", "Tear sheet"])
with holdings:
    if report.is_empty:
        st.info("Holdings appear here once you add a transaction.")
    else:
        parts.holdings_tab(report)
with transactions:
    parts.transactions_tab(name)
with imports:
    parts.import_tab(name)
with allocation:
    parts.allocation_tab(report)
with tearsheet:
    tearsheet_tab(report)
