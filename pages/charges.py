"""Charges: an NSE/BSE charges calculator — every levy, total, net P&L and breakeven of a round trip."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import charges as ch
from engine.charts import PALETTE, style
from engine.errors import QuantdeskError
from engine.money import format_money
from pages._shared import CHART_CONFIG
from pages._widgets import metric_slots

P = "charges"
STATIC_CHART = {**CHART_CONFIG, "displayModeBar": False}  # a static bar: no zoom tools over the title on a phone
SEGMENT_LABELS = {"delivery": "Equity delivery", "intraday": "Equity intraday", "futures": "Futures",
                  "options": "Options"}
# (buy, sell, quantity or lots, lot size): a first click already shows a sensible trade
DEFAULTS = {"delivery": (1000.0, 1100.0, 100, 1), "intraday": (1000.0, 1100.0, 100, 1),
            "futures": (24_000.0, 24_100.0, 1, 75), "options": (100.0, 120.0, 1, 75)}
BROKERAGE_MODES = {
    "default": "Broker default",
    "flat": "Flat per order",
    "lower": "₹ flat or %, whichever is lower",
    "pct_cap": "Percent with a cap",
    "free": "Free",
}

st.title("Charges")
st.caption("What a trade on NSE or BSE really costs — brokerage, STT/CTT, exchange and SEBI fees, stamp duty, "
           "DP charge and GST — with the net P&L and where it breaks even.")


def brokerage_inputs(segment: str) -> ch.Brokerage | None:
    """The brokerage chosen in the form; None for the segment's default tariff."""
    default = ch.DEFAULT_BROKERAGE[segment]
    c = st.columns(3)
    mode = c[0].selectbox("Brokerage", list(BROKERAGE_MODES), key=f"{P}_brokerage_mode",
                          format_func=lambda m: f"Broker default ({default.describe()})" if m == "default"
                          else BROKERAGE_MODES[m])
    if mode == "default":
        return None
    if mode == "free":
        return ch.Brokerage()
    flat = cap = pct = None
    if mode in ("flat", "lower"):
        flat = c[1].number_input("₹ per order", 0.0, 10_000.0, 20.0, 1.0, key=f"{P}_brokerage_flat")
    if mode in ("lower", "pct_cap"):
        pct = c[2 if mode == "lower" else 1].number_input(
            "% of order value", 0.0, 9.99, 0.03, 0.01, format="%.3f", key=f"{P}_brokerage_pct",
            help="0.03 = 0.03 % of the value of each order.") / 100
    if mode == "pct_cap":
        cap = c[2].number_input("Cap ₹ per order", 0.0, 100_000.0, 20.0, 1.0, key=f"{P}_brokerage_cap")
    return ch.Brokerage(flat=flat, pct=pct, cap=cap)


def trade_inputs(segment: str) -> tuple[float, float, int] | None:
    """Buy price, sell price and units; None after an st.error for a quantity below one."""
    buy0, sell0, qty0, lot0 = DEFAULTS[segment]
    fno = segment in ("futures", "options")
    word = "premium" if segment == "options" else "price"
    c = st.columns(4 if fno else 3)
    buy = c[0].number_input(f"Buy {word} (₹)", 0.0, value=buy0, step=1.0, key=f"{P}_buy_{segment}")
    sell = c[1].number_input(f"Sell {word} (₹)", 0.0, value=sell0, step=1.0, key=f"{P}_sell_{segment}")
    if not fno:
        qty = int(c[2].number_input("Quantity (shares)", 0, value=qty0, step=1, key=f"{P}_qty_{segment}"))
        if qty < 1:
            st.error("Quantity must be at least 1 share.", icon="⚠️")
            return None
        return buy, sell, qty
    lots = int(c[2].number_input("Lots", 0, value=qty0, step=1, key=f"{P}_lots_{segment}"))
    lot_size = int(c[3].number_input("Lot size", 0, value=lot0, step=1, key=f"{P}_lot_size_{segment}",
                                     help="Units per lot, e.g. 75 for NIFTY (check the exchange's current lot size)."))
    if lots < 1 or lot_size < 1:
        st.error("Lots and lot size must each be at least 1.", icon="⚠️")
        return None
    return buy, sell, lots * lot_size


