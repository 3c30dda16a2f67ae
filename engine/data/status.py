"""What the UI shows about stored data (demo / offline / as-of badges) and bar loading for research."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from engine.data.providers.base import BAR_COLUMNS, check_interval, to_utc
from engine.errors import DataError
from storage.candles import DEMO, coverage, load_candles
from storage.sync_runs import last_runs, last_success_times, latest_run

if TYPE_CHECKING:
    from sqlalchemy import Engine

OFFLINE = "offline: "  # prefix of a sync-run error when the provider was unreachable


@dataclass(frozen=True)
class SymbolStatus:
    """Stored data of one symbol/interval and its latest sync run."""

    symbol: str
    interval: str
    first: pd.Timestamp
    last: pd.Timestamp
    bars: int
    source: str  # yfinance | csv | demo (or "a+b" when sources are mixed)
    is_demo: bool
    last_real_sync: datetime | None  # finish time (UTC) of the latest successful non-demo sync
    last_status: str  # latest sync run: ok | failed | demo | skipped | "" (never synced)
    last_error: str


@dataclass(frozen=True)
class DataStatus:
    """Summary for badges: demo data present, offline at the last sync, newest bar stored."""

    symbols: tuple[SymbolStatus, ...]
    is_demo: bool
    offline: bool
    last_real_sync: datetime | None
    as_of: pd.Timestamp | None  # newest stored bar of real data (of demo data when there is no real)

    @property
    def newest(self) -> pd.Timestamp | None:
        """Newest stored bar of any symbol and source (demo, synced or imported)."""
        return max((s.last for s in self.symbols), default=None)

    @property
    def badge(self) -> str:
        """Short text such as "offline — data as of 2024-06-07", "demo data" or ""."""
        if not self.symbols:
            return "no data yet — run a sync"
        parts = []
        if self.offline:
            parts.append(f"offline — data as of {self.as_of:%Y-%m-%d}" if self.as_of is not None else "offline")
        if self.is_demo:
            parts.append("demo data")
        return " · ".join(parts)

    def as_dict(self) -> dict:
        return {
            "is_demo": self.is_demo, "offline": self.offline, "badge": self.badge,
            "last_real_sync": None if self.last_real_sync is None else self.last_real_sync.isoformat(),
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "symbols": [
                {"symbol": s.symbol, "interval": s.interval, "first": s.first.isoformat(),
                 "last": s.last.isoformat(), "bars": s.bars, "source": s.source, "is_demo": s.is_demo,
                 "last_real_sync": None if s.last_real_sync is None else s.last_real_sync.isoformat(),
                 "last_status": s.last_status, "last_error": s.last_error}
                for s in self.symbols
            ],
        }


def data_status(db_engine: Engine) -> DataStatus:
    """Per-symbol coverage plus the flags the UI needs; reads only, never syncs."""
    cov = coverage(db_engine)
    runs = {(r.symbol, r.interval): r for r in last_runs(db_engine).itertuples(index=False)}
    real_syncs = last_success_times(db_engine)
    rows = []
    for c in cov.itertuples(index=False):
        run = runs.get((c.symbol, c.interval))
        rows.append(SymbolStatus(
            c.symbol, c.interval, c.first, c.last, int(c.bars), c.source, DEMO in c.source.split("+"),
            real_syncs.get((c.symbol, c.interval)), run.status if run else "", run.error if run else "",
        ))
    latest = latest_run(db_engine)
    offline = bool(latest and str(latest["error"]).startswith(OFFLINE))
    real = [s.last for s in rows if not s.is_demo]
    any_last = real or [s.last for s in rows]
    return DataStatus(
        symbols=tuple(rows),
        is_demo=any(s.is_demo for s in rows),
        offline=offline,
        last_real_sync=max(real_syncs.values(), default=None),
        as_of=max(any_last) if any_last else None,
    )


def load_bars(
    db_engine: Engine, symbol: str, interval: str = "1d",
    start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None, adjusted: bool = False,
) -> pd.DataFrame:
    """Stored bars of `symbol` in [start, end] (inclusive, UTC) in the bars convention.

    adjusted=True scales open/high/low/close by adj_close/close (split- and dividend-adjusted
    series for research); volume and adj_close are unchanged. Raises DataError when no bar is
    stored in the range, naming the command that fetches them.
    """
    check_interval(interval)
    lo, hi = to_utc(start), to_utc(end)
    frame = load_candles(db_engine, symbol, interval, lo, hi)
    if frame.empty:
        window = "" if lo is None and hi is None else " in that date range"
        raise DataError(
            f"no {interval} bars stored for {symbol}{window}; fetch them with "
            f"`python -m engine sync --symbols {symbol} --interval {interval}`"
        )
    bars = frame[list(BAR_COLUMNS)].copy()
    if adjusted:
        factor = bars["adj_close"] / bars["close"]
        for col in ("open", "high", "low", "close"):
            bars[col] = bars[col] * factor
    return bars
