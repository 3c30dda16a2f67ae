"""Risk: position-size calculator, VaR/CVaR, beta, correlations, sector exposure and circuit-breaker status."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import charts
from engine.data.instruments import instrument_for
from engine.errors import QuantdeskError
from engine.money import format_money
from engine.paper import deployments as paper_deployments
from engine.risk import (
    METHOD_LABELS,
    beta,
    correlation_matrix,
    equal_weights,
    exposure_by_sector,
    portfolio_returns,
    position_size,
    returns_frame,
    var_table,
)
from pages._shared import CHART_CONFIG, data_badge, get_db, load_bars_cached, stored_symbols
from pages._volatility import render_volatility
from pages._widgets import metric_slots

P = "risk"
INDEX = "^NSEI"
LOOKBACKS = {"1 year": 252, "2 years": 504, "3 years": 756, "5 years": 1260, "All": None}
N_SIMS = 50_000

st.title("Risk")
st.caption("Size a trade from the risk you accept, and measure what a basket of stored symbols could lose in a day.")


def sizing_inputs(method: str) -> dict[str, float]:
    """The inputs `method` needs beyond entry, stop and capital (keys as position_size's keywords)."""
    c = st.columns(3)
    if method in ("risk_pct", "atr"):
        out = {"risk_pct": c[0].number_input("Risk % of capital", 0.0, 100.0, 2.0, 0.25, key=f"{P}_risk_pct")}
        if method == "atr":
            out["atr"] = c[1].number_input("ATR (price units)", 0.0, value=30.0, key=f"{P}_atr")
            out["atr_mult"] = c[2].number_input("Stop distance in ATRs", 0.0, value=2.0, step=0.5, key=f"{P}_atr_mult")
        return out
    if method == "fixed_qty":
        return {"qty": c[0].number_input("Quantity", 0, value=10, key=f"{P}_qty")}
    if method == "fixed_amount":
        return {"amount": c[0].number_input("Amount", 0.0, value=25_000.0, step=1_000.0, key=f"{P}_amount")}
    if method == "pct_equity":
        return {"equity_pct": c[0].number_input("% of capital", 0.0, 100.0, 20.0, key=f"{P}_equity_pct")}
    if method == "kelly":
        return {"win_rate": c[0].number_input("Win rate (0–1)", 0.0, 1.0, 0.55, 0.01, key=f"{P}_win_rate"),
                "payoff": c[1].number_input("Avg win / avg loss", 0.0, value=1.5, step=0.1, key=f"{P}_payoff"),
                "kelly_cap": c[2].number_input("Kelly cap (fraction)", 0.0, 1.0, 0.25, 0.05, key=f"{P}_kelly_cap")}
    return {"target_vol": c[0].number_input("Target vol (annual, 0.15 = 15 %)", 0.0, value=0.15, step=0.01,
                                            key=f"{P}_target_vol"),
            "realised_vol": c[1].number_input("Realised vol (annual)", 0.0, value=0.25, step=0.01,
                                              key=f"{P}_realised_vol")}


def calculator() -> None:
    st.subheader("Position size")
    with st.container(border=True):
        c = st.columns([2, 2, 1])
        symbol = c[0].text_input("Symbol", "INFY.NS", key=f"{P}_symbol")
        method = c[1].selectbox("Method", list(METHOD_LABELS), format_func=METHOD_LABELS.get, key=f"{P}_method")
        side = c[2].selectbox("Side", ["long", "short"], key=f"{P}_side")
        c = st.columns(3)
        entry = c[0].number_input("Entry price", 0.0, value=1450.0, step=1.0, key=f"{P}_entry")
        stop = c[1].number_input("Stop (0 = none)", 0.0, value=1420.0, step=1.0, key=f"{P}_stop")
        capital = c[2].number_input("Capital", 0.0, value=100_000.0, step=10_000.0, key=f"{P}_capital")
        extra = sizing_inputs(method)
    try:
        meta = instrument_for(symbol)
        result = position_size(method, capital=capital, price=entry, stop=stop or None, side=side,
                               lot_size=meta.lot_size, **extra)
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return
    money = lambda v: format_money(v, meta.currency)  # noqa: E731
    m = metric_slots(4)
    m[0].metric("Quantity", f"{result.qty:,.0f}", help=f"Whole lots of {meta.lot_size}")
    m[1].metric("Amount", money(result.amount), f"{result.amount / capital * 100:.1f}% of capital",
                delta_color="off", delta_arrow="off")
    at_risk = result.risk_amount
    m[2].metric("At risk (to stop)", "—" if at_risk is None else money(at_risk),
                None if at_risk is None else f"-{at_risk / capital * 100:.2f}% of capital", delta_color="normal")
    m[3].metric("Stop distance", "—" if not stop else f"{abs(entry - stop) / entry * 100:.2f}%",
                help="Distance from entry to stop, % of entry price")
    if result.note:
        st.caption(f"ℹ️ {result.note}")


@st.cache_data(ttl=300, show_spinner="Measuring risk…")
def risk_frames(symbols: tuple[str, ...], lookback: int | None) -> pd.DataFrame:
    """Daily simple returns (adjusted closes) of `symbols` on their shared dates, last `lookback` bars."""
    closes = {s: load_bars_cached(s, "1d", True)["close"] for s in symbols}
    rets = returns_frame(closes)
    return rets if lookback is None else rets.tail(lookback)


def percent_and_money(table: pd.DataFrame, value: float, currency: str) -> pd.DataFrame:
    return table.map(lambda r: f"{r * 100:.2f}% · {format_money(r * value, currency, 0)}")


def measures() -> None:
    st.subheader("Portfolio risk")
    symbols = [s for s in stored_symbols("1d") if s != INDEX]
    if not symbols:
        st.info("No daily bars stored yet — open **Data** and click *Sync now*, then come back.", icon="🗄️")
        return
    with st.container(border=True):
        c = st.columns([3, 1, 1])
        chosen = c[0].multiselect("Symbols (equal weight)", symbols, default=symbols[:4], key=f"{P}_symbols")
        lookback = c[1].selectbox("History", list(LOOKBACKS), index=1, key=f"{P}_lookback")
        value = c[2].number_input("Portfolio value", 0.0, value=1_000_000.0, step=100_000.0, key=f"{P}_value")
    if not chosen:
        st.info("Pick at least one symbol to measure.")
        return
    try:
        rets = risk_frames(tuple(chosen), LOOKBACKS[lookback])
        weights = equal_weights(chosen)
        port = portfolio_returns(rets, weights)
        table = var_table(port, n_sims=N_SIMS, seed=0)
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return
    data_badge(chosen)
    currencies = {instrument_for(s).currency for s in chosen}
    currency = currencies.pop() if len(currencies) == 1 else ""
    index_beta = portfolio_beta(port)
    m = metric_slots(4)
    m[0].metric("1-day VaR 95% (historical)", format_money(table.loc["VaR 95%", "historical"] * value, currency, 0),
                f"{table.loc['VaR 95%', 'historical'] * 100:.2f}%", delta_color="normal")
    m[1].metric("1-day CVaR 95% (historical)", format_money(table.loc["CVaR 95%", "historical"] * value, currency, 0),
                f"{table.loc['CVaR 95%', 'historical'] * 100:.2f}%", delta_color="normal")
    m[2].metric("Volatility (annual, 252)", f"{port.std(ddof=1) * 252 ** 0.5 * 100:.1f}%")
    m[3].metric(f"Beta vs {INDEX}", "—" if index_beta is None else f"{index_beta:.2f}")
    st.caption(f"{len(rets):,} daily returns from {rets.index[0]:%d %b %Y} to {rets.index[-1]:%d %b %Y}; "
               f"Monte Carlo: {N_SIMS:,} seeded normal draws. Negative = loss.")
    tabs = st.tabs(["VaR / CVaR", "Correlation", "Sector exposure", "Beta"])
    tabs[0].dataframe(percent_and_money(table, value, currency).rename(columns=lambda c: c.replace("_", " ")),
                      width="stretch", key=f"{P}_var_table")
    tabs[1].plotly_chart(charts.heatmap(correlation_matrix(rets), title="Correlation of daily returns",
                                        colorscale="RdBu", height=360 + 20 * len(chosen)),
                         width="stretch", config=CHART_CONFIG, key=f"{P}_corr")
    exposure = exposure_by_sector({s: w * value for s, w in weights.items()})
    fig = charts.style(go.Figure(go.Bar(x=exposure["pct"], y=exposure["sector"], orientation="h",
                                        text=exposure["pct"].map(lambda v: f"{v:.1f}%"))),
                       height=300, title="Exposure by sector (% of gross)")
    fig.update_yaxes(autorange="reversed")  # largest first, as the table is sorted
    tabs[2].plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=f"{P}_sectors")
    with tabs[3]:
        symbol_betas(rets)


