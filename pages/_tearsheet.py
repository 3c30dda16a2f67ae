"""Tear sheet of any equity curve on a page: metric cards, figures in tabs, metrics table, HTML download."""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from engine.errors import DataError, QuantdeskError
from engine.metrics import METRIC_CONVENTIONS, periods_per_year_for
from engine.tearsheet import (
    FIGURE_TITLES,
    MIN_BARS,
    TearSheet,
    build_tearsheet,
    conventions_note,
    format_metric,
    metrics_table,
    render_html,
    tearsheet_figures,
)
from pages._shared import get_db, load_bars_cached, stored_symbols
from pages._widgets import CHART_CONFIG, metric_slots
from storage import paper as paper_store
from storage.instruments import get_instrument

CARDS = ("total_return", "cagr", "sharpe", "max_drawdown", "annual_volatility", "beta")
PERCENT_CARDS = {"total_return", "cagr", "max_drawdown", "annual_volatility"}
INDEX_BENCHMARK = "^NSEI"
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


def _card_value(key: str, value: float, currency: str) -> str:
    """One decimal for percentages, so a card's value fits half a phone's width (the table has two)."""
    if key in PERCENT_CARDS and math.isfinite(value):
        return f"{value * 100:+.1f}%" if key in {"total_return", "cagr"} else f"{value * 100:.1f}%"
    return format_metric(key, value, currency)


def _cards(ts: TearSheet, currency: str) -> None:
    """Headline cards; the delta is the gap to the benchmark (named in the tooltip, to stay short)."""
    keys = [k for k in CARDS if k != "beta" or ts.has_benchmark] + ([] if ts.has_benchmark else ["sortino"])
    bench = ts.benchmark_stats or {}
    for slot, key in zip(metric_slots(len(keys)), keys):
        value, delta, help_text = ts.stats[key], None, METRIC_CONVENTIONS[key]
        other = bench.get(key) if key in {"total_return", "cagr", "sharpe"} else None
        if other is not None and math.isfinite(other) and math.isfinite(value):
            delta = f"{(value - other) * 100:+.1f} pp" if key != "sharpe" else f"{value - other:+.2f}"
            help_text += f" Delta: {ts.benchmark_name} was {format_metric(key, other)}."
        slot.metric(METRIC_CONVENTIONS[key].split(":")[0], _card_value(key, value, currency), delta,
                    help=help_text, border=True)


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



def _index_close() -> pd.Series | None:
    """Daily closes of ^NSEI when stored, else None."""
    if INDEX_BENCHMARK not in stored_symbols("1d"):
        return None
    bars = load_bars_cached(INDEX_BENCHMARK, "1d", True)
    return None if bars.empty else bars["close"].rename(INDEX_BENCHMARK)


def _benchmark_choice(options: dict[str, pd.Series | None], key: str) -> tuple[pd.Series | None, str | None]:
    """A compact picker over the benchmarks that have prices; returns (prices, name)."""
    names = [name for name, series in options.items() if series is not None and not series.dropna().empty]
    if not names:
        return None, None
    name = st.radio("Benchmark", names, key=key, horizontal=True) if len(names) > 1 else names[0]
    return options[name], name


def _lazy_expander(key: str) -> DeltaGenerator | None:
    """A collapsed "Tear sheet" expander that reruns when toggled; the container only while it is open,
    so the page's other widgets never pay for building the tear sheet."""
    expander = st.expander("Tear sheet", icon="📑", key=key, on_change="rerun")
    return expander if expander.open else None


def backtest_tearsheet(equity: pd.Series, buy_hold: pd.Series | None, *, title: str, currency: str,
                       periods_per_year: int, rf: float, key: str) -> None:
    """The Backtest result's tear sheet, against buy & hold or ^NSEI (when stored)."""
    container = _lazy_expander(f"{key}_tearsheet")
    if container is None:
        return
    with container:
        bench, name = _benchmark_choice({"Buy & hold": buy_hold, INDEX_BENCHMARK: _index_close()},
                                        f"{key}_ts_benchmark")
        render_tearsheet(equity, bench, key=f"{key}_ts", periods_per_year=periods_per_year, currency=currency,
                         title=title, benchmark_name=name, rf=rf)


@st.cache_data(ttl=30, show_spinner=False)
def _paper_equity(dep_id: int) -> pd.Series:
    frame = paper_store.equity_series(get_db(), dep_id)
    return frame["equity"] if not frame.empty else pd.Series(dtype=float)


def paper_tearsheet(dep_id: int, symbols: list[str], *, title: str, key: str) -> None:
    """A paper deployment's tear sheet, against ^NSEI (when stored) or its first symbol's close."""
    container = _lazy_expander(f"{key}_tearsheet_{dep_id}")
    if container is None:
        return
    with container:
        equity = _paper_equity(dep_id).dropna()
        if equity.empty or equity.index.normalize().nunique() < MIN_BARS:
            st.info(f"The tear sheet needs at least {MIN_BARS} days of paper equity; it fills in as ticks run.",
                    icon="⏳")
            return
        first = symbols[0]
        own = load_bars_cached(first, "1d", True)["close"] if first in stored_symbols("1d") else None
        bench, name = _benchmark_choice({INDEX_BENCHMARK: _index_close(), f"{first} (buy & hold)": own},
                                        f"{key}_ts_benchmark_{dep_id}")
        info = get_instrument(get_db(), first)
        render_tearsheet(equity, bench, key=f"{key}_ts_{dep_id}", periods_per_year=periods_per_year_for(first),
                         currency=info.currency if info else "", title=title, benchmark_name=name)
