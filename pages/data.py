"""Data: what is stored, how fresh it is, what is wrong with it; sync now, validate/repair, import a CSV."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from engine import charts
from engine.data.importer import import_csv
from engine.data.providers import make_provider
from engine.data.providers.base import INTERVALS
from engine.data.providers.csv_provider import parse_csv
from engine.data.retry import RetryPolicy
from engine.data.sync import sync_symbols
from engine.data.validate import validate_symbols
from engine.errors import QuantdeskError
from pages._shared import CHART_CONFIG, clear_data_caches, data_badge, data_status_cached, get_db, settings
from pages._widgets import metric_slots

st.title("Data")
st.caption("Stored market data: coverage, freshness and quality. Sync, repair or import here.")

cfg = settings()
status = data_status_cached()
data_badge()

rows = [
    {"symbol": s.symbol, "interval": s.interval, "first": s.first, "last": s.last, "bars": s.bars,
     "source": s.source, "last sync": s.last_status or "—", "last real sync": s.last_real_sync,
     "error": s.last_error}
    for s in status.symbols
]
coverage = pd.DataFrame(rows)
failed = sum(1 for s in status.symbols if s.last_status == "failed")
m = metric_slots(4)
m[0].metric("Symbols", f"{coverage['symbol'].nunique() if rows else 0}")
m[1].metric("Bars stored", f"{int(coverage['bars'].sum()) if rows else 0:,}")
newest = status.newest
m[2].metric("Newest bar", newest.strftime("%d %b") if newest is not None else "—",  # the year beneath: fits a phone
            newest.strftime("%Y") if newest is not None else None, delta_color="off", delta_arrow="off")
m[3].metric("Failed syncs", f"{failed}", help="Symbols whose latest sync failed (reason in the table).")

tab_cov, tab_sync, tab_quality, tab_csv = st.tabs(["Coverage", "Sync now", "Quality", "Import CSV"])

with tab_cov:
    if not rows:
        st.info("No data stored yet — use **Sync now** or **Import CSV**.", icon="🗄️")
    else:
        span = coverage.assign(first=coverage["first"].dt.tz_localize(None),
                               last=coverage["last"].dt.tz_localize(None),
                               label=coverage["symbol"] + " · " + coverage["interval"])
        fig = px.timeline(span, x_start="first", x_end="last", y="label", color="source",
                          hover_data={"bars": True, "last sync": True})
        fig.update_yaxes(autorange="reversed", title_text="")
        charts.style(fig, height=max(220, 34 * len(span) + 80))
        st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key="data_coverage_chart")
        st.dataframe(coverage, width="stretch", hide_index=True, key="data_coverage_table",
                     column_config={"first": st.column_config.DatetimeColumn(format="YYYY-MM-DD"),
                                    "last": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                    "last real sync": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})

with tab_sync:
    known = sorted(set(cfg.watchlist) | set(coverage["symbol"] if rows else []))
    with st.form("data_sync_form"):
        picked = st.multiselect("Symbols", known, default=list(cfg.watchlist), key="data_sync_symbols")
        extra = st.text_input("Other symbols (comma-separated, Yahoo style: INFY.NS, ^NSEI, AAPL, BTC-USD)",
                              key="data_sync_extra")
        c1, c2, c3 = st.columns(3)
        interval = c1.selectbox("Interval", list(INTERVALS), key="data_sync_interval")
        start = c2.date_input("From (first sync only)", pd.Timestamp(cfg.history_start).date(),
                              key="data_sync_start")
        provider_name = c3.selectbox("Provider", ["yfinance", "demo"],
                                     index=0 if cfg.provider == "yfinance" else 1, key="data_sync_provider")
        go = st.form_submit_button("Sync now", type="primary")
    if go:
        symbols = picked + [s.strip().upper() for s in extra.split(",") if s.strip()]
        if not symbols:
            st.error("Pick at least one symbol to sync.")
        else:
            bar = st.progress(0.0, text=f"sync 0 / {len(symbols)}")

            def _progress(done: int, total: int, symbol: str) -> None:
                bar.progress(done / total, text=f"sync {done} / {total} · {symbol}")

            try:
                results = sync_symbols(
                    get_db(), symbols, interval, start=pd.Timestamp(start),
                    provider=make_provider(provider_name, cfg.provider_min_interval_s),
                    overlap_bars=cfg.sync_overlap_bars, progress=_progress, demo_fallback=cfg.demo_fallback,
                    retry=RetryPolicy(attempts=cfg.retry_attempts, base_wait_s=cfg.retry_base_wait_s),
                )
            except QuantdeskError as exc:
                st.error(str(exc))
            else:
                clear_data_caches()
                table = pd.DataFrame([{"symbol": r.symbol, "status": r.status, "rows": r.rows,
                                       "source": r.source, "as of": r.as_of, "message": r.error}
                                      for r in results])
                ok = sum(r.status == "ok" for r in results)
                (st.success if ok == len(results) else st.warning)(f"{ok} of {len(results)} symbols synced.")
                st.dataframe(table, width="stretch", hide_index=True, key="data_sync_results")

with tab_quality:
    st.caption("Checks: OHLC consistency, NaNs, non-positive prices, duplicates, split-like jumps, gaps and "
               "stray bars against the exchange calendar (NSE, NYSE; crypto trades every day).")
    intervals = sorted(coverage["interval"].unique()) if rows else ["1d"]
    c1, c2, c3 = st.columns([1, 1, 1])
    q_interval = c1.selectbox("Interval", intervals, key="data_quality_interval")
    check = c2.button("Validate", type="primary", key="data_validate")
    fix = c3.button("Repair what can be repaired", key="data_fix",
                    help="Drops stray and duplicate bars, widens inconsistent high/low, removes NaN rows; "
                         "gaps and split-like jumps are reported, never invented.")
    if (check or fix) and rows:
        try:
            with st.spinner("Validating…"):
                reports = validate_symbols(get_db(), None, q_interval, fix=fix)
        except QuantdeskError as exc:
            st.error(str(exc))
        else:
            if fix:
                clear_data_caches()
            summary = pd.DataFrame([{"symbol": r.symbol, "bars": r.bars, "ok": r.ok, **r.counts(),
                                     **({"fixed": r.fixed} if fix else {})} for r in reports]).fillna(0)
            st.dataframe(summary, width="stretch", hide_index=True, key="data_quality_summary")
            for r in reports:
                issues = r.remaining if fix and r.remaining is not None else r.issues
                if issues:
                    with st.expander(f"{r.symbol}: {len(issues)} issue(s)"):
                        st.dataframe(pd.DataFrame([i.as_dict() for i in issues]), width="stretch",
                                     hide_index=True)
    elif (check or fix) and not rows:
        st.info("Nothing stored to validate yet.")

with tab_csv:
    st.caption("Columns: Date (or Datetime), Open, High, Low, Close, Volume, optional Adj Close — any case; "
               "ISO or Indian (dd-mm-yyyy) dates; comma or semicolon separated.")
    upload = st.file_uploader("CSV file", type=["csv", "txt"], key="data_csv_file")
    c1, c2 = st.columns(2)
    csv_symbol = c1.text_input("Symbol", key="data_csv_symbol", placeholder="e.g. INFY.NS")
    csv_interval = c2.selectbox("Interval", list(INTERVALS), key="data_csv_interval")
    if upload is not None:
        symbol = csv_symbol.strip().upper()
        try:
            preview, problems = parse_csv(upload.getvalue(), symbol or None, csv_interval)
        except QuantdeskError as exc:
            st.error(str(exc))
        else:
            st.write(f"{len(preview):,} bars read, {preview.index.min():%Y-%m-%d} → {preview.index.max():%Y-%m-%d}")
            if problems:
                st.warning(f"{len(problems)} row(s) skipped:\n\n" + "\n".join(f"- {p}" for p in problems[:20]))
            st.dataframe(preview.head(10), width="stretch")
            if st.button("Import", type="primary", disabled=not symbol, key="data_csv_import"):
                try:
                    result = import_csv(get_db(), upload.getvalue(), symbol, csv_interval)
                except QuantdeskError as exc:
                    st.error(str(exc))
                else:
                    clear_data_caches()
                    st.success(f"Imported {result.rows:,} bars of {result.symbol}.")
            if not symbol:
                st.info("Enter the symbol these bars belong to, then import.")