def index_returns() -> pd.Series | None:
    if INDEX not in stored_symbols("1d"):
        return None
    return load_bars_cached(INDEX, "1d", True)["close"].pct_change().dropna()


def portfolio_beta(port: pd.Series) -> float | None:
    index = index_returns()
    if index is None:
        return None
    value = beta(port, index)
    return None if pd.isna(value) else value


def symbol_betas(rets: pd.DataFrame) -> None:
    index = index_returns()
    if index is None:
        st.info(f"Sync {INDEX} (NIFTY 50) on the Data page to see betas against the index.")
        return
    rows = pd.DataFrame({"beta": {s: beta(rets[s], index) for s in rets.columns}})
    st.dataframe(rows.style.format("{:.2f}"), width="stretch", key=f"{P}_betas")


# ---- Circuit breakers (state stored with each paper deployment) ------------------------------


def breakers() -> None:
    st.subheader("Circuit breakers")
    try:
        states = paper_deployments.breaker_states(get_db())
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return
    if states.empty:
        st.info("No paper deployments with a circuit breaker yet — deploy a strategy with risk limits on "
                "**Paper Trading**.", icon="🛡️")
        return
    st.dataframe(states.drop(columns=["deployment_id"]), width="stretch", hide_index=True, key=f"{P}_breakers")
    for row in states[states["status"] == "TRIPPED"].itertuples():
        if st.button(f"Reset breaker of {row.deployment}", key=f"{P}_reset_{row.deployment_id}"):
            try:
                paper_deployments.reset_breaker(get_db(), int(row.deployment_id))
            except QuantdeskError as exc:
                st.error(str(exc), icon="⚠️")
            else:
                st.success(f"Breaker of {row.deployment} reset; new entries are allowed again.")


calculator()
measures()
breakers()
render_volatility(stored_symbols("1d"))
