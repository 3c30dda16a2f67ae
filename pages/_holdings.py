"""Portfolio page parts: holdings, transactions, import, allocation (a `_portfolio.py` would clash with its URL)."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import plotly.express as px
import streamlit as st

from engine import charts
from engine.data.instruments import instrument_for
from engine.errors import QuantdeskError
from engine.money import format_money
from engine.portfolio import (
    KINDS,
    PortfolioReport,
    Transaction,
    allocation_by,
    import_tradebook,
    parse_ratio,
    read_tradebook,
    record_transactions,
    remove_transactions,
    transactions_table,
)
from pages._shared import CHART_CONFIG, get_db

P = "portfolio"
UP, DOWN = "color: #26a69a", "color: #ef5350"
MONEY_COLUMNS = ("avg_cost", "price", "value", "invested", "unrealised", "realised", "dividends")
HOLDING_LABELS = {"symbol": "Symbol", "qty": "Qty", "avg_cost": "Avg cost", "price": "Price", "value": "Value",
                  "invested": "Invested", "unrealised": "Unrealised", "unrealised_pct": "Unrealised %",
                  "realised": "Realised", "dividends": "Dividends", "weight": "Weight"}


def changed(message: str) -> None:
    """Remember a success message and rerun; cached valuations are keyed by the transaction ids."""
    st.session_state[f"{P}_flash"] = message
    st.rerun()


def _pnl_colour(value: float) -> str:
    if not isinstance(value, float | int) or math.isnan(value) or value == 0:
        return ""
    return UP if value > 0 else DOWN


def holdings_tab(report: PortfolioReport) -> None:
    held = report.holdings[report.holdings["qty"] > 0]
    if held.empty:
        st.info("No open positions — everything bought has been sold. Realised P&L is below.")
    else:
        table = held[list(HOLDING_LABELS)].rename(columns=HOLDING_LABELS)
        styled = (table.style.format({"Qty": "{:,.0f}", "Unrealised %": "{:+.2%}", "Weight": "{:.1%}"}, na_rep="—")
                  .map(_pnl_colour, subset=["Unrealised", "Unrealised %", "Realised"]))
        money = [HOLDING_LABELS[c] for c in MONEY_COLUMNS]
        for row, symbol in table["Symbol"].items():  # each row in its own currency (AAPL in $, INFY.NS in ₹)
            currency = instrument_for(symbol).currency or report.currency
            styled = styled.format(lambda v, c=currency: format_money(v, c), subset=pd.IndexSlice[[row], money])
        st.dataframe(styled, width="stretch", hide_index=True, key=f"{P}_holdings")
        st.caption("Avg cost and invested include buy fees; realised P&L is FIFO, net of fees; weight = share of value.")
        st.download_button("Holdings CSV", report.holdings.to_csv(index=False), f"{P}_holdings.csv", "text/csv",
                           key=f"{P}_holdings_csv", icon="⬇️")
    closed = report.holdings[report.holdings["qty"] == 0]
    if not report.sales.empty:
        with st.expander(f"Realised sales ({len(report.sales)})" + (f" · {len(closed)} closed" if len(closed) else "")):
            sales = report.sales.rename(columns=str.capitalize)
            st.dataframe(sales.style.format({c: "{:,.2f}" for c in ("Price", "Proceeds", "Cost", "Fees", "Pnl")}
                                            | {"Pnl_pct": "{:+.2%}", "Qty": "{:,.0f}"}, na_rep="—")
                         .map(_pnl_colour, subset=["Pnl"]),
                         width="stretch", hide_index=True, key=f"{P}_sales")


def _form_transaction(kind: str, symbol: str, day: date, qty: float, price: float, fees: float, amount: float,
                      ratio: str, note: str) -> Transaction:
    """The form's transaction; raises QuantdeskError with one sentence naming the field to fix."""
    if kind not in KINDS:
        raise QuantdeskError(f"pick a kind: {', '.join(KINDS)}")
    if not symbol.strip():
        raise QuantdeskError("enter a symbol, e.g. INFY.NS")
    if day > date.today():
        raise QuantdeskError(f"the date {day} is in the future; transactions happen on or before today")
    if kind in ("buy", "sell") and (qty <= 0 or price <= 0):
        raise QuantdeskError("a buy or sell needs a quantity > 0 and a price > 0")
    ratio_from = ratio_to = None
    if kind in ("split", "bonus"):
        ratio_from, ratio_to = parse_ratio(ratio)
        qty = price = 0.0
    return Transaction(day, symbol, kind, qty, price, fees, amount if kind == "dividend" else 0.0,
                       ratio_from, ratio_to, note=note)


