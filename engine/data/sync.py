"""Incremental sync: provider fetch (retried) → validate/repair → one transaction per symbol + a sync-run row.

Offline handling: the first ProviderOffline ends network use for the rest of the call; every later
symbol is marked offline without asking the provider, and symbols with nothing stored get demo data
when `demo_fallback` is on (never over real data: storage refuses to mix them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from engine.data.instruments import instrument_for, normalise_symbol
from engine.data.providers import Provider, check_interval, make_provider
from engine.data.providers.base import INTERVALS, empty_bars, to_utc
from engine.data.providers.demo import DemoProvider
from engine.data.retry import RetryPolicy
from engine.data.status import OFFLINE, DataStatus, data_status, load_bars
from engine.data.validate import repair_bars, validate_bars
from engine.errors import DataError, ProviderOffline, QuantdeskError
from storage.candles import DEMO, coverage, sources, tail_candles, time_span, upsert_candles
from storage.db import transaction
from storage.instruments import InstrumentInfo, upsert_instrument
from storage.sync_runs import finish_run, start_run

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from engine.config import Settings

__all__ = ["DataStatus", "RetryPolicy", "SyncResult", "data_status", "ensure_default_data", "load_bars",
           "sync_symbols"]
REVISION_TOLERANCE = 0.005  # a stored close revised by more than 0.5% means a split was applied
FACTOR_TOLERANCE = 1e-5  # a changed adj_close/close ratio means a new dividend (the smallest are ~1e-3)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class SyncResult:
    """Outcome for one symbol. status: ok | failed | demo (offline fallback) | skipped (offline)."""

    symbol: str
    status: str
    rows: int = 0
    error: str = ""
    source: str = ""
    as_of: pd.Timestamp | None = None  # newest stored bar after the sync
    interval: str = "1d"
    issues: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        return {"symbol": self.symbol, "interval": self.interval, "status": self.status, "rows": self.rows,
                "source": self.source, "as_of": None if self.as_of is None else self.as_of.isoformat(),
                "error": self.error, "issues": list(self.issues)}


@dataclass(frozen=True)
class _Plan:
    start: pd.Timestamp | None
    period: str | None
    tail: pd.DataFrame  # stored bars the fetch overlaps (to spot revisions)
    first: pd.Timestamp | None  # first stored bar (for a full re-fetch after a revision)


@dataclass(frozen=True)
class _Offline:
    run_id: int
    reason: str


def instrument_row(symbol: str) -> InstrumentInfo:
    """The instruments-table row for `symbol` built from the static metadata."""
    m = instrument_for(symbol)
    return InstrumentInfo(m.symbol, m.name, m.exchange, m.currency, m.timezone, m.sector, m.asset_class,
                          m.lot_size)


def _plan(session: Session, symbol: str, interval: str, start: pd.Timestamp | None, period: str | None,
          overlap_bars: int, backfill: bool, provider_name: str) -> _Plan:
    present = sources(session, symbol, interval)
    fresh = not present or (provider_name != DEMO and present == {DEMO}) or backfill
    if fresh:
        return _Plan(start, period if start is None else None, empty_bars(), None)
    span = time_span(session, symbol, interval)
    if overlap_bars <= 0:
        return _Plan(span[1] + INTERVALS[interval], None, empty_bars(), span[0])
    tail = tail_candles(session, symbol, interval, overlap_bars)
    return _Plan(tail.index[0], None, tail, span[0])


def _revised(tail: pd.DataFrame, fetched: pd.DataFrame) -> bool:
    """True when the provider rewrote history the fetch overlaps: a split-adjusted close (beyond
    REVISION_TOLERANCE) or a changed adjustment factor (a new dividend). The newest stored bar is
    left out: it may have been a session still in progress."""
    done = tail.iloc[:-1]
    common = done.index.intersection(fetched.index)
    if common.empty:
        return False
    old, new = done.loc[common], fetched.loc[common]
    close_moved = ((new["close"] / old["close"] - 1).abs() > REVISION_TOLERANCE).any()
    factor_moved = ((new["adj_close"] / new["close"]) / (old["adj_close"] / old["close"]) - 1).abs() > FACTOR_TOLERANCE
    return bool(close_moved or factor_moved.any())


def _as_of(db_engine: Engine, symbol: str, interval: str) -> pd.Timestamp | None:
    with transaction(db_engine) as s:
        span = time_span(s, symbol, interval)
    return span[1] if span else None


def _finish(db_engine: Engine, run_id: int, status: str, rows: int = 0, error: str = "") -> None:
    with transaction(db_engine) as s:
        finish_run(s, run_id, status, rows, error)


def _fetch(provider: Provider, retry: RetryPolicy, symbol: str, interval: str, plan: _Plan,
           end: pd.Timestamp | None) -> pd.DataFrame:
    bars = retry.call(lambda: provider.fetch(symbol, interval, start=plan.start, end=end, period=plan.period))
    if not plan.tail.empty and _revised(plan.tail, bars):
        bars = retry.call(lambda: provider.fetch(symbol, interval, start=plan.first, end=end))
    return bars


def _sync_one(db_engine: Engine, symbol: str, interval: str, provider: Provider, retry: RetryPolicy,
              start: pd.Timestamp | None, end: pd.Timestamp | None, period: str | None,
              overlap_bars: int, backfill: bool) -> SyncResult | _Offline:
    with transaction(db_engine) as s:
        upsert_instrument(s, instrument_row(symbol))
        run_id = start_run(s, symbol, interval, provider.name)
        plan = _plan(s, symbol, interval, start, period, overlap_bars, backfill, provider.name)
    try:
        bars = _fetch(provider, retry, symbol, interval, plan, end)
    except ProviderOffline as exc:
        return _Offline(run_id, str(exc))
    except QuantdeskError as exc:
        _finish(db_engine, run_id, "failed", 0, str(exc))
        return SyncResult(symbol, "failed", 0, str(exc), provider.name, _as_of(db_engine, symbol, interval), interval)
    report = validate_bars(bars, symbol, interval)
    bars, remaining = repair_bars(bars, report) if report.issues else (bars, [])
    notes = tuple(i.message for i in remaining)
    try:
        with transaction(db_engine) as s:
            rows = upsert_candles(s, symbol, interval, bars, provider.name)
            finish_run(s, run_id, "ok", rows, f"warning: {'; '.join(notes)}" if notes else "")
    except Exception as exc:  # any write failure is recorded; the transaction left stored bars intact
        error = f"could not store the bars: {exc}".splitlines()[0]
        _finish(db_engine, run_id, "failed", 0, error)
        return SyncResult(symbol, "failed", 0, error, provider.name, _as_of(db_engine, symbol, interval), interval)
    return SyncResult(symbol, "ok", rows, "", provider.name, _as_of(db_engine, symbol, interval), interval, notes)


def _offline_result(db_engine: Engine, symbol: str, interval: str, run_id: int, reason: str,
                    demo_fallback: bool, start: pd.Timestamp | None, end: pd.Timestamp | None,
                    period: str | None) -> SyncResult:
    with transaction(db_engine) as s:
        present = sources(s, symbol, interval)
    error = OFFLINE + reason
    if not present and demo_fallback:
        bars = DemoProvider().fetch(symbol, interval, start=start, end=end,
                                    period=period if start is None else None)
        with transaction(db_engine) as s:
            rows = upsert_candles(s, symbol, interval, bars, DEMO)
            finish_run(s, run_id, "demo", rows, error + "; demo data loaded")
        return SyncResult(symbol, "demo", rows, error, DEMO, _as_of(db_engine, symbol, interval), interval)
    kept = "; kept the stored bars" if present else "; nothing stored"
    _finish(db_engine, run_id, "skipped", 0, error + kept)
    source = "+".join(sorted(present))
    return SyncResult(symbol, "skipped", 0, error + kept, source, _as_of(db_engine, symbol, interval), interval)


def sync_symbols(
    db_engine: Engine, symbols: Sequence[str], interval: str = "1d",
    start: pd.Timestamp | str | None = None, provider: Provider | None = None, overlap_bars: int = 3,
    progress: Progress | None = None, demo_fallback: bool = True, retry: RetryPolicy | None = None,
    end: pd.Timestamp | str | None = None, period: str | None = None, backfill: bool = False,
) -> list[SyncResult]:
    """Fetch and store bars for each symbol; returns one SyncResult per symbol, in order.

    With bars stored, only bars from the `overlap_bars`-th newest stored bar on are fetched
    (revisions there — a split or a new dividend — trigger a full re-fetch); with nothing stored,
    from `start` (or the last `period`; provider default when neither). `backfill` re-fetches
    from `start` regardless. `end` is exclusive. Provider failures never raise: they are recorded
    in sync_runs and the result. Raises DataError for an unsupported interval or unreadable date.
    """
    check_interval(interval)
    provider = provider or make_provider("yfinance")
    retry = retry or RetryPolicy()
    lo, hi = to_utc(start), to_utc(end)
    offline: str | None = None
    results: list[SyncResult] = []
    for done, raw in enumerate(symbols, start=1):
        try:
            symbol = normalise_symbol(raw)
        except DataError as exc:
            results.append(SyncResult(str(raw), "failed", 0, str(exc), provider.name, None, interval))
            continue
        if offline is None:
            outcome = _sync_one(db_engine, symbol, interval, provider, retry, lo, hi, period, overlap_bars, backfill)
        else:
            with transaction(db_engine) as s:
                upsert_instrument(s, instrument_row(symbol))
                outcome = _Offline(start_run(s, symbol, interval, provider.name), offline)
        if isinstance(outcome, _Offline):
            offline = outcome.reason
            outcome = _offline_result(db_engine, symbol, interval, outcome.run_id, offline, demo_fallback,
                                      lo, hi, period)
        results.append(outcome)
        if progress is not None:
            progress(done, len(symbols), symbol)
    return results


def ensure_default_data(db_engine: Engine, settings: Settings) -> list[SyncResult]:
    """First start: when no candles are stored at all, sync the watchlist with the configured
    provider from `history_start` (falling back to demo data when offline). Otherwise does nothing."""
    if not coverage(db_engine).empty:
        return []
    return sync_symbols(
        db_engine, settings.watchlist, settings.default_interval, start=settings.history_start,
        provider=make_provider(settings.provider, settings.provider_min_interval_s),
        overlap_bars=settings.sync_overlap_bars, demo_fallback=settings.demo_fallback,
        retry=RetryPolicy(attempts=settings.retry_attempts, base_wait_s=settings.retry_base_wait_s),
    )
