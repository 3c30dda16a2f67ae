"""Rendering of one backtest result: metric cards, equity and price charts, detail tabs, downloads."""

from __future__ import annotations

import json
import math

import pandas as pd
import streamlit as st

from engine import charts
from engine.backtest import BacktestResult
from engine.backtest.result import stats_to_json
from engine.metrics import METRIC_CONVENTIONS, monthly_returns_table, total_return
from engine.money import format_money
from engine.strategies.base import Signals
from pages._widgets import CHART_CONFIG, format_stat, metric_slots, stat_label, stats_table

HEADLINE = ("total_return", "cagr", "sharpe", "max_drawdown", "win_rate", "n_trades")
MONEY_COLUMNS = ("entry_price", "exit_price", "pnl", "costs")


def benchmark_return(result: BacktestResult) -> float:
    """Buy-and-hold total return over the run (decimal), NaN without a benchmark."""
    if result.benchmark is None or result.benchmark.dropna().empty:
        return math.nan
    return total_return(result.benchmark)


def headline_metrics(result: BacktestResult, currency: str) -> None:
    """3–6 metric cards with the convention of each figure as its tooltip; wraps to two per row on a phone."""
    stats = result.stats
    bench = benchmark_return(result)
    for slot, key in zip(metric_slots(len(HEADLINE)), HEADLINE):
        delta, help_text = None, METRIC_CONVENTIONS.get(key)
        if key == "total_return" and not math.isnan(bench) and not math.isnan(stats[key]):
            delta = f"{(stats[key] - bench) * 100:+.1f} pp vs B&H"
            help_text = f"{help_text} Delta: percentage points above buy & hold ({bench * 100:+.2f}%)."
        slot.metric(stat_label(key), format_stat(key, stats.get(key), currency), delta, help=help_text, border=True)


def _signals_for(result: BacktestResult, symbol: str) -> Signals | None:
    if isinstance(result.signals, dict):
        return result.signals.get(symbol)
    return result.signals


def equity_chart(result: BacktestResult, key: str, benchmark_name: str = "Buy & hold") -> None:
    st.markdown(f"**Equity vs {benchmark_name.lower()}** · drawdown beneath")
    fig = charts.equity_drawdown(result.equity, benchmark=result.benchmark, height=460,
                                 benchmark_name=benchmark_name)
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=key)


def price_chart(result: BacktestResult, symbol: str, bars: pd.DataFrame, tz: str, daily: bool, key: str) -> None:
    """Candles of `symbol` over the run with entry/exit markers and the strategy's price-scale lines."""
    view = bars.loc[result.equity.index[0]:result.equity.index[-1]]
    if view.empty:
        st.info(f"No stored bars of {symbol} cover this run any more.")
        return
    signals = _signals_for(result, symbol)
    overlays = {name: s.reindex(view.index) for name, s in (signals.extras if signals else {}).items()}
    st.markdown(f"**{symbol}** · entries ▲ and exits ▼")
    fig = charts.candlestick(view, overlays=overlays, markers=charts.trade_markers(result.trades, symbol),
                             tz=tz, daily=daily, height=500)
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=key)


def trades_table(trades: pd.DataFrame, currency: str, tz: str, daily: bool) -> pd.DataFrame:
    """Every trade column, money with the currency symbol (display only); daily bars show their session
    date, intraday bars the time in the exchange's zone."""
    table = trades.copy()
    for col in ("entry_time", "exit_time"):
        times = pd.DatetimeIndex(table[col])
        table[col] = times.tz_convert("UTC").date if daily else times.tz_convert(tz).tz_localize(None)
    for col in MONEY_COLUMNS:
        table[col] = [format_money(float(v), currency) if currency else f"{v:,.2f}" for v in table[col]]
    return table


def detail_tabs(result: BacktestResult, currency: str, tz: str, daily: bool, key_prefix: str) -> None:
    trades_tab, stats_tab, monthly_tab = st.tabs(["Trades", "Statistics", "Monthly returns"])
    with trades_tab:
        if result.trades.empty:
            st.info("No trades: the strategy never entered. Try other parameters or a longer date range.")
        else:
            st.dataframe(trades_table(result.trades, currency, tz, daily), width="stretch", height=360, hide_index=True,
                         key=f"{key_prefix}_trades",
                         column_config={"pnl_pct": st.column_config.NumberColumn("pnl %", format="percent"),
                                        "qty": st.column_config.NumberColumn(format="%.0f")})
    with stats_tab:
        st.dataframe(stats_table(result.stats, currency), width="stretch", height=420, hide_index=True,
                     key=f"{key_prefix}_stats",
                     column_config={"Convention": st.column_config.TextColumn(width="large")})
    with monthly_tab:
        table = monthly_returns_table(result.equity) * 100
        st.caption("Monthly returns in %; Year is the compounded return of the year.")
        fig = charts.heatmap(table, fmt=".1f", height=min(520, 70 + 30 * len(table)))
        st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=f"{key_prefix}_monthly")


def downloads(result: BacktestResult, name: str, key_prefix: str) -> None:
    """Trades CSV, equity CSV and stats JSON of the run."""
    equity = pd.DataFrame({"equity": result.equity, "cash": result.cash, "drawdown": result.drawdown})
    stats = json.dumps(stats_to_json(result.stats), indent=2)
    with st.container(horizontal=True, gap="small"):
        st.download_button("Trades CSV", result.trades.to_csv(index=False).encode(), f"{name}_trades.csv",
                           "text/csv", key=f"{key_prefix}_dl_trades", icon="⬇️")
        st.download_button("Equity CSV", equity.to_csv().encode(), f"{name}_equity.csv", "text/csv",
                           key=f"{key_prefix}_dl_equity", icon="⬇️")
        st.download_button("Stats JSON", stats.encode(), f"{name}_stats.json", "application/json",
                           key=f"{key_prefix}_dl_stats", icon="⬇️")


def deploy_button(result: BacktestResult, symbols: list[str], interval: str, key_prefix: str) -> None:
    """"Deploy to paper": a running paper deployment with this result's strategy, params and settings."""
    from engine.errors import QuantdeskError
    from engine.paper.deployments import DeploymentSpec, create_deployment
    from pages._shared import get_db

    if not st.button("Deploy to paper", key=f"{key_prefix}_deploy_paper", icon="🚀",
                     help="Run this strategy forward on new bars with paper money (Paper Trading page)."):
        return
    spec = DeploymentSpec(result.strategy_name, list(symbols), dict(result.params), interval,
                          result.config.to_dict())
    try:
        dep_id = create_deployment(get_db(), spec)
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return
    st.session_state["paper_selected"] = dep_id
    st.success(f"Paper deployment #{dep_id} is running; it trades from the next closed bar.", icon="🚀")
    st.page_link("pages/paper.py", label="Open Paper Trading", icon="🧾")
