"""Reusable Streamlit widgets for research pages: strategy parameter form, backtest settings, stat formatting."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from engine.backtest import BacktestConfig
from engine.config import get_settings
from engine.errors import QuantdeskError, StrategyError
from engine.metrics import METRIC_CONVENTIONS
from engine.settings_store import cost_choice
from engine.strategies import Param, Strategy, get_strategy, list_strategies
from engine.tearsheet.report import format_metric as format_stat
from pages._shared import CHART_CONFIG as BASE_CHART_CONFIG

# Fewer modebar buttons than the shared config, so they never cover the range buttons on a phone;
# box zoom by dragging and double-click reset still work.
CHART_CONFIG = {**BASE_CHART_CONFIG, "modeBarButtonsToRemove": [
    *BASE_CHART_CONFIG.get("modeBarButtonsToRemove", []), "zoomIn2d", "zoomOut2d", "pan2d", "toImage"]}
COST_MODELS = {
    "percent": "Percent of value",
    "flat": "Flat per order",
    "nse_delivery": "NSE delivery charges",
    "nse_intraday": "NSE intraday charges",
    "nse_futures": "NSE futures charges",
    "nse_options": "NSE options charges",
    "bse_delivery": "BSE delivery charges",
    "bse_intraday": "BSE intraday charges",
    "none": "No costs",
}
FILL_LABELS = {"next_open": "Next bar's open", "close": "Signal bar's close"}
SIZING_LABELS = {
    "pct_equity": "% of equity",
    "fixed_amount": "Fixed amount",
    "fixed_qty": "Fixed quantity",
    "risk_pct": "Risk % of equity (needs a stop)",
}


def widget_key(key_prefix: str, strategy_name: str, param_name: str) -> str:
    """Session-state key of one parameter field (so other pages can pre-fill it before switching)."""
    return f"{key_prefix}_p_{strategy_name}_{param_name}"


def strategy_select(key: str, default: str = "sma_cross", label: str = "Strategy") -> type[Strategy]:
    """A selectbox over the registered strategies (shown by title); returns the chosen class."""
    names = [cls.name for cls in list_strategies()]
    if key not in st.session_state and default in names:
        st.session_state[key] = default
    name = st.selectbox(label, names, key=key, format_func=lambda n: get_strategy(n).title)
    return get_strategy(name)


def _param_widget(p: Param, key: str) -> Any:
    kwargs: dict[str, Any] = {"help": p.help or None, "key": key}
    if key not in st.session_state:
        kwargs["value" if p.choices is None else "index"] = (
            p.default if p.choices is None else list(p.choices).index(p.default))
    label = p.name.replace("_", " ").capitalize()
    if p.choices is not None:
        return st.selectbox(label, list(p.choices), **kwargs)
    if p.type is bool:
        return st.toggle(label, **kwargs)
    if p.type is int:
        low = None if p.low is None else int(p.low)
        high = None if p.high is None else int(p.high)
        return st.number_input(label, min_value=low, max_value=high, step=int(p.step or 1), **kwargs)
    if p.type is float:
        step = float(p.step or 0.01)
        decimals = max(2, -math.floor(math.log10(step))) if step < 1 else 2
        return st.number_input(label, min_value=None if p.low is None else float(p.low),
                               max_value=None if p.high is None else float(p.high), step=step,
                               format=f"%.{decimals}f", **kwargs)
    return st.text_input(label, **kwargs)


def param_form(strategy_cls: type[Strategy], key_prefix: str, skip: tuple[str, ...] = (),
               n_columns: int = 3) -> dict[str, Any]:
    """Render the strategy's declared parameters (defaults pre-filled) and return {name: value}.

    Parameters named in `skip` are not shown. Cross-parameter problems (`strategy.validate`) are
    shown with st.error right under the form; use `checked_strategy` to get the instance or None.
    """
    shown = [p for p in strategy_cls.params if p.name not in skip]
    values: dict[str, Any] = {}
    if strategy_cls.description:
        st.caption(strategy_cls.description)
    if not shown:
        st.caption("This strategy has no parameters.")
        return values
    for row in range(0, len(shown), n_columns):  # row by row, so a phone stacks them in reading order
        cols = st.columns(n_columns)
        for col, p in zip(cols, shown[row:row + n_columns]):
            with col:
                values[p.name] = _param_widget(p, widget_key(key_prefix, strategy_cls.name, p.name))
    error = param_error(strategy_cls, values)
    if error:
        st.error(error, icon="⚠️")
    return values


def param_error(strategy_cls: type[Strategy], params: dict[str, Any]) -> str | None:
    """The one-sentence problem with these parameters, or None when the strategy accepts them."""
    try:
        strategy_cls(**params)
    except StrategyError as exc:
        return str(exc)
    return None


def checked_strategy(strategy_cls: type[Strategy], params: dict[str, Any]) -> Strategy | None:
    """The strategy instance, or None when the parameters are invalid (param_form shows the error)."""
    try:
        return strategy_cls(**params)
    except StrategyError:
        return None


def _cost_spec(key_prefix: str, col: Any) -> str:
    default, number = cost_choice(get_settings().default_costs)  # Settings → Risk & costs
    model = col.selectbox("Commission model", list(COST_MODELS), format_func=COST_MODELS.get,
                          index=list(COST_MODELS).index(default) if default in COST_MODELS else 0,
                          key=f"{key_prefix}_cost_model",
                          help="Costs charged on every order (buy and sell). NSE/BSE charges include brokerage, "
                               "STT, exchange, SEBI, stamp duty and GST.")
    if model == "percent":
        pct = col.number_input("Commission % per order", 0.0, 5.0, number if default == "percent" else 0.1, 0.01,
                               format="%.3f",
                               key=f"{key_prefix}_cost_pct", help="0.1 = 0.1 % of the traded value.")
        return f"pct:{pct}"
    if model == "flat":
        flat = col.number_input("Commission per order", 0.0, 10_000.0, number if default == "flat" else 20.0, 1.0,
                                key=f"{key_prefix}_cost_flat",
                                help="A fixed amount in the account currency per order.")
        return f"flat:{flat}"
    return model


def backtest_settings(key_prefix: str, *, portfolio: bool = False, n_symbols: int = 1,
                      periods_per_year: int = 252) -> BacktestConfig | None:
    """Cash, costs, slippage, fill timing, sizing, shorts (and max positions for a portfolio run).

    Returns the BacktestConfig, or None after showing st.error when the settings are inconsistent.
    """
    c1, c2, c3 = st.columns(3)
    cash = c1.number_input("Starting cash", 1_000.0, 1e12, 100_000.0, 10_000.0, format="%.0f",
                           key=f"{key_prefix}_cash", help="Account currency of the symbol(s).")
    costs = _cost_spec(key_prefix, c2)
    slippage = c3.number_input("Slippage (bps)", 0.0, 500.0, float(get_settings().default_slippage_bps), 1.0,
                               key=f"{key_prefix}_slippage",
                               help="Basis points against you on every market and stop fill (1 bp = 0.01 %).")
    d1, d2, d3 = st.columns(3)
    fill = d1.selectbox("Fill timing", list(FILL_LABELS), format_func=FILL_LABELS.get, key=f"{key_prefix}_fill",
                        help="Next open: a signal at bar t's close fills at bar t+1's open (no look-ahead).")
    sizing = d2.selectbox("Position sizing", list(SIZING_LABELS), format_func=SIZING_LABELS.get,
                          key=f"{key_prefix}_sizing")
    default_size = {"pct_equity": 95.0 / max(n_symbols, 1), "fixed_amount": 50_000.0, "fixed_qty": 10.0,
                    "risk_pct": 1.0}[sizing]
    size_value = d3.number_input(f"Size ({SIZING_LABELS[sizing].split(' (')[0]})", 0.01, 1e12,
                                 round(default_size, 2), key=f"{key_prefix}_size_{sizing}",
                                 help="Percent for % modes, currency for fixed amount, shares for fixed quantity.")
    e1, e2 = st.columns(2)
    allow_short = e1.toggle("Allow short", value=False, key=f"{key_prefix}_short",
                            help="Also trade the strategy's short signals.")
    max_positions = None
    if portfolio:
        max_positions = int(e2.number_input("Max open positions", 1, 100, max(1, n_symbols),
                                            key=f"{key_prefix}_max_pos"))
    try:
        return BacktestConfig(cash=float(cash), costs=costs, slippage_bps=float(slippage), fill=fill,
                              sizing=sizing, size_value=float(size_value), allow_short=allow_short,
                              periods_per_year=periods_per_year, max_positions=max_positions)
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return None


def metric_slots(n: int) -> list[Any]:
    """Containers for `n` metric cards: rows of four on a desktop, rows of two on a phone.

    Each row is two stacking columns holding two non-stacking columns, so a 390 px screen shows
    pairs of cards instead of one tall column (and a desktop never squeezes six cards into one row).
    """
    slots: list[Any] = []
    while len(slots) < n:
        for outer in st.columns(2, gap="small"):
            slots.extend(outer.columns(2, gap="small", wrap=False))
    return slots[:n]


def stat_label(key: str) -> str:
    """Short label of a statistic: the text before the colon of its convention."""
    return METRIC_CONVENTIONS.get(key, key).split(":")[0]


def stats_table(stats: dict[str, Any], currency: str = "") -> pd.DataFrame:
    """Every statistic as rows of (Metric, Value, Convention) for st.dataframe."""
    return pd.DataFrame({
        "Metric": [stat_label(k) for k in stats],
        "Value": [format_stat(k, v, currency) for k, v in stats.items()],
        "Convention": [METRIC_CONVENTIONS.get(k, "") for k in stats],
    })


def stats_compare_table(stats_by_run: dict[str, dict[str, Any]], currency: str = "") -> pd.DataFrame:
    """Statistics of several runs side by side: one row per metric, one column per run."""
    keys = list(dict.fromkeys(k for stats in stats_by_run.values() for k in stats))
    table = pd.DataFrame({run: [format_stat(k, stats.get(k), currency) for k in keys]
                          for run, stats in stats_by_run.items()}, index=[stat_label(k) for k in keys])
    table.index.name = "Metric"
    return table
