"""FIFO lots: buys open lots, sales consume the oldest first, splits and bonuses rescale them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from engine.errors import DataError
from engine.portfolio.transactions import Transaction, sort_transactions

QTY_TOLERANCE = 1e-9  # relative: float noise after a 3:2 split must not look like an oversell
HOLDING_COLUMNS = ("symbol", "qty", "avg_cost", "invested", "price", "value", "unrealised", "unrealised_pct",
                   "realised", "dividends", "fees", "weight")
SALE_COLUMNS = ("trade_date", "symbol", "qty", "price", "proceeds", "cost", "fees", "pnl", "pnl_pct")


@dataclass
class Lot:
    """Shares bought on `opened`; `cost_per_share` includes the buy's fees. Splits keep qty × cost."""

    symbol: str
    opened: date
    qty: float
    cost_per_share: float

    @property
    def cost(self) -> float:
        return self.qty * self.cost_per_share


@dataclass(frozen=True)
class Sale:
    """One sell matched FIFO against open lots: proceeds net of the sale's fees, cost incl. buy fees."""

    trade_date: date
    symbol: str
    qty: float
    price: float
    proceeds: float
    cost: float
    fees: float

    @property
    def pnl(self) -> float:
        return self.proceeds - self.cost


@dataclass
class Book:
    """Open lots per symbol, every realised sale, dividend cash and fees paid per symbol."""

    lots: dict[str, list[Lot]] = field(default_factory=dict)
    sales: list[Sale] = field(default_factory=list)
    dividends: dict[str, float] = field(default_factory=dict)
    fees: dict[str, float] = field(default_factory=dict)

    @property
    def symbols(self) -> list[str]:
        """Every symbol that ever had a transaction, in first-seen order."""
        return list(dict.fromkeys([*self.lots, *self.dividends, *self.fees]))

    def qty(self, symbol: str) -> float:
        return sum(lot.qty for lot in self.lots.get(symbol, []))

    def invested(self, symbol: str) -> float:
        return sum(lot.cost for lot in self.lots.get(symbol, []))

    def realised(self, symbol: str) -> float:
        return sum(s.pnl for s in self.sales if s.symbol == symbol)

    def sales_frame(self) -> pd.DataFrame:
        """One row per sale: what was sold, proceeds, FIFO cost, fees and P&L (pnl_pct of cost)."""
        rows = [{"trade_date": s.trade_date, "symbol": s.symbol, "qty": s.qty, "price": s.price,
                 "proceeds": s.proceeds, "cost": s.cost, "fees": s.fees, "pnl": s.pnl,
                 "pnl_pct": s.pnl / s.cost if s.cost else math.nan} for s in self.sales]
        return pd.DataFrame(rows, columns=list(SALE_COLUMNS))


def _consume(lots: list[Lot], t: Transaction) -> float:
    """Take `t.qty` shares from the oldest lots; returns their cost. Raises DataError on an oversell."""
    held = sum(lot.qty for lot in lots)
    if t.qty > held * (1 + QTY_TOLERANCE) + QTY_TOLERANCE:
        raise DataError(f"sell of {t.qty:g} {t.symbol} on {t.trade_date} exceeds the {held:g} shares held then; "
                        "add the missing buy (or split/bonus) or fix the quantity")
    need, cost = t.qty, 0.0
    while need > 0 and lots:
        lot = lots[0]
        take = min(lot.qty, need)
        cost += take * lot.cost_per_share
        lot.qty -= take
        need -= take
        if lot.qty <= lot.qty * QTY_TOLERANCE + QTY_TOLERANCE:
            lots.pop(0)
    return cost


def apply(book: Book, t: Transaction) -> None:
    """Apply one transaction to the book (callers keep processing order: see sort_transactions)."""
    lots = book.lots.setdefault(t.symbol, []) if t.kind != "dividend" else book.lots.get(t.symbol, [])
    book.fees[t.symbol] = book.fees.get(t.symbol, 0.0) + t.fees
    if t.kind == "buy":
        lots.append(Lot(t.symbol, t.trade_date, t.qty, (t.qty * t.price + t.fees) / t.qty))
    elif t.kind == "sell":
        cost = _consume(lots, t)
        book.sales.append(Sale(t.trade_date, t.symbol, t.qty, t.price, t.qty * t.price - t.fees, cost, t.fees))
    elif t.kind == "dividend":
        book.dividends[t.symbol] = book.dividends.get(t.symbol, 0.0) + t.cash_dividend - t.fees
    else:  # split or bonus: more shares, same total cost
        for lot in lots:
            lot.qty *= t.factor
            lot.cost_per_share /= t.factor


def build_book(transactions: Iterable[Transaction]) -> Book:
    """Replay transactions in processing order into FIFO lots; raises DataError on any oversell."""
    book = Book()
    for t in sort_transactions(list(transactions)):
        apply(book, t)
    return book


def holdings_table(book: Book, prices: Mapping[str, float], include_closed: bool = True) -> pd.DataFrame:
    """One row per symbol (open positions by value, then closed ones) with P&L at `prices`.

    invested: cost of the open lots incl. buy fees; unrealised: value − invested; realised: FIFO
    P&L of all sales net of fees; dividends: cash received net of fees; weight: share of the total
    value of open positions (0–1). A missing price leaves value and unrealised P&L NaN.
    """
    rows = []
    for symbol in book.symbols:
        qty, invested = book.qty(symbol), book.invested(symbol)
        is_open = qty > QTY_TOLERANCE
        if not is_open and not include_closed:
            continue
        price = float(prices.get(symbol, math.nan))
        value = qty * price if is_open else 0.0
        unrealised = value - invested if is_open else 0.0
        rows.append({"symbol": symbol, "qty": qty if is_open else 0.0,
                     "avg_cost": invested / qty if is_open else math.nan, "invested": invested if is_open else 0.0,
                     "price": price, "value": value, "unrealised": unrealised,
                     "unrealised_pct": unrealised / invested if is_open and invested else math.nan,
                     "realised": book.realised(symbol), "dividends": book.dividends.get(symbol, 0.0),
                     "fees": book.fees.get(symbol, 0.0)})
    frame = pd.DataFrame(rows, columns=list(HOLDING_COLUMNS))
    total = frame["value"].sum(min_count=1)
    frame["weight"] = frame["value"] / total if total and math.isfinite(total) else math.nan
    frame["_open"] = frame["qty"] > 0
    frame = frame.sort_values(["_open", "value"], ascending=[False, False], kind="stable")
    return frame.drop(columns="_open").reset_index(drop=True)


def totals(holdings: pd.DataFrame) -> dict[str, float]:
    """Portfolio totals of a holdings table: value, invested, unrealised, realised, dividends, fees, total P&L."""
    sums = {c: float(holdings[c].sum()) for c in ("value", "invested", "unrealised", "realised", "dividends", "fees")}
    sums["total_pnl"] = sums["unrealised"] + sums["realised"] + sums["dividends"]
    return sums
