"""Paper Trading: deployments with controls, live positions and P&L, orders, fills, trade journal, equity."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.config import get_settings
from engine.data.instruments import instrument_for
from engine.errors import QuantdeskError
from engine.money import format_money
from engine.paper import deployments
from engine.paper.deployments import DeploymentSpec
from engine.paper.manual import ORDER_TYPES, place_order
from engine.paper.runner import tick_deployment
from pages._shared import get_db, stored_symbols
from pages._tearsheet import paper_tearsheet
from pages._widgets import (
    CHART_CONFIG,
    backtest_settings,
    checked_strategy,
    metric_slots,
    param_form,
    strategy_select,
)
from storage import paper as store

P = "paper"  # session-state prefix

st.title("Paper Trading")
st.caption("Strategies running forward on fresh bars without real money: one tick per closed bar, "
           "the same fills and costs as the backtester.")


def new_deployment_form() -> None:
    symbols = stored_symbols()
    if not symbols:
        st.info("No market data stored yet — open **Data** and sync symbols first.", icon="🗄️")
        return
    c1, c2 = st.columns([3, 1])
    chosen = c1.multiselect("Symbols", symbols, default=symbols[:1], key=f"{P}_new_symbols", max_selections=20)
    interval = c2.selectbox("Interval", ["1d", "1h", "15m", "5m"], key=f"{P}_new_interval")
    strategy_cls = strategy_select(f"{P}_new_strategy")
    params = param_form(strategy_cls, f"{P}_new", skip=("allow_short",))
    config = backtest_settings(f"{P}_new", portfolio=len(chosen) > 1, n_symbols=max(1, len(chosen)))
    if config is not None and any(p.name == "allow_short" for p in strategy_cls.params):
        params["allow_short"] = config.allow_short
    cfg = get_settings()  # defaults from Settings → Risk & costs
    r1, r2, r3 = st.columns(3)
    max_open = r1.number_input("Max open positions (0 = off)", 0, 100, cfg.default_max_open_positions,
                               key=f"{P}_new_max_open")
    max_pct = r2.number_input("Max position % of cash (0 = off)", 0.0, 100.0, cfg.default_max_position_pct,
                              key=f"{P}_new_max_pct", help="Of the starting cash; stored as a value limit.")
    sector_pct = r3.number_input("Max sector % of equity (0 = off)", 0.0, 100.0, cfg.default_max_sector_pct,
                                 key=f"{P}_new_sector_pct")
    b1, b2, b3 = st.columns(3)
    daily_loss = b1.number_input("Breaker: daily loss % (0 = off)", 0.0, 100.0, cfg.default_daily_loss_pct,
                                 key=f"{P}_new_daily_loss")
    drawdown = b2.number_input("Breaker: drawdown % (0 = off)", 0.0, 100.0, cfg.default_max_drawdown_pct,
                               key=f"{P}_new_drawdown")
    streak = b3.number_input("Breaker: losing streak (0 = off)", 0, 100, cfg.default_losing_streak,
                             key=f"{P}_new_streak", help="Losing trades in a row that stop new entries.")
    strategy = checked_strategy(strategy_cls, params)
    ready = bool(chosen) and strategy is not None and config is not None
    if st.button("Deploy", type="primary", disabled=not ready, key=f"{P}_deploy", icon="🚀"):
        limits = {k: v for k, v in (("max_open_positions", int(max_open)), ("max_position_value",
                  config.cash * max_pct / 100), ("max_sector_exposure_pct", sector_pct)) if v}
        risk = {"limits": limits} if limits else {}
        rules = {k: v for k, v in (("daily_loss_pct", daily_loss), ("max_drawdown_pct", drawdown),
                                   ("max_consecutive_losses", int(streak))) if v}
        if rules:
            risk["breaker"] = {**rules, "calendar_symbol": chosen[0]}
        spec = DeploymentSpec(strategy_cls.name, chosen, strategy.p, interval, config.to_dict(), risk)
        try:
            st.session_state[f"{P}_selected"] = deployments.create_deployment(get_db(), spec)
        except QuantdeskError as exc:
            st.error(str(exc), icon="⚠️")
        else:
            st.rerun()


def controls(dep: pd.Series) -> None:
    dep_id = int(dep["id"])
    with st.container(horizontal=True, gap="small"):
        actions = [("Tick now", "tick", "⏱️"), ("Reset", "reset", "♻️"), ("Delete", "delete", "🗑️")]
        actions.insert(0, ("Pause", "pause", "⏸️") if dep["status"] == "running" else ("Resume", "resume", "▶️"))
        if dep["status"] != "stopped":
            actions.insert(1, ("Stop", "stop", "⏹️"))
        for label, action, icon in actions:
            if st.button(label, key=f"{P}_{action}_{dep_id}", icon=icon):
                try:
                    if action == "tick":
                        outcome = tick_deployment(get_db(), dep_id)
                        st.toast(f"tick: {outcome['status']}, {outcome['bars']} bar(s), {outcome['orders']} order(s)")
                    else:
                        getattr(deployments, action)(get_db(), dep_id)
                except QuantdeskError as exc:
                    st.error(str(exc), icon="⚠️")
                else:
                    st.rerun()


def manual_order_form(dep: pd.Series) -> None:
    """A manual order for one of the deployment's symbols; it passes the same risk checks as signals."""
    dep_id = int(dep["id"])
    with st.expander("Manual order", icon="✍️"):
        c1, c2, c3, c4 = st.columns(4)
        symbol = c1.selectbox("Symbol", dep["symbols"], key=f"{P}_mo_symbol_{dep_id}")
        side = c2.selectbox("Side", ["buy", "sell"], key=f"{P}_mo_side_{dep_id}")
        qty = c3.number_input("Quantity", 1, 10_000_000, 1, key=f"{P}_mo_qty_{dep_id}")
        kind = c4.selectbox("Type", list(ORDER_TYPES), key=f"{P}_mo_type_{dep_id}")
        p1, p2 = st.columns(2)
        limit = p1.number_input("Limit price", 0.0, value=0.0, key=f"{P}_mo_limit_{dep_id}",
                                disabled=kind not in ("limit", "stop_limit"))
        stop = p2.number_input("Stop price", 0.0, value=0.0, key=f"{P}_mo_stop_{dep_id}",
                               disabled=kind not in ("stop", "stop_limit"))
        if st.button("Place order", key=f"{P}_mo_place_{dep_id}", icon="✍️"):
            try:
                placed = place_order(get_db(), dep_id, symbol, side, float(qty), kind, limit or None, stop or None)
            except QuantdeskError as exc:
                st.error(str(exc), icon="⚠️")
                return
            if placed["status"] == "REJECTED":
                st.error(f"Order rejected: {placed['reason']}", icon="⛔")
            else:
                st.success(f"Order #{placed['id']} is open; it fills from the next bar.", icon="✅")


