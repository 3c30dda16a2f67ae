"""Volatility section of the Risk page: five estimators over time, GARCH(1,1) forecast and the vol regime."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import charts
from engine.data.instruments import instrument_for
from engine.errors import QuantdeskError
from engine.volatility import (
    CONVENTIONS,
    ESTIMATORS,
    REGIME_CUTS,
    GarchFit,
    VolRegime,
    fit_garch,
    log_returns,
    vol_regime,
    volatility_table,
)
from pages._shared import data_badge, load_bars_cached
from pages._widgets import CHART_CONFIG, metric_slots

HORIZON = 60  # bars ahead in the GARCH term structure
REGIME_LOOKBACK, REGIME_MIN_HISTORY = 756, 126  # three years of daily vols, at least six months
REGIME_COLOURS = {"low": "green", "normal": "blue", "high": "orange", "extreme": "red"}
MONTH = 21  # bars: the metric deltas compare with the value a month ago
TABS = ("Estimators", "GARCH(1,1) forecast")


@st.cache_data(ttl=300, show_spinner="Measuring volatility…")
def vol_table_cached(symbol: str, window: int, periods_per_year: int) -> pd.DataFrame:
    """All five estimators on `symbol`'s adjusted daily bars."""
    return volatility_table(load_bars_cached(symbol, "1d", True), window, periods_per_year)


@st.cache_data(ttl=600, show_spinner="Fitting GARCH(1,1)…")
def garch_cached(symbol: str, periods_per_year: int, horizon: int = HORIZON) -> GarchFit:
    """GARCH(1,1) on `symbol`'s adjusted daily log returns (the slow part of the section)."""
    return fit_garch(log_returns(load_bars_cached(symbol, "1d", True)), periods_per_year=periods_per_year,
                     horizon=horizon)


def _pct(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value * 100:.1f}%"


def _current_cards(table: pd.DataFrame, help_text: str, regime: VolRegime | None) -> None:
    m = metric_slots(len(ESTIMATORS) + 1)
    for slot, (name, label) in zip(m, ESTIMATORS.items()):
        series = table[name].dropna()
        now = float(series.iloc[-1])
        before = float(series.iloc[-1 - MONTH]) if len(series) > MONTH else math.nan
        delta = None if math.isnan(before) else f"{(now - before) * 100:+.1f} pts vs 1M"
        slot.metric(label, _pct(now), delta, delta_color="inverse", help=help_text)
    if regime is None:
        m[-1].metric("Vol regime", "—", help="Needs more history: see the note below.")
        return
    m[-1].metric("Vol regime", regime.current.capitalize(), f"{regime.current_percentile * 100:.0f}th percentile",
                 delta_color="off", delta_arrow="off", help=_regime_help())


def _regime_help() -> str:
    return (f"Where today's close-to-close vol ranks among its own last {REGIME_LOOKBACK} daily values: "
            f"low below the {REGIME_CUTS['low'] * 100:.0f}th percentile, high above the "
            f"{REGIME_CUTS['high'] * 100:.0f}th, extreme above the {REGIME_CUTS['extreme'] * 100:.0f}th.")


def _regime(table: pd.DataFrame) -> VolRegime | None:
    try:
        return vol_regime(table["close_to_close"], lookback=REGIME_LOOKBACK, min_history=REGIME_MIN_HISTORY)
    except QuantdeskError as exc:
        st.warning(f"No vol regime yet: {exc}", icon="⏳")
        return None


def _estimators_chart(table: pd.DataFrame, window: int, key: str) -> None:
    series = {label: table[name].dropna() * 100 for name, label in ESTIMATORS.items()}
    fig = charts.line(series, height=360, y_title="Vol %")
    last = table.index[-1].tz_localize(None) if table.index.tz is not None else table.index[-1]
    # open on the last year (the whole history is one click away): five lines over decades are a blur
    fig.update_xaxes(range=[last - pd.DateOffset(years=1), last],
                     rangeselector={"buttons": charts.RANGE_BUTTONS, "font": {"color": "#000"}})
    fig.update_layout(margin={"t": 44}, legend={"y": -0.12})
    st.markdown(f"**{window}-bar rolling volatility, annualised %**")
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=f"{key}_chart")


