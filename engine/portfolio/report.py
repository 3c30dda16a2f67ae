"""Portfolio valuation from stored prices: holdings, P&L, XIRR, allocation, value and NAV series."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.data.instruments import instrument_for
from engine.errors import DataError
from engine.portfolio.allocation import allocation
from engine.portfolio.lots import build_book, holdings_table, totals
from engine.portfolio.nav import day_change, mark_prices, value_series
from engine.portfolio.service import DEFAULT_PORTFOLIO, load_transactions
from engine.portfolio.transactions import Transaction
from engine.portfolio.xirr import xirr
from storage.candles import DEMO, load_candles
from storage.instruments import list_instruments

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.data.providers import Provider

BENCHMARKS = {"INR": "^NSEI", "USD": "^GSPC"}
SYNC_LEAD_DAYS = 10  # fetch a little history before the first transaction


def benchmark_for(currency: str) -> str | None:
    """The default benchmark index of a portfolio currency (^NSEI for INR), None when there is none."""
    return BENCHMARKS.get(currency.upper())


@dataclass
class PortfolioReport:
    """Everything the Portfolio page, `portfolio show` and the tear sheet need, as of `as_of`."""

    name: str
    currency: str
    as_of: date | None
    transactions: list[Transaction]
    holdings: pd.DataFrame
    sales: pd.DataFrame
    totals: dict[str, float]
    allocation: pd.DataFrame
    series: pd.DataFrame
    benchmark: str | None
    demo_symbols: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.transactions

    @property
    def nav(self) -> pd.Series:
        """Time-weighted NAV (100 at the first transaction) per day, UTC session dates."""
        return self.series["nav"].rename("NAV")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: totals, holdings, allocation, sales and notices."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                    for row in frame.to_dict(orient="records")]

        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in self.totals.items()}
        return {"portfolio": self.name, "currency": self.currency, "as_of": self.as_of, "totals": clean,
                "holdings": records(self.holdings), "allocation": records(self.allocation),
                "sales": records(self.sales), "benchmark": self.benchmark, "demo_symbols": self.demo_symbols,
                "notices": self.notices, "transactions": len(self.transactions)}


def sync_missing(db: Engine, symbols: list[str], start: date, provider: Provider,
                 demo_fallback: bool = True) -> list[str]:
    """Fetch daily bars for `symbols` with nothing stored; returns notices about any that failed."""
    from engine.data.sync import sync_symbols

    missing = [s for s in symbols if load_candles(db, s, "1d").empty]
    if not missing:
        return []
    notices = []
    for r in sync_symbols(db, missing, "1d", start=pd.Timestamp(start), provider=provider, demo_fallback=demo_fallback):
        if r.status == "demo":
            notices.append(f"{r.symbol}: the price provider is offline — demo prices loaded (not market data)")
        elif r.status in ("failed", "skipped"):
            notices.append(f"{r.symbol}: no prices could be fetched ({r.error}); valued at its last trade price")
    return notices


def stored_closes(db: Engine, symbols: list[str], start: date | None = None,
                  end: date | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Daily closes (one column per symbol, UTC session dates) and the symbols whose bars are demo data."""
    lo = pd.Timestamp(start, tz="UTC") if start else None
    hi = pd.Timestamp(end, tz="UTC") if end else None
    columns, demo = {}, []
    for symbol in symbols:
        bars = load_candles(db, symbol, "1d", lo, hi)
        if not bars.empty:
            columns[symbol] = bars["close"]
            if (bars["source"] == DEMO).any():
                demo.append(symbol)
    frame = pd.DataFrame(columns) if columns else pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="ts"))
    return frame.sort_index(), demo


def _unpriced(closes: pd.DataFrame, symbols: list[str]) -> list[str]:
    return [s for s in symbols if s not in closes or closes[s].dropna().empty]


def _xirr(transactions: list[Transaction], value: float, as_of: date) -> float:
    flows = [(t.trade_date, t.cash_flow) for t in transactions if t.cash_flow]
    if value > 0:
        flows.append((as_of, value))
    try:
        return xirr(flows)
    except DataError:
        return math.nan


def _meta(db: Engine) -> dict[str, tuple[str, str]]:
    return {i.symbol: (i.sector, i.asset_class) for i in list_instruments(db)}


def _currency_notices(symbols: list[str], currency: str) -> list[str]:
    other = sorted(s for s in symbols if instrument_for(s).currency != currency)
    if not other:
        return []
    return [f"{', '.join(other)} trade in another currency than {currency}; amounts are added without conversion"]


def build_report(db: Engine, portfolio: str = DEFAULT_PORTFOLIO, *, provider: Provider | None = None,
                 demo_fallback: bool = True, on: date | None = None, currency: str = "INR") -> PortfolioReport:
    """Value `portfolio` with the latest stored close on or before `on` (default: the newest stored).

    With a `provider`, symbols that have no stored daily bars are synced first (offline: demo
    bars when `demo_fallback`, with a notice). A symbol still without prices is valued at its
    last trade price (a notice says so). Raises DataError for an unknown portfolio name or an
    invalid book (a sale larger than the holding).
    """
    txns = [t for t in load_transactions(db, portfolio) if on is None or t.trade_date <= on]
    symbols = list(dict.fromkeys(t.symbol for t in txns))
    notices: list[str] = []
    if txns and provider is not None:
        first = min(t.trade_date for t in txns) - timedelta(days=SYNC_LEAD_DAYS)
        notices += sync_missing(db, symbols, first, provider, demo_fallback)
    book = build_book(txns)
    start = min((t.trade_date for t in txns), default=None)
    closes, demo = stored_closes(db, symbols, start, on)
    end = pd.Timestamp(on, tz="UTC") if on else None
    marks = mark_prices(txns, closes, end)
    prices = marks.iloc[-1].to_dict() if len(marks) else {}
    unpriced = _unpriced(closes, symbols)
    if unpriced:
        notices.append(f"no stored prices for {', '.join(unpriced)}: valued at the last trade price")
    notices += _currency_notices(symbols, currency)
    holdings = holdings_table(book, prices)
    series = value_series(txns, closes, end)
    as_of = series.index[-1].date() if len(series) else None
    summary = totals(holdings)
    change, change_pct = day_change(series)
    summary |= {"xirr": _xirr(txns, summary["value"], as_of) if as_of else math.nan,
                "day_change": change, "day_change_pct": change_pct}
    return PortfolioReport(portfolio, currency, as_of, txns, holdings, book.sales_frame(), summary,
                           allocation(holdings, _meta(db)), series, benchmark_for(currency), demo, notices)


def benchmark_prices(db: Engine, symbol: str, start: date, provider: Provider | None = None,
                     demo_fallback: bool = True) -> pd.Series | None:
    """Adjusted daily closes of a benchmark from `start` (synced first when missing and a provider
    is given); None when nothing is stored."""
    if provider is not None:
        sync_missing(db, [symbol], start - timedelta(days=SYNC_LEAD_DAYS), provider, demo_fallback)
    bars = load_candles(db, symbol, "1d", pd.Timestamp(start, tz="UTC"))
    if bars.empty:
        return None
    return bars["adj_close"].rename(symbol)