def breaker_line(dep: dict) -> None:
    """The circuit breaker's state; a tripped breaker blocks new entries until it is reset here."""
    status = deployments.breaker_status(dep)
    if status is None:
        return
    if status["status"] != "TRIPPED":
        st.caption("Circuit breaker: armed (OK)")
        return
    st.error(f"Circuit breaker TRIPPED at {status['tripped_at']}: {status['reason']}. New entries are blocked.",
             icon="🛑")
    if st.button("Reset circuit breaker", key=f"{P}_breaker_reset_{dep['id']}", icon="🔓"):
        try:
            deployments.reset_breaker(get_db(), int(dep["id"]))
        except QuantdeskError as exc:
            st.error(str(exc), icon="⚠️")
        else:
            st.rerun()


def equity_figure(equity: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Scatter(x=equity.index, y=equity["equity"], mode="lines", name="equity"))
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False)
    return fig


def book_currency(symbols: list[str]) -> str:
    """The deployment's currency ("" when its symbols trade in several: plain numbers then)."""
    currencies = {instrument_for(s).currency for s in symbols}
    return currencies.pop() if len(currencies) == 1 else ""


def card_money(value: float, currency: str, sign: bool = False) -> str:
    text = format_money(value, currency, decimals=0, compact=True)
    return f"+{text}" if sign and value >= 0 else text


