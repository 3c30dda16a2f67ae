"""Optimizer page parts: sector-cap and view editors, cached loaders, and the result sections."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from engine.errors import QuantdeskError
from engine.money import format_money
from engine.optimizer import (
    ALLOCATION_METHODS,
    AllocationBacktest,
    Frontier,
    OptimizationResult,
    View,
    allocate_lots,
)
from engine.optimizer.charts import backtest_figure, frontier_figure, weights_figure
from engine.optimizer.frontier import PortfolioPoint
from engine.optimizer.universe import Universe, load_universe
from pages._shared import get_db, load_bars_cached
from pages._widgets import CHART_CONFIG, metric_slots, stats_compare_table

P = "opt"
VIEW_COLUMNS = ("Kind", "Asset", "Versus", "Return %", "Confidence %")
BACKTEST_STATS = ("total_return", "cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown", "calmar",
                  "max_drawdown_duration_days")


@st.cache_data(ttl=120, show_spinner="Loading prices…")
def universe_cached(symbols: tuple[str, ...]) -> Universe:
    """Adjusted closes on shared dates, latest traded closes, sectors and lot sizes of `symbols`."""
    return load_universe(get_db(), list(symbols), loader=lambda s: load_bars_cached(s, "1d", False))


def sector_caps_editor(sectors: dict[str, str]) -> dict[str, float]:
    """One row per sector of the chosen symbols with an editable cap in percent; returns caps below 100%."""
    members: dict[str, list[str]] = {}
    for symbol, sector in sectors.items():
        members.setdefault(sector, []).append(symbol)
    table = pd.DataFrame({"Sector": list(members), "Symbols": [", ".join(v) for v in members.values()],
                          "Cap %": [100.0] * len(members)})
    edited = st.data_editor(
        table, hide_index=True, width="stretch", num_rows="fixed", key=caps_key(list(members)),
        disabled=["Sector", "Symbols"],
        column_config={"Cap %": st.column_config.NumberColumn(min_value=0.0, max_value=100.0, step=5.0,
                                                              format="%.0f %%", help="Largest total weight")})
    caps = {}
    for row in edited.to_dict(orient="records"):
        cap = row["Cap %"]
        if not _blank(cap) and float(cap) < 100:
            caps[row["Sector"]] = float(cap) / 100
    return caps


def caps_key(sectors: list[str]) -> str:
    """The caps editor's key: a new table (and fresh edits) whenever the set of sectors changes."""
    return f"{P}_caps_" + "|".join(sectors)


def views_editor(symbols: list[str]) -> tuple[list[View], list[str]]:
    """A table of views (absolute / relative, return %, confidence %); returns (views, problems)."""
    empty = pd.DataFrame({c: pd.Series(dtype="float64" if "%" in c else "object") for c in VIEW_COLUMNS})
    edited = st.data_editor(
        empty, num_rows="dynamic", hide_index=True, width="stretch", key=f"{P}_views",
        column_config={
            "Kind": st.column_config.SelectboxColumn(options=["absolute", "relative"], required=True,
                                                     default="absolute"),
            "Asset": st.column_config.SelectboxColumn(options=symbols, required=True),
            "Versus": st.column_config.SelectboxColumn(options=symbols, help="Relative views: the asset "
                                                       "outperforms this one by the return"),
            "Return %": st.column_config.NumberColumn(help="Annual, e.g. 10 = 10%", format="%.1f"),
            "Confidence %": st.column_config.NumberColumn(min_value=0.0, max_value=100.0, format="%.0f",
                                                          help="Idzorek confidence; leave every row empty for "
                                                               "He-Litterman uncertainty"),
        })
    return views_from_table(edited)


def market_caps_editor(symbols: list[str]) -> dict[str, float] | None:
    """Optional market caps per symbol for the prior; None (equal caps) when every cell is empty."""
    table = pd.DataFrame({"Symbol": symbols, "Market cap": pd.Series([None] * len(symbols), dtype="float64")})
    edited = st.data_editor(table, hide_index=True, width="stretch", num_rows="fixed",
                            key=f"{P}_mcaps_" + "|".join(symbols), disabled=["Symbol"],
                            column_config={"Market cap": st.column_config.NumberColumn(
                                min_value=0.0, help="Any one unit for all (e.g. ₹ crore); empty = equal caps")})
    caps = {r["Symbol"]: float(r["Market cap"]) for r in edited.to_dict(orient="records")
            if not _blank(r["Market cap"])}
    return caps or None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def views_from_table(table: pd.DataFrame) -> tuple[list[View], list[str]]:
    """Rows of the views editor as View objects; incomplete rows become problems (one sentence each)."""
    views, problems = [], []
    for i, row in enumerate(table.to_dict(orient="records"), start=1):
        if all(_blank(row.get(c)) for c in VIEW_COLUMNS if c != "Kind"):
            continue
        relative = row.get("Kind") == "relative"
        if _blank(row.get("Asset")) or _blank(row.get("Return %")) or (relative and _blank(row.get("Versus"))):
            need = "an asset, a versus asset and a return" if relative else "an asset and a return"
            problems.append(f"view {i} is incomplete: give it {need}")
            continue
        conf = None if _blank(row.get("Confidence %")) else float(row["Confidence %"]) / 100
        views.append(View(str(row["Asset"]), float(row["Return %"]) / 100,
                          str(row["Versus"]) if relative else None, conf))
    return views, problems


