"""Tear sheet of any equity curve on a page: metric cards, figures in tabs, metrics table, HTML download."""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st

from engine.errors import DataError, QuantdeskError
from engine.metrics import METRIC_CONVENTIONS
from engine.tearsheet import (
    FIGURE_TITLES,
    TearSheet,
    build_tearsheet,
    conventions_note,
    format_metric,
    metrics_table,
    render_html,
    tearsheet_figures,
)
from pages._widgets import CHART_CONFIG, metric_slots

CARDS = ("total_return", "cagr", "sharpe", "max_drawdown", "annual_volatility", "beta")
TABS = {
    "Returns": ("cumulative",),
    "Calendar": ("monthly", "yearly", "calendar"),
    "Rolling": ("rolling",),
    "Distribution": ("distribution",),
    "Metrics": (),
}


@st.cache_data(ttl=600, show_spinner="Building the tear sheet…", max_entries=16)
def _tearsheet_cached(equity: pd.Series, benchmark: pd.Series | None, periods_per_year: int, rf: float,
                      benchmark_name: str | None) -> TearSheet:
    return build_tearsheet(equity, benchmark, periods_per_year, rf, benchmark_name=benchmark_name)


def _build(equity: pd.Series, benchmark: pd.Series | None, periods_per_year: int, rf: float,
           benchmark_name: str | None) -> TearSheet | None:
    """The tear sheet, or None after an st.error; an unusable benchmark only costs the comparison."""
    try:
        return _tearsheet_cached(equity, benchmark, periods_per_year, rf, benchmark_name)
    except DataError as exc:
        if benchmark is None or not str(exc).startswith("benchmark"):
            st.error(str(exc), icon="⚠️")
            return None
        st.warning(f"Tear sheet without a benchmark: {exc}", icon="⚠️")
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return None
    return _build(equity, None, periods_per_year, rf, None)


def _cards(ts: TearSheet, currency: str) -> None:
    keys = [k for k in CARDS if k != "beta" or ts.has_benchmark] + ([] if ts.has_benchmark else ["sortino"])
    bench = ts.benchmark_stats or {}
    for slot, key in zip(metric_slots(len(keys)), keys):
        value, delta = ts.stats[key], None
        other = bench.get(key) if key != "beta" else None
        if other is not None and not (math.isnan(other) or math.isnan(value)):
            delta = (f"{(value - other) * 100:+.1f} pp vs {ts.benchmark_name}" if key in {"total_return", "cagr"}
                     else f"{value - other:+.2f} vs {ts.benchmark_name}" if key == "sharpe" else None)
        label = METRIC_CONVENTIONS[key].split(":")[0]
        slot.metric(label, format_metric(key, value, currency), delta, help=METRIC_CONVENTIONS[key], border=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "tearsheet"


def render_tearsheet(equity: pd.Series, benchmark: pd.Series | None = None, key: str = "tearsheet",
                     periods_per_year: int = 252, currency: str = "", *, title: str = "Tear sheet",
                     benchmark_name: str | None = None, rf: float = 0.0) -> None:
    """Metric cards, the tear-sheet figures in tabs, the metrics table and a self-contained HTML download.

    `equity` is account value (NAV) per bar, `benchmark` a price series (e.g. ^NSEI close); `key`
    prefixes every widget key so several tear sheets can share a page. Problems show as st.error.
    """
    ts = _build(equity, benchmark, periods_per_year, rf, benchmark_name)
    if ts is None:
        return
    _cards(ts, currency)
    # Lazy tabs: only the open tab's figures are built on a rerun (figures cost more than the numbers).
    tabs = st.tabs(list(TABS), key=f"{key}_tab", on_change="rerun")
    for tab, (label, names) in zip(tabs, TABS.items()):
        if tab.open is False:
            continue
        with tab:
            if label == "Metrics":
                st.dataframe(metrics_table(ts, currency), width="stretch", hide_index=True, key=f"{key}_metrics",
                             column_config={"Convention": st.column_config.TextColumn(width="large")})
            for name, fig in tearsheet_figures(ts, names).items():
                st.markdown(f"**{FIGURE_TITLES[name]}**")
                st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=f"{key}_{name}")
    st.caption(conventions_note(ts) + "".join(f" {n}." for n in ts.notes))
    st.download_button("Download tear sheet (HTML)", lambda: render_html(ts, title, currency),
                       f"{_slug(title)}_tearsheet.html", "text/html", key=f"{key}_download", icon="⬇️",
                       on_click="ignore")