@st.fragment(run_every="15s")
def live_view(dep_id: int) -> None:
    """Positions, P&L, orders, fills, journal and equity; refreshed in place every 15 seconds."""
    db = get_db()
    try:
        dep = deployments.get(db, dep_id)
    except QuantdeskError:
        st.info("This deployment was deleted.")
        return
    positions, trades = store.positions_frame(db, dep_id), store.trades_frame(db, dep_id)
    cash = float(dep["config"].get("cash", 0.0))
    unrealised = float(positions["unrealised_pnl"].sum()) if len(positions) else 0.0
    realised = float(trades["pnl"].sum()) if len(trades) else 0.0
    currency = book_currency(dep["symbols"])
    m = metric_slots(4)  # two per row on a phone; whole units (₹ lakh from 1 L) fit a card, exact in the tooltip
    m[0].metric("Equity", card_money(dep["equity"], currency), card_money(dep["equity"] - cash, currency, sign=True),
                border=True, help=format_money(dep["equity"], currency))
    m[1].metric("Cash", card_money(dep["cash"], currency), border=True, help=format_money(dep["cash"], currency))
    m[2].metric("Unrealised P&L", card_money(unrealised, currency), border=True,
                help=format_money(unrealised, currency))
    m[3].metric("Realised P&L", card_money(realised, currency), border=True, help=format_money(realised, currency))
    last = pd.Timestamp(dep["last_bar_ts"], unit="s", tz="UTC") if dep["last_bar_ts"] else None
    st.caption(f"Status **{dep['status']}** · last bar {last.date() if last is not None else '—'}"
               + (f" · last error: {dep['last_error']}" if dep["last_error"] else ""))
    breaker_line(dep)
    st.markdown("**Open positions**")
    if positions.empty:
        st.caption("No open positions.")
    else:
        st.dataframe(positions, hide_index=True, width="stretch", key=f"{P}_positions")
    equity = store.equity_series(db, dep_id)
    if not equity.empty:
        st.plotly_chart(equity_figure(equity), width="stretch", config=CHART_CONFIG, key=f"{P}_equity")
    orders_tab, fills_tab, journal_tab, ledger_tab = st.tabs(["Orders", "Fills", "Trade journal", "Cash ledger"])
    with orders_tab:
        st.dataframe(store.orders_frame(db, dep_id), hide_index=True, width="stretch", key=f"{P}_orders")
    with fills_tab:
        st.dataframe(store.fills_frame(db, dep_id), hide_index=True, width="stretch", key=f"{P}_fills")
    with journal_tab:
        st.dataframe(trades, hide_index=True, width="stretch", key=f"{P}_journal")
    with ledger_tab:
        st.dataframe(store.cash_ledger(db, dep_id, cash), hide_index=True, width="stretch", key=f"{P}_ledger")


listing = store.list_deployments(get_db())
with st.expander("New deployment", expanded=listing.empty, icon="🚀"):
    new_deployment_form()
if listing.empty:
    st.info("No paper deployments yet: deploy a strategy above, or use **Deploy to paper** on a backtest result.",
            icon="🧾")
    st.stop()

st.dataframe(listing[["id", "name", "status", "interval", "equity", "cash", "last_bar", "last_error"]],
             hide_index=True, width="stretch", key=f"{P}_list")
ids = listing["id"].tolist()
if st.session_state.get(f"{P}_selected") not in ids:
    st.session_state[f"{P}_selected"] = ids[0]
names = dict(zip(listing["id"], listing["name"], strict=True))
selected = st.selectbox("Deployment", ids, key=f"{P}_selected", format_func=lambda i: f"#{i} · {names[i]}")
chosen = listing.set_index("id").loc[selected].to_frame().T.reset_index(names="id").iloc[0]
controls(chosen)
manual_order_form(chosen)
live_view(int(selected))
paper_tearsheet(int(selected), list(chosen["symbols"]), title=f"Paper #{selected} · {names[selected]}", key=P)