def headline(result: OptimizationResult) -> None:
    held = result.held()
    m = metric_slots(4)
    m[0].metric("Expected return", f"{result.expected_return:.2%}", help=f"Annual, {result.frequency} periods/year")
    m[1].metric("Volatility", f"{result.volatility:.2%}", help="Annual standard deviation of returns")
    m[2].metric("Sharpe ratio", f"{result.sharpe:.2f}", help=f"(return − rf) / volatility, rf {result.risk_free_rate:.2%}")
    m[3].metric("Assets held", f"{len(held)} of {len(result.weights)}")
    st.caption(f"{result.method} · solver {result.solver}, status {result.status}")
    for note in result.notes:
        st.caption(f"ℹ️ {note}")


def weights_section(result: OptimizationResult) -> None:
    left, right = st.columns([3, 2])
    left.plotly_chart(weights_figure(result.weights, title="Weights"), width="stretch", config=CHART_CONFIG,
                      key=f"{P}_weights_chart")
    table = pd.DataFrame({"Weight": pd.Series(result.weights), "Expected return": result.expected_returns,
                          "Volatility": pd.Series({s: result.cov.loc[s, s] ** 0.5 for s in result.cov.columns})})
    table.index.name = "Symbol"
    right.dataframe(table.sort_values("Weight", ascending=False).style.format("{:.2%}"), width="stretch",
                    key=f"{P}_weights_table")


def frontier_section(frontier: Frontier, result: OptimizationResult) -> None:
    chosen = PortfolioPoint(result.volatility, result.expected_return, result.sharpe)
    st.plotly_chart(frontier_figure(frontier, chosen, title="Efficient frontier"), width="stretch",
                    config=CHART_CONFIG, key=f"{P}_frontier")
    if frontier.failed_points:
        st.caption(f"{frontier.failed_points} frontier points could not be solved and are left out.")
    st.caption("The frontier shows mean-variance portfolios under the same bounds and sector caps, without L2.")


def allocation_section(result: OptimizationResult, universe: Universe) -> None:
    st.subheader("Allocation in whole lots")
    try:
        currency = universe.currency()
    except QuantdeskError as exc:
        st.warning(str(exc), icon="⚠️")
        return
    c1, c2 = st.columns(2)
    cash = c1.number_input(f"Cash to invest ({currency})", min_value=1_000.0, value=1_000_000.0, step=100_000.0,
                           format="%.0f", key=f"{P}_cash")
    method = c2.selectbox("Method", list(ALLOCATION_METHODS), format_func=ALLOCATION_METHODS.get,
                          key=f"{P}_alloc_method")
    held = {s: w for s, w in result.weights.items() if w > 0}
    try:
        alloc = allocate_lots(held, universe.latest, float(cash), universe.lot_sizes, method=method)
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return
    money = lambda v: format_money(v, currency)  # noqa: E731
    m = metric_slots(2)
    m[0].metric("Invested", format_money(alloc.invested, currency, compact=True),
                f"{alloc.invested / cash:.1%} of cash", delta_color="off", delta_arrow="off", help=money(alloc.invested))
    m[1].metric("Leftover cash", format_money(alloc.leftover, currency, compact=True), help=money(alloc.leftover))
    table = alloc.table()
    shown = pd.DataFrame({
        "Symbol": table["symbol"], "Lot size": table["lot_size"], "Lots": table["lots"], "Quantity": table["quantity"],
        "Price": table["price"].map(money), "Value": table["value"].map(money),
        "Target": table["target_weight"].map("{:.2%}".format), "Actual": table["weight"].map("{:.2%}".format)})
    st.dataframe(shown, hide_index=True, width="stretch", key=f"{P}_alloc_table")
    st.caption(f"Latest traded closes; quantities are whole lots ({alloc.method}).")


def backtest_section(result: AllocationBacktest, currency: str) -> None:
    st.subheader("Monthly-rebalanced backtest vs equal weight")
    gain = result.stats["total_return"] - result.equal_stats["total_return"]
    m = metric_slots(4)
    m[0].metric("Total return", f"{result.stats['total_return']:+.2%}", f"{gain * 100:+.2f} pp vs equal weight")
    m[1].metric("CAGR", f"{result.stats['cagr']:+.2%}")
    m[2].metric("Sharpe", f"{result.stats['sharpe']:.2f}", f"{result.stats['sharpe'] - result.equal_stats['sharpe']:+.2f}")
    m[3].metric("Max drawdown", f"{result.stats['max_drawdown']:.2%}")
    st.plotly_chart(backtest_figure(result), width="stretch", config=CHART_CONFIG, key=f"{P}_backtest")
    mode = ("re-optimised each month on the trailing lookback" if result.mode == "reoptimised"
            else "weights from the in-sample window, held after it")
    st.caption(f"{result.equity.index[0]:%d %b %Y} – {result.equity.index[-1]:%d %b %Y}, {mode}; "
               + "; ".join(result.notes[:1]))
    with st.expander("Backtest statistics and weights by month"):
        stats = {k: result.stats[k] for k in BACKTEST_STATS}
        bench = {k: result.equal_stats[k] for k in BACKTEST_STATS}
        st.dataframe(stats_compare_table({"Optimised": stats, "Equal weight": bench}, currency), width="stretch",
                     key=f"{P}_bt_stats")
        weights = result.weights.copy()
        weights.index = weights.index.strftime("%Y-%m-%d")
        st.dataframe(weights.style.format("{:.1%}"), width="stretch", key=f"{P}_bt_weights")
        for note in result.notes[1:]:
            st.caption(note)
