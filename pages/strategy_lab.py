"""Strategy Lab: parameter sweeps with heatmaps, walk-forward validation and the look-ahead check."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from engine.errors import QuantdeskError
from engine.metrics import periods_per_year_for
from pages import _lab
from pages._shared import (
    coverage_cached,
    data_badge,
    load_bars_cached,
    require_stored_symbols,
    stored_intervals,
)
from pages._widgets import backtest_settings, checked_strategy, param_form, strategy_select

P = "lab"  # session-state prefix

st.title("Strategy Lab")
st.caption("Stress a strategy before trusting it: sweep its parameters, walk it forward, check for look-ahead.")

symbols = require_stored_symbols()


def date_bounds(symbol: str, interval: str) -> tuple[Any, Any, Any]:
    cov = coverage_cached()
    row = cov[(cov["symbol"] == symbol) & (cov["interval"] == interval)].iloc[0]
    first, last = row["first"].date(), row["last"].date()
    return first, max(first, (pd.Timestamp(last) - pd.DateOffset(years=5)).date()), last


with st.container(border=True):
    c1, c2, c3 = st.columns([2, 1, 2])
    symbol = c1.selectbox("Symbol", symbols, key=f"{P}_symbol")
    interval = c2.selectbox("Interval", stored_intervals(symbol) or ["1d"], key=f"{P}_interval")
    first, start_default, last = date_bounds(symbol, interval)
    dates = c3.date_input("Date range", value=(start_default, last), min_value=first, max_value=last,
                          key=f"{P}_dates")
    strategy_cls = strategy_select(f"{P}_strategy")
    base = param_form(strategy_cls, P, skip=("allow_short",))
    with st.expander("Backtest settings: cash, costs, slippage, sizing"):
        config = backtest_settings(P, periods_per_year=periods_per_year_for(symbol))
    if config is not None and any(p.name == "allow_short" for p in strategy_cls.params):
        base["allow_short"] = config.allow_short
    adjusted = True

data_badge([symbol])
if config is None or not isinstance(dates, tuple) or len(dates) != 2:
    st.info("Complete the settings above (an end date, valid settings) to use the lab.")
    st.stop()
start, end = (pd.Timestamp(d, tz="UTC") for d in dates)
bars = load_bars_cached(symbol, interval, adjusted).loc[start:end + pd.Timedelta(days=1) - pd.Timedelta(1)]
if len(bars) < 50:
    st.warning(f"Only {len(bars)} bars in that date range — widen it to at least 50 bars.")
    st.stop()
context = {"symbol": symbol, "interval": interval, "strategy": strategy_cls.name}

sweep_tab, wf_tab, la_tab = st.tabs(["Sweep", "Walk-forward", "Look-ahead check"])
with sweep_tab:
    search = _lab.sweep_tab(bars, strategy_cls, base, config, context, P)
with wf_tab:
    _lab.walkforward_tab(bars, strategy_cls, search, config, context, P)
with la_tab:
    strategy = checked_strategy(strategy_cls, base)
    if strategy is None:
        st.error("Fix the base parameters above to run the look-ahead check.", icon="⚠️")
    else:
        try:
            _lab.lookahead_tab(bars, strategy, P)
        except QuantdeskError as exc:
            st.error(str(exc), icon="⚠️")