def _garch_tab(symbol: str, periods_per_year: int, close_to_close: pd.Series, key: str) -> None:
    try:
        fit = garch_cached(symbol, periods_per_year)
    except QuantdeskError as exc:
        st.warning(f"GARCH(1,1) unavailable: {exc}", icon="⏳")
        return
    m = metric_slots(4)
    m[0].metric("α (shock)", f"{fit.alpha:.3f}", help="Weight of yesterday's squared return surprise.")
    m[1].metric("β (memory)", f"{fit.beta:.3f}", help="Weight of yesterday's variance.")
    m[2].metric("Persistence α+β", f"{fit.persistence:.3f}", help="Below 1: shocks fade towards the long-run vol.")
    m[3].metric("Long-run vol", _pct(fit.long_run_vol), help=f"√(ω / (1 − α − β) × {periods_per_year}), annualised.")
    half_life = math.log(0.5) / math.log(fit.persistence) if 0 < fit.persistence < 1 else math.inf
    st.caption(f"ω = {fit.omega:.4f} (%² per day), mean μ = {fit.mu * 100:.3f}% per day, {fit.n_obs:,} log returns; "
               f"a shock's excess variance halves in {half_life:,.1f} days. Normal errors, constant mean (arch).")
    st.markdown("**Forecast term structure, annualised %** (days ahead)")
    st.plotly_chart(_term_structure(fit), width="stretch", config=CHART_CONFIG, key=f"{key}_garch_chart")
    fig = charts.line({"GARCH conditional": fit.conditional_vol * 100, "Close-to-close": close_to_close.dropna() * 100},
                      height=300, y_title="Vol %")
    fig.update_layout(legend={"y": -0.12})
    st.markdown("**GARCH conditional vol against close-to-close, annualised %**")
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=f"{key}_garch_history")


def _term_structure(fit: GarchFit) -> go.Figure:
    h = fit.forecast.index
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=h, y=fit.forecast["term"] * 100, name="Over the next h days",
                             line={"color": charts.PALETTE[0], "width": 2}))
    fig.add_trace(go.Scatter(x=h, y=fit.forecast["forward"] * 100, name="On day h",
                             line={"color": charts.PALETTE[1], "width": 1.5, "dash": "dot"}))
    if not math.isnan(fit.long_run_vol):  # a trace, not an hline, so the y-axis range includes it
        fig.add_trace(go.Scatter(x=[h[0], h[-1]], y=[fit.long_run_vol * 100] * 2, name="Long run", mode="lines",
                                 line={"color": "#9e9e9e", "dash": "dash", "width": 1}))
    fig.update_yaxes(title_text="Vol %")
    fig = charts.style(fig, height=320)
    fig.update_layout(legend={"y": -0.12})
    return fig


def render_volatility(symbol_choices: list[str], key: str = "vol") -> None:
    """The "Volatility" section: symbol and window inputs, current estimates, history chart, GARCH, regime."""
    st.subheader("Volatility")
    if not symbol_choices:
        st.info("No daily bars stored yet — sync some symbols on **Data** to measure their volatility.", icon="🗄️")
        return
    with st.container(border=True):
        c = st.columns([3, 1])
        symbol = c[0].selectbox("Symbol", symbol_choices, key=f"{key}_symbol")
        window = int(c[1].number_input("Window (bars)", 2, 250, 20, key=f"{key}_window",
                                       help="Rolling window of daily bars for every estimator."))
    periods_per_year = instrument_for(symbol).periods_per_year
    help_text = f"{CONVENTIONS}. {symbol} uses {periods_per_year} periods per year; adjusted daily bars."
    try:
        table = vol_table_cached(symbol, window, periods_per_year)
    except QuantdeskError as exc:
        st.warning(f"Cannot measure the volatility of {symbol}: {exc}", icon="⚠️")
        return
    data_badge([symbol])
    regime = _regime(table)
    _current_cards(table, help_text, regime)
    if regime is not None:
        st.badge(f"{regime.current.upper()} volatility regime", color=REGIME_COLOURS[regime.current],
                 help=_regime_help())
    st.caption(f"Annualised with √{periods_per_year} from log prices; {window}-bar windows, latest bar "
               f"{table.index[-1]:%d %b %Y}. Deltas are percentage points against a month ({MONTH} bars) ago; "
               "red = vol rising.", help=help_text)
    # Lazy tabs: the GARCH fit (and arch's slow first import) runs only once its tab is opened.
    estimators_tab, garch_tab = st.tabs(list(TABS), key=f"{key}_tab", on_change="rerun")
    if estimators_tab.open is not False:
        with estimators_tab:
            _estimators_chart(table, window, key)
    if garch_tab.open is not False:
        with garch_tab:
            _garch_tab(symbol, periods_per_year, table["close_to_close"], key)