def dp_input(exchange: str, as_of: date) -> float:
    """DP charge per scrip per sell day, pre-filled from the schedule in force (13.5 if none is)."""
    try:
        default = ch.segment_rates(exchange, "delivery", as_of).dp_charge
    except QuantdeskError:
        default = 13.5  # the date error is shown once, under the form
    return st.columns(3)[0].number_input(
        "DP charge per scrip per sell day (₹, before GST)", 0.0, 1_000.0, default, 0.5, key=f"{P}_dp",
        help="Charged by your depository participant on each day delivery shares leave your demat account.")


def breakdown_table(t: ch.TradeCharges) -> pd.DataFrame:
    rows = [c for c in ch.COMPONENTS if t.components[c] or c not in ("ipft", "dp")]
    share = {c: t.components[c] / t.total * 100 if t.total else 0.0 for c in rows}
    table = pd.DataFrame({
        "Charge": [ch.COMPONENT_LABELS[c] for c in rows] + ["Total"],
        "Buy": [format_money(t.buy[c]) for c in rows] + [format_money(t.buy["total"])],
        "Sell": [format_money(t.sell[c]) for c in rows] + [format_money(t.sell["total"])],
        "Total": [format_money(t.components[c]) for c in rows] + [format_money(t.total)],
        "Share": [f"{share[c]:.1f}%" for c in rows] + ["100%"],
    })
    return table


def components_chart(t: ch.TradeCharges) -> go.Figure:
    parts = {ch.COMPONENT_LABELS[c]: v for c, v in t.components.items() if v > 0}
    parts = dict(sorted(parts.items(), key=lambda kv: kv[1], reverse=True))
    fig = go.Figure(go.Bar(x=list(parts.values()), y=list(parts), orientation="h", marker_color=PALETTE[0],
                           text=[format_money(v) for v in parts.values()], textposition="auto",
                           hovertemplate="%{y}: ₹%{x:,.2f}<extra></extra>"))
    fig = style(fig, height=300, title="Where the charges go (₹)")
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed")  # largest first, as read top-down
    return fig


def results(t: ch.TradeCharges) -> None:
    m = metric_slots(4)
    m[0].metric("Total charges", format_money(t.total), f"{t.total / t.turnover * 100:.3f}% of turnover",
                delta_color="off", delta_arrow="off")
    m[1].metric("Net P&L", format_money(t.net_pnl), f"{t.net_pnl / (t.buy_price * t.qty) * 100:+.2f}% on the buy",
                delta_color="normal", help=f"Gross P&L {format_money(t.gross_pnl)} less all charges.")
    m[2].metric("Points to breakeven", f"{t.points_to_breakeven:,.2f}",
                help="Total charges ÷ quantity: the price move that pays for the round trip.")
    m[3].metric("Breakeven sell", format_money(t.breakeven_sell),
                help=f"Bought at {format_money(t.buy_price)}, selling here leaves a net P&L of zero. "
                     f"Shorted at {format_money(t.sell_price)}: buy back at {format_money(t.breakeven_buy)}.")
    st.plotly_chart(components_chart(t), width="stretch", config=STATIC_CHART, key=f"{P}_chart")
    with st.expander("Breakdown by order", expanded=True):
        st.dataframe(breakdown_table(t), width="stretch", hide_index=True, key=f"{P}_table")
    st.caption(f"{t.exchange} {SEGMENT_LABELS[t.segment].lower()} · {t.qty:,g} units · brokerage {t.brokerage} · "
               f"rates effective {t.effective:%d %b %Y} from the charges schedule. Amounts are not rounded to paise "
               "as a contract note would be.")


def calculator() -> None:
    with st.container(border=True):
        c = st.columns(3)
        exchange = c[0].selectbox("Exchange", ch.EXCHANGES, key=f"{P}_exchange")
        segment = c[1].selectbox("Segment", ch.SEGMENTS, format_func=SEGMENT_LABELS.get, key=f"{P}_segment")
        as_of = c[2].date_input("Rates as of", value=date.today(), key=f"{P}_as_of",
                                help="The schedule entry in force on this date applies.")
        trade = trade_inputs(segment)
        brokerage = brokerage_inputs(segment)
        dp = dp_input(exchange, as_of) if segment == "delivery" else None
    if trade is None:
        return
    try:
        result = ch.trade_charges(*trade, segment=segment, exchange=exchange, brokerage=brokerage, as_of=as_of,
                                  dp_charge=dp)
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return
    results(result)


calculator()
