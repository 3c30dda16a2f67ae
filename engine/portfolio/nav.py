"""Daily portfolio value and a time-weighted (unitised) NAV that ignores money moving in and out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from engine.portfolio.transactions import Transaction, sort_transactions

NAV_START = 100.0
SERIES_COLUMNS = ("value", "inflow", "outflow", "return", "nav")


def _day(d: date) -> pd.Timestamp:
    return pd.Timestamp(d).tz_localize("UTC")


def later_factors(transactions: Sequence[Transaction]) -> dict[int, float]:
    """For each buy/sell (by position in `transactions`), the product of the split/bonus factors of
    its symbol dated strictly after it: its shares expressed in today's shares."""
    actions = [(t.symbol, t.trade_date, t.factor) for t in transactions if t.kind in ("split", "bonus")]
    out = {}
    for i, t in enumerate(transactions):
        if t.kind in ("buy", "sell"):
            out[i] = float(np.prod([f for s, d, f in actions if s == t.symbol and d > t.trade_date]))
    return out


def _index(txns: list[Transaction], closes: pd.DataFrame, end: pd.Timestamp | None) -> pd.DatetimeIndex:
    days = pd.DatetimeIndex(sorted({_day(t.trade_date) for t in txns}), tz="UTC")
    bar_days = closes.index[closes.index >= days[0]] if len(closes) else pd.DatetimeIndex([], tz="UTC")
    index = days.union(bar_days)
    last = max(end if end is not None else index[-1], days[-1])
    return index[index <= last].rename("ts")


def mark_prices(transactions: Sequence[Transaction], closes: pd.DataFrame,
                end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Price per share (in today's shares) of every symbol on every day of the series index: the
    stored close, else the last trade price, carried forward (see value_series)."""
    txns = sort_transactions(list(transactions))
    if not txns:
        return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="ts"))
    index = _index(txns, closes, end)
    factors = later_factors(txns)
    symbols = sorted({t.symbol for t in txns})
    trade_marks = pd.DataFrame(np.nan, index=index, columns=symbols)
    for i, t in enumerate(txns):
        if t.kind in ("buy", "sell"):
            trade_marks.loc[_day(t.trade_date), t.symbol] = t.price / factors[i]
    stored = closes.reindex(columns=symbols).reindex(index) if len(closes) else trade_marks * np.nan
    return stored.combine_first(trade_marks).ffill()


@dataclass
class _Day:
    """Per-day, per-symbol trade units and value (today's shares), and per-day money flows."""

    units: pd.DataFrame
    traded_units: pd.DataFrame
    traded_value: pd.DataFrame
    flows: pd.DataFrame  # inflow, outflow, buy_fees, sell_fees, dividends


def _days(txns: list[Transaction], index: pd.DatetimeIndex, symbols: list[str]) -> _Day:
    zeros = lambda: pd.DataFrame(0.0, index=index, columns=symbols)  # noqa: E731
    out = _Day(zeros(), zeros(), zeros(),
               pd.DataFrame(0.0, index=index, columns=["inflow", "outflow", "buy_fees", "sell_fees", "dividends"]))
    factors = later_factors(txns)
    for i, t in enumerate(txns):
        day, cash = _day(t.trade_date), t.cash_flow
        if t.kind in ("buy", "sell"):
            units = t.qty * factors[i]
            out.units.loc[day, t.symbol] += units if t.kind == "buy" else -units
            out.traded_units.loc[day, t.symbol] += units
            out.traded_value.loc[day, t.symbol] += t.qty * t.price
            out.flows.loc[day, f"{t.kind}_fees"] += t.fees
        elif t.kind == "dividend":
            out.flows.loc[day, "dividends"] += cash
        out.flows.loc[day, "inflow" if cash < 0 else "outflow"] += abs(cash)
    return out


def value_series(transactions: Sequence[Transaction], closes: pd.DataFrame,
                 end: pd.Timestamp | None = None) -> pd.DataFrame:
    """Daily value of the holdings, money in (buys incl. fees) and out (sales and dividends, net),
    the day's time-weighted return and the NAV (100 at the first transaction).

    `closes`: one column per symbol of daily closes adjusted for splits (as Yahoo's Close) on a
    UTC index of session dates; quantities are restated in today's shares with the recorded
    splits/bonuses, so values stay right across a split. Before a symbol's first stored close,
    or where none is stored, its last trade price marks it. Index: stored bar dates from the first
    transaction to `end` (default: the last close or transaction) plus the transaction dates.

    A day with trades is two sub-periods chained: from the previous close to the trades (traded
    symbols move to their average trade price; dividends are received and sale fees paid), then
    from the trades to the close on the capital invested after them (incl. buy fees). Money
    moving in or out therefore never moves the NAV, and a one-symbol portfolio's NAV follows its
    price exactly; symbols not traded that day are taken to move after the trades.
    """
    txns = sort_transactions(list(transactions))
    if not txns:
        return pd.DataFrame(columns=list(SERIES_COLUMNS), index=pd.DatetimeIndex([], tz="UTC", name="ts"))
    marks = mark_prices(txns, closes, end)
    d = _days(txns, marks.index, list(marks.columns))
    held = d.units.cumsum()
    held = held.mask(held.abs() < 1e-9, 0.0)
    value = (held * marks.fillna(0.0)).sum(axis=1)
    prev_value = value.shift(1, fill_value=0.0)
    vwap = d.traded_value / d.traded_units.where(d.traded_units > 0)
    mid = vwap.combine_first(marks.shift(1)).fillna(0.0)  # prices at the trades
    before = (held.shift(1, fill_value=0.0) * mid).sum(axis=1) + d.flows["dividends"] - d.flows["sell_fees"]
    after_trades = (held * mid).sum(axis=1) + d.flows["buy_fees"]
    first = np.where(prev_value > 0, before / prev_value.where(prev_value > 0, 1.0), 1.0)
    second = np.where(after_trades > 0, value / after_trades.where(after_trades > 0, 1.0), 1.0)
    ret = pd.Series(first * second - 1.0, index=marks.index)
    nav = NAV_START * (1.0 + ret).cumprod()
    return pd.DataFrame({"value": value, "inflow": d.flows["inflow"], "outflow": d.flows["outflow"],
                         "return": ret, "nav": nav})


def day_change(series: pd.DataFrame) -> tuple[float, float]:
    """Money and time-weighted return of the last day of a value series (P&L net of that day's flows)."""
    if len(series) == 0:
        return 0.0, 0.0
    last = series.iloc[-1]
    prev = float(series["value"].iloc[-2]) if len(series) > 1 else 0.0
    return float(last["value"] - prev - last["inflow"] + last["outflow"]), float(last["return"])
