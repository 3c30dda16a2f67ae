"""Backtest: one click from symbol + strategy to metrics, equity vs buy & hold, trades and run history."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from engine.backtest import BacktestConfig, BacktestResult, run_backtest, run_portfolio_backtest
from engine.errors import QuantdeskError
from engine.metrics import periods_per_year_for
from engine.strategies import make_strategy
from pages import _history, _results, _tearsheet
from pages._shared import (
    coverage_cached,
    data_badge,
    get_db,
    load_bars_cached,
    require_stored_symbols,
    stored_intervals,
)
from pages._widgets import backtest_settings, checked_strategy, param_form, strategy_select, widget_key
from storage.instruments import get_instrument

P = "backtest"  # session-state prefix

st.title("Backtest")
st.caption("Pick symbols and a strategy, click **Run backtest**: metrics, equity vs buy & hold, trades.")

symbols = require_stored_symbols()


def apply_pending() -> None:
    """Pre-fill the form from another page (Strategy Lab's "Open in Backtest") before widgets exist."""
    pending = st.session_state.pop(f"{P}_pending", None)
    if not pending:
        return
    st.session_state[f"{P}_strategy"] = pending["strategy"]
    for name, value in pending.get("params", {}).items():
        st.session_state[widget_key(P, pending["strategy"], name)] = value
    if pending.get("symbols"):
        st.session_state[f"{P}_symbols"] = [s for s in pending["symbols"] if s in symbols]
    if pending.get("interval"):
        st.session_state[f"{P}_interval"] = pending["interval"]


def date_bounds(chosen: list[str], interval: str) -> tuple[Any, Any, Any]:
    """(first, default start, last) dates shared by all chosen symbols at this interval."""
    cov = coverage_cached()
    cov = cov[cov["symbol"].isin(chosen) & (cov["interval"] == interval)]
    first, last = cov["first"].max().date(), cov["last"].min().date()
    start = max(first, (pd.Timestamp(last) - pd.DateOffset(years=5)).date())
    return first, start, last


def instrument_meta(symbol: str) -> tuple[str, str]:
    info = get_instrument(get_db(), symbol)
    return (info.currency, info.timezone) if info else ("", "UTC")


apply_pending()
with st.container(border=True):
    c1, c2 = st.columns([3, 1])
    if f"{P}_symbols" not in st.session_state:
        st.session_state[f"{P}_symbols"] = [symbols[0]]
    chosen = c1.multiselect("Symbols", symbols, key=f"{P}_symbols", max_selections=20,
                            help="One symbol: a single run. Several: one shared-cash portfolio run.")
    intervals = stored_intervals(chosen[0]) if chosen else ["1d"]
    interval = c2.selectbox("Interval", intervals or ["1d"], key=f"{P}_interval")
    d1, d2, d3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    if chosen:
        first, start_default, last = date_bounds(chosen, interval)
        dates = d1.date_input("Date range", value=(start_default, last), min_value=first, max_value=last,
                              key=f"{P}_dates")
        adjusted = d3.toggle("Adjusted", value=True, key=f"{P}_adjusted",
                             help="Split/dividend-adjusted OHLC for research; trade logs then show adjusted prices.")
    with d2:
        strategy_cls = strategy_select(f"{P}_strategy")
    params = param_form(strategy_cls, P, skip=("allow_short",))
    with st.expander("Settings: cash, costs, slippage, sizing"):
        config = backtest_settings(P, portfolio=len(chosen) > 1, n_symbols=max(1, len(chosen)),
                                   periods_per_year=periods_per_year_for(chosen[0]) if chosen else 252)
    if config is not None and any(p.name == "allow_short" for p in strategy_cls.params):
        params["allow_short"] = config.allow_short
    strategy = checked_strategy(strategy_cls, params)
    ready = bool(chosen) and strategy is not None and config is not None and len(dates) == 2
    if not chosen:
        st.warning("Pick at least one symbol.")
    clicked = st.button("Run backtest", type="primary", disabled=not ready, key=f"{P}_run", icon="▶️")


def load_window(chosen: list[str], progress: Any) -> dict[str, pd.DataFrame]:
    start, end = (pd.Timestamp(d, tz="UTC") for d in dates)
    out = {}
    for i, sym in enumerate(chosen, start=1):
        progress.progress(0.5 * i / len(chosen), text=f"Loading bars {i} / {len(chosen)} · {sym}")
        out[sym] = load_bars_cached(sym, interval, adjusted).loc[start:end + pd.Timedelta(days=1) - pd.Timedelta(1)]
    return out


def run(chosen: list[str], config: BacktestConfig) -> str:
    """Load, run (plus an equal-weight buy & hold for a portfolio), and return the result as JSON."""
    progress = st.progress(0.0, text="Loading bars…")
    bars = load_window(chosen, progress)
    progress.progress(0.6, text="Running backtest…")
    if len(chosen) == 1:
        result = run_backtest(bars[chosen[0]], strategy, config, symbol=chosen[0])
    else:
        result = run_portfolio_backtest(bars, strategy, config)
        progress.progress(0.8, text="Running buy & hold benchmark…")
        equal = replace(config, sizing="pct_equity", size_value=95.0 / len(chosen), max_positions=None,
                        allow_short=False)
        result.benchmark = run_portfolio_backtest(bars, make_strategy("buy_hold"), equal).equity
    progress.progress(0.9, text="Computing statistics…")
    text = result.to_json()
    progress.empty()
    return text


if clicked and ready:
    try:
        st.session_state[f"{P}_result"] = run(chosen, config)
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
    else:
        st.session_state[f"{P}_meta"] = {
            "symbols": list(chosen), "interval": interval, "adjusted": adjusted, "saved_id": None,
            "label": _history.run_name(strategy_cls.title, chosen, interval)}

text, meta = st.session_state.get(f"{P}_result"), st.session_state.get(f"{P}_meta")
if text and meta:
    result = BacktestResult.from_json(text)
    currency, tz = instrument_meta(meta["symbols"][0])
    if len({instrument_meta(s)[0] for s in meta["symbols"]}) > 1:
        currency = ""  # mixed currencies: show plain numbers
    st.subheader(meta["label"])
    data_badge(meta["symbols"])
    _results.headline_metrics(result, currency)
    _results.equity_chart(result, key=f"{P}_equity")
    shown = meta["symbols"][0]
    if len(meta["symbols"]) > 1:
        shown = st.selectbox("Price chart symbol", meta["symbols"], key=f"{P}_chart_symbol")
    daily = meta["interval"] in {"1d", "1wk", "1mo"}
    _results.price_chart(result, shown, load_bars_cached(shown, meta["interval"], meta["adjusted"]),
                         instrument_meta(shown)[1], daily, key=f"{P}_price")
    _results.detail_tabs(result, currency, tz, daily, P)
    _tearsheet.backtest_tearsheet(result.equity, result.benchmark, title=meta["label"], currency=currency,
                                  periods_per_year=result.config.periods_per_year, rf=result.config.rf, key=P)
    _results.downloads(result, f"{result.strategy_name}_{'_'.join(meta['symbols'])}", P)
    _history.save_button(result, meta, P)
    _results.deploy_button(result, meta["symbols"], meta["interval"], P)

_history.history_section(P)