def add_form(portfolio: str) -> None:
    with st.form(f"{P}_add_form", clear_on_submit=False, border=True):
        c = st.columns(3)
        kind = c[0].selectbox("Kind", KINDS, key=f"{P}_kind")
        symbol = c[1].text_input("Symbol", key=f"{P}_symbol", placeholder="INFY.NS")
        day = c[2].date_input("Date", value=date.today(), max_value=date.today(), key=f"{P}_date")
        c = st.columns(3)
        qty = c[0].number_input("Quantity", 0.0, value=0.0, step=1.0, key=f"{P}_qty",
                                help="Shares bought or sold (dividend: shares held, optional).")
        price = c[1].number_input("Price", 0.0, value=0.0, step=1.0, key=f"{P}_price",
                                  help="Per share (dividend: per-share dividend, optional).")
        fees = c[2].number_input("Fees", 0.0, value=0.0, step=1.0, key=f"{P}_fees",
                                 help="Brokerage and taxes (dividend: TDS withheld).")
        c = st.columns(3)
        amount = c[0].number_input("Dividend amount", 0.0, value=0.0, step=10.0, key=f"{P}_amount",
                                   help="Cash received; leave 0 to use quantity × price.")
        ratio = c[1].text_input("Ratio (split / bonus)", "1:1", key=f"{P}_ratio",
                                help="Split 1:5 — one share becomes five. Bonus 1:1 — one new share per share held.")
        note = c[2].text_input("Note", key=f"{P}_note")
        submitted = st.form_submit_button("Add transaction", type="primary", key=f"{P}_add")
    if not submitted:
        return
    try:
        txn = _form_transaction(kind, symbol, day, qty, price, fees, amount, ratio, note)
        record_transactions(get_db(), [txn], portfolio)
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return
    changed(f"Added: {txn.kind} {txn.symbol} on {txn.trade_date:%d %b %Y}.")


def transactions_tab(portfolio: str) -> None:
    add_form(portfolio)
    table = transactions_table(get_db(), portfolio)
    if table.empty:
        st.caption("No transactions yet.")
        return
    shown = table.drop(columns=["executed_at", "external_id"]).dropna(axis=1, how="all")
    st.dataframe(shown, width="stretch", hide_index=True, key=f"{P}_transactions")
    labels = {int(r.id): f"#{r.id} · {r.trade_date} · {r.kind} {r.symbol}" for r in table.itertuples()}
    c = st.columns([3, 1], vertical_alignment="bottom")
    picked = c[0].multiselect("Delete transactions", list(labels), format_func=labels.get, key=f"{P}_delete_ids")
    if c[1].button("Delete", key=f"{P}_delete", disabled=not picked, icon="🗑️"):
        try:
            n = remove_transactions(get_db(), picked, portfolio)
        except QuantdeskError as exc:
            st.error(str(exc), icon="⚠️")
            return
        st.session_state.pop(f"{P}_delete_ids", None)
        changed(f"Deleted {n} transaction(s).")


def import_tab(portfolio: str) -> None:
    st.caption("Zerodha Console tradebook, Upstox trade report, or a CSV with date, symbol, side, qty, price "
               "(optional fees, amount, ratio, trade_id). Re-importing the same file adds nothing.")
    upload = st.file_uploader("Tradebook CSV", type=["csv", "txt"], key=f"{P}_upload")
    if upload is None:
        return
    try:
        book = read_tradebook(upload.getvalue())
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return
    st.write(f"**{book.format}** format · {len(book.transactions)} trade(s) read")
    if book.errors:
        st.error(f"{len(book.errors)} row(s) cannot be read — fix them and upload again (nothing is imported):\n\n"
                 + "\n".join(f"- {e}" for e in book.errors[:20]), icon="⚠️")
    if book.skipped:
        st.warning(f"{len(book.skipped)} row(s) left out:\n\n" + "\n".join(f"- {s}" for s in book.skipped[:20]))
    st.dataframe(book.table(), width="stretch", hide_index=True, key=f"{P}_preview")
    if st.button(f"Import {len(book.transactions)} trade(s)", type="primary", key=f"{P}_import",
                 disabled=bool(book.errors) or not book.transactions):
        try:
            result = import_tradebook(get_db(), upload.getvalue(), portfolio)
        except QuantdeskError as exc:
            st.error(str(exc), icon="⚠️")
            return
        changed(f"Imported {result.added} new trade(s); {result.duplicates} were already there.")


def allocation_tab(report: PortfolioReport) -> None:
    frame = report.allocation
    if frame.empty:
        st.info("No open positions to allocate.")
        return
    fig = px.sunburst(frame, path=["asset_class", "sector", "symbol"], values="value")
    fig.update_traces(hovertemplate="%{label}<br>%{value:,.0f}<br>%{percentRoot:.1%} of value<extra></extra>",
                      textinfo="label+percent root")
    st.plotly_chart(charts.style(fig, height=380), width="stretch", config=CHART_CONFIG, key=f"{P}_sunburst")
    by_sector = allocation_by(frame, "sector").rename(columns=str.capitalize)
    st.dataframe(by_sector.style.format({"Value": lambda v: format_money(v, report.currency), "Weight": "{:.1%}"}),
                 width="stretch", hide_index=True, key=f"{P}_sectors")
    st.caption("Sector and asset class come from the instruments table (filled when a symbol is synced); "
               "“Unknown” when it has none.")


def flash() -> None:
    message = st.session_state.pop(f"{P}_flash", None)
    if message:
        st.success(message, icon="✅")
