"""Optimiser service layer: stored adjusted closes, sectors, lot sizes and latest prices for a set of symbols."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from engine.data.instruments import instrument_for, normalise_symbol
from engine.data.status import load_bars
from engine.errors import DataError, OptimizationError
from engine.optimizer.inputs import prices_frame
from storage.candles import coverage
from storage.instruments import get_instrument

BarLoader = Callable[[str], pd.DataFrame]  # symbol -> stored (traded) daily bars with adj_close


@dataclass(frozen=True)
class InstrumentFacts:
    """What the optimiser needs per symbol: sector (for caps), lot size (for allocation), currency."""

    sector: str
    lot_size: int
    currency: str


@dataclass(frozen=True)
class Universe:
    """Adjusted daily closes on shared dates, latest traded closes, and per-symbol facts."""

    prices: pd.DataFrame
    latest: dict[str, float]
    facts: dict[str, InstrumentFacts]

    @property
    def sectors(self) -> dict[str, str]:
        return {s: f.sector or "Unclassified" for s, f in self.facts.items()}

    @property
    def lot_sizes(self) -> dict[str, int]:
        return {s: f.lot_size for s, f in self.facts.items()}

    def currency(self) -> str:
        """The one currency of every symbol; OptimizationError when they differ (cash cannot be split)."""
        found = sorted({f.currency for f in self.facts.values()})
        if len(found) != 1:
            raise OptimizationError(f"the symbols are priced in {', '.join(found)}: allocate cash to symbols of "
                                    "one currency at a time")
        return found[0]


def instrument_facts(db_engine: Engine, symbols: Sequence[str]) -> dict[str, InstrumentFacts]:
    """Sector, lot size and currency from the instruments table, else from the static metadata."""
    out = {}
    for symbol in symbols:
        row = get_instrument(db_engine, symbol)
        meta = instrument_for(symbol)
        out[symbol] = InstrumentFacts(
            (row.sector if row and row.sector else meta.sector),
            int(row.lot_size if row and row.lot_size else meta.lot_size),
            (row.currency if row and row.currency else meta.currency))
    return out


def missing_daily(db_engine: Engine, symbols: Sequence[str]) -> list[str]:
    """Symbols without any stored daily bars."""
    cov = coverage(db_engine)
    stored = set(cov.loc[cov["interval"] == "1d", "symbol"])
    return [s for s in symbols if s not in stored]


def parse_symbols(text: str | Sequence[str]) -> list[str]:
    """'RELIANCE.NS, tcs.ns' -> ['RELIANCE.NS', 'TCS.NS'] (order kept, duplicates dropped)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    symbols = list(dict.fromkeys(normalise_symbol(s) for s in items if str(s).strip()))
    if len(symbols) < 2:
        raise DataError("give at least two symbols to optimise, e.g. --symbols RELIANCE.NS,TCS.NS,INFY.NS")
    return symbols


def load_universe(
    db_engine: Engine, symbols: Sequence[str], start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
    loader: BarLoader | None = None,
) -> Universe:
    """Stored adjusted daily closes of `symbols` in [start, end], aligned on shared dates; `loader`
    (e.g. a page's cached loader) replaces the database read of each symbol's bars.

    Raises DataError naming every symbol without daily bars and the `sync` command that fetches them.
    """
    missing = missing_daily(db_engine, symbols)
    if missing:
        names = ",".join(missing)
        raise DataError(f"no daily bars stored for {', '.join(missing)}; fetch them with "
                        f"`python -m engine sync --symbols {names}`")
    closes, latest = {}, {}
    for symbol in symbols:
        bars = loader(symbol) if loader else load_bars(db_engine, symbol, "1d", start, end)
        if loader and (start is not None or end is not None):
            keep = (bars.index >= (start or bars.index[0])) & (bars.index <= (end or bars.index[-1]))
            bars = bars.loc[keep]
        if bars.empty:
            raise DataError(f"no daily bars for {symbol} in that date range; widen the dates or sync more history")
        closes[symbol] = adjusted_close(bars)
        latest[symbol] = float(bars["close"].iloc[-1])  # allocation buys at the traded price
    return Universe(prices_frame(closes), latest, instrument_facts(db_engine, symbols))


def adjusted_close(bars: pd.DataFrame) -> pd.Series:
    """Split- and dividend-adjusted close (the traded close where no adjustment is stored)."""
    return bars["adj_close"].fillna(bars["close"]).astype(float)


def load_benchmark(db_engine: Engine, symbol: str, start: pd.Timestamp | None = None,
                   end: pd.Timestamp | None = None) -> pd.Series:
    """Adjusted daily closes of a stored benchmark (e.g. ^NSEI); DataError with the sync command if absent."""
    symbol = normalise_symbol(symbol)
    if missing_daily(db_engine, [symbol]):
        raise DataError(f"benchmark {symbol} has no daily bars stored; fetch them with "
                        f"`python -m engine sync --symbols {symbol}`")
    return adjusted_close(load_bars(db_engine, symbol, "1d", start, end)).rename(symbol)
