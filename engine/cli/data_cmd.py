"""Data commands: `sync`, `data list|validate|import`, `db upgrade` (each opens and migrates the database)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import pandas as pd

from engine.__main__ import emit
from engine.config import get_settings
from engine.data.instruments import normalise_symbol
from engine.data.providers import INTERVALS, make_provider
from engine.data.providers.base import parse_date_option
from engine.errors import DataError, ProviderError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.data.sync import SyncResult


def open_db() -> Engine:
    """The configured database, migrated to the latest schema (idempotent)."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    return engine


def _symbols(text: str | None) -> list[str]:
    if not text:
        return list(get_settings().watchlist)
    return [normalise_symbol(s) for s in text.split(",") if s.strip()]




def cmd_sync(args: argparse.Namespace) -> int:
    from engine.data.retry import RetryPolicy
    from engine.data.sync import sync_symbols

    settings = get_settings()
    symbols = _symbols(args.symbols)
    start = parse_date_option(args.start, "--start")
    end = parse_date_option(args.end, "--end")
    if args.period and (start is not None or end is not None):
        raise DataError("give either --period or --start/--end, not both")
    if start is None and not args.period:
        start = parse_date_option(settings.history_start, "history_start")
    provider = make_provider(args.provider or settings.provider, settings.provider_min_interval_s)
    engine = open_db()

    def progress(done: int, total: int, symbol: str) -> None:
        if not args.json:
            sys.stderr.write(f"[{done}/{total}] {symbol}\n")

    results = sync_symbols(
        engine, symbols, args.interval, start=start, provider=provider,
        end=None if end is None else end + pd.Timedelta(days=1),  # --end is inclusive
        period=args.period, overlap_bars=settings.sync_overlap_bars, progress=progress,
        demo_fallback=settings.demo_fallback, backfill=args.full,
        retry=RetryPolicy(attempts=settings.retry_attempts, base_wait_s=settings.retry_base_wait_s),
    )
    lines = [f"{r.symbol:<14} {r.status:<8} rows={r.rows:<6} source={r.source or '-':<9} "
             f"as of {r.as_of.date() if r.as_of is not None else '-'}" + (f"  {r.error}" if r.error else "")
             for r in results]
    emit([r.as_dict() for r in results], args.json, "\n".join(lines))
    _raise_for(results)
    return 0


def _raise_for(results: list[SyncResult]) -> None:
    """One error line when a symbol failed or the provider was offline (exit code 1)."""
    failed = [r for r in results if r.status == "failed"]
    offline = [r for r in results if r.status in ("demo", "skipped") and r.error]
    if failed:
        detail = "; ".join(f"{r.symbol}: {r.error}" for r in failed[:3])
        raise DataError(f"{len(failed)} of {len(results)} symbols failed — {detail}")
    if offline:
        demo = sum(r.status == "demo" for r in offline)
        reason = offline[0].error.split(";")[0]
        raise ProviderError(f"{reason}: {demo} symbol(s) got demo data, {len(offline) - demo} kept their stored bars")


def cmd_list(args: argparse.Namespace) -> int:
    from engine.data.sync import data_status

    status = data_status(open_db())
    head = f"{'SYMBOL':<14} {'INT':<4} {'FIRST':<10} {'LAST':<10} {'BARS':>6} {'SOURCE':<9} LAST SYNC"
    lines = [head] + [
        f"{s.symbol:<14} {s.interval:<4} {s.first.date()!s:<10} {s.last.date()!s:<10} {s.bars:>6} "
        f"{s.source:<9} {s.last_status or '-'}" for s in status.symbols
    ]
    if status.badge:
        lines.append(status.badge)
    emit(status.as_dict(), args.json, "\n".join(lines))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from engine.data.validate import validate_symbols

    settings = get_settings()
    provider = make_provider(settings.provider, settings.provider_min_interval_s) if args.refill else None
    symbols = _symbols(args.symbols) if args.symbols else None
    reports = validate_symbols(open_db(), symbols, args.interval, fix=args.fix or args.refill, provider=provider)
    lines = []
    for r in reports:
        left = r.issues if r.remaining is None else r.remaining
        fixed = f" fixed={r.fixed} refilled={r.refilled}" if r.remaining is not None else ""
        lines.append(f"{r.symbol:<14} {r.interval:<4} bars={r.bars:<6} issues={len(r.issues)}{fixed} "
                     f"remaining={len(left)}")
        lines += [f"    {i.kind}: {i.message}" for i in left[:10]] + [f"    note: {n}" for n in r.notes]
    emit([r.as_dict() for r in reports], args.json, "\n".join(lines) or "no stored bars to validate")
    return 0 if all(r.ok for r in reports) else 1


def cmd_import(args: argparse.Namespace) -> int:
    from engine.data.importer import import_csv

    result = import_csv(open_db(), args.file, normalise_symbol(args.symbol), args.interval)
    text = [f"imported {result.rows} bars of {result.symbol} {result.interval} "
            f"({result.first.date()} … {result.last.date()})"]
    text += [f"  skipped/noted: {p}" for p in result.problems[:20]]
    text += [f"  ({len(result.problems) - 20} more problems)"] if len(result.problems) > 20 else []
    text += [f"  warning: {m}" for m in result.issues[:10]]
    emit(result.as_dict(), args.json, "\n".join(text))
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import current_revision

    revision = current_revision(open_db())
    emit({"revision": revision}, args.json, f"database at revision {revision}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `sync`, `data` and `db` to the CLI."""
    intervals = list(INTERVALS)
    p = subparsers.add_parser("sync", help="fetch bars incrementally into the database")
    p.add_argument("--symbols", help="comma-separated tickers (default: the watchlist)")
    p.add_argument("--interval", default="1d", choices=intervals)
    p.add_argument("--start", help="first date (YYYY-MM-DD) when nothing is stored (default: history_start)")
    p.add_argument("--end", help="last date, inclusive (YYYY-MM-DD)")
    p.add_argument("--period", help="instead of dates: 5d, 6mo, 5y, max …")
    p.add_argument("--provider", choices=["yfinance", "demo"], help="default: the configured provider")
    p.add_argument("--full", action="store_true", help="re-fetch from --start even if bars are stored")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sync)

    data = subparsers.add_parser("data", help="stored market data: list, validate, import")
    sub = data.add_subparsers(dest="data_command", required=True)
    p = sub.add_parser("list", help="stored symbols, coverage and sync state")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("validate", help="check stored bars (gaps, bad OHLC, stray bars …)")
    p.add_argument("--symbols", help="comma-separated tickers (default: all stored)")
    p.add_argument("--interval", default="1d", choices=intervals)
    p.add_argument("--fix", action="store_true", help="repair what can be repaired, in one transaction")
    p.add_argument("--refill", action="store_true", help="with --fix: refill gaps from the provider")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("import", help="import bars from a CSV file")
    p.add_argument("file")
    p.add_argument("--symbol", required=True)
    p.add_argument("--interval", default="1d", choices=intervals)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    db = subparsers.add_parser("db", help="database maintenance")
    dsub = db.add_subparsers(dest="db_command", required=True)
    p = dsub.add_parser("upgrade", help="apply schema migrations (idempotent)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_db_upgrade)
