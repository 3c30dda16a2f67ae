"""Portfolio commands: `portfolio import|add|show|transactions|delete|report`."""

from __future__ import annotations

import argparse
import math
from datetime import date
from pathlib import Path
from typing import Any

from engine.__main__ import emit
from engine.cli.data_cmd import open_db
from engine.config import get_settings
from engine.errors import DataError
from engine.money import format_money
from engine.portfolio import (
    DEFAULT_PORTFOLIO,
    KINDS,
    PortfolioReport,
    Transaction,
    allocation_by,
    benchmark_prices,
    build_report,
    import_tradebook,
    parse_ratio,
    record_transactions,
    remove_transactions,
    transactions_table,
)


def _provider(args: argparse.Namespace) -> dict[str, Any]:
    """Sync options for symbols without stored prices: the configured provider (none with --no-sync)."""
    if getattr(args, "no_sync", False):
        return {}
    from engine.data.providers import make_provider

    cfg = get_settings()
    return {"provider": make_provider(cfg.provider, cfg.provider_min_interval_s), "demo_fallback": cfg.demo_fallback}


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise DataError(f"no file at {path}; give the path of a tradebook CSV")
    result = import_tradebook(open_db(), path.read_bytes(), args.portfolio)
    skipped = "".join(f"\n  skipped {s}" for s in result.skipped)
    emit(result.as_dict(), args.json, f"{result.format} tradebook: {result.rows} trades read, {result.added} added, "
                                      f"{result.duplicates} already imported{skipped}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    ratio = parse_ratio(args.ratio) if args.ratio else (None, None)
    txn = Transaction(_date(args.date), args.symbol, args.kind, args.qty, args.price, args.fees, args.amount,
                      ratio[0], ratio[1], note=args.note or "")
    added = record_transactions(open_db(), [txn], args.portfolio)
    emit({"id": added.ids[0], **{k: v for k, v in txn.as_row().items() if v not in (None, "")}}, args.json,
         f"transaction {added.ids[0]} added: {txn.kind} {txn.symbol} on {txn.trade_date}")
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"--date must look like 2024-01-05, got {text!r}") from None


def _money(value: float, currency: str) -> str:
    return format_money(value, currency) if value is not None and math.isfinite(value) else "—"


def _show_text(report: PortfolioReport) -> str:
    if report.is_empty:
        return (f"portfolio {report.name} has no transactions yet; add one with `portfolio add` "
                "or import a tradebook with `portfolio import FILE`")
    c, t = report.currency, report.totals
    lines = [f"{report.name} · as of {report.as_of} · {len(report.transactions)} transactions"]
    for row in report.holdings.itertuples(index=False):
        if row.qty > 0:
            lines.append(f"  {row.symbol:<14} {row.qty:>10g} × {_money(row.price, c):>14} = {_money(row.value, c):>16}"
                         f"  unrealised {_money(row.unrealised, c)}  realised {_money(row.realised, c)}")
        else:
            lines.append(f"  {row.symbol:<14} {'closed':>10}  realised {_money(row.realised, c)}")
    xirr = "—" if not math.isfinite(t["xirr"]) else f"{t['xirr'] * 100:.2f}%"
    lines += [f"value {_money(t['value'], c)} · invested {_money(t['invested'], c)} · "
              f"unrealised {_money(t['unrealised'], c)} · realised {_money(t['realised'], c)} · "
              f"dividends {_money(t['dividends'], c)} · XIRR {xirr} (annual, ACT/365)",
              f"today {_money(t['day_change'], c)} ({t['day_change_pct'] * 100:+.2f}%)"]
    if not report.allocation.empty:
        by_sector = allocation_by(report.allocation, "sector")
        lines.append("sectors: " + ", ".join(f"{r.sector} {r.weight * 100:.1f}%" for r in by_sector.itertuples()))
    if report.demo_symbols:
        lines.append(f"demo data (not market prices): {', '.join(report.demo_symbols)}")
    lines += [f"note: {n}" for n in report.notices]
    return "\n".join(lines)


def cmd_show(args: argparse.Namespace) -> int:
    report = build_report(open_db(), args.portfolio, **_provider(args))
    emit(report.as_dict(), args.json, _show_text(report))
    return 0


def cmd_transactions(args: argparse.Namespace) -> int:
    frame = transactions_table(open_db(), args.portfolio)
    records = [{k: v for k, v in r.items() if v is not None and v == v} for r in frame.to_dict(orient="records")]
    text = "\n".join(f"{r['id']:>5}  {r['trade_date']}  {r['kind']:<8} {r['symbol']:<14} qty {r['qty']:g} "
                     f"@ {r['price']:g}  fees {r['fees']:g}" for r in records) or "no transactions"
    emit(records, args.json, text)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    n = remove_transactions(open_db(), args.ids, args.portfolio)
    emit({"deleted": n}, args.json, f"{n} transaction(s) deleted")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from engine.tearsheet import tearsheet_html

    db, sync = open_db(), _provider(args)
    report = build_report(db, args.portfolio, **sync)
    if report.is_empty:
        raise DataError(f"portfolio {args.portfolio} has no transactions yet; nothing to report")
    symbol = args.benchmark if args.benchmark is not None else report.benchmark
    bench = benchmark_prices(db, symbol, report.series.index[0].date(), **sync) if symbol else None
    html = tearsheet_html(report.nav, bench, f"Portfolio {report.name}", currency=report.currency,
                          benchmark_name=symbol if bench is not None else None)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    emit({"out": str(out), "bytes": len(html.encode()), "benchmark": symbol if bench is not None else None},
         args.json, f"tear sheet written to {out}" + ("" if bench is not None else " (no benchmark prices)"))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `portfolio …` to the CLI."""
    portfolio = subparsers.add_parser("portfolio", help="holdings and transactions: import, add, show, report")
    sub = portfolio.add_subparsers(dest="portfolio_command", required=True, parser_class=type(portfolio))

    def command(name: str, func: Any, help_: str, sync: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--portfolio", default=DEFAULT_PORTFOLIO, help="portfolio name (default Main)")
        if sync:
            p.add_argument("--no-sync", action="store_true", help="do not fetch prices for symbols without stored bars")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=func)
        return p

    p = command("import", cmd_import, "import a Zerodha/Upstox tradebook or a generic CSV (re-importing adds nothing)")
    p.add_argument("file", help="CSV file; format detected from its header")
    p = command("add", cmd_add, "add one transaction")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--symbol", required=True, help="Yahoo-style symbol, e.g. INFY.NS")
    p.add_argument("--date", required=True, help="trade date, e.g. 2024-01-05 (not in the future)")
    p.add_argument("--qty", type=float, default=0.0, help="shares (buy/sell; dividend: shares held)")
    p.add_argument("--price", type=float, default=0.0, help="price per share (dividend: per-share dividend)")
    p.add_argument("--fees", type=float, default=0.0, help="brokerage and taxes (dividend: TDS)")
    p.add_argument("--amount", type=float, default=0.0, help="dividend cash received (instead of qty × price)")
    p.add_argument("--ratio", help="split 1:5 (1 share becomes 5) or bonus 1:1 (held:new shares)")
    p.add_argument("--note", help="free text")
    command("show", cmd_show, "holdings, P&L, XIRR and allocation", sync=True)
    command("transactions", cmd_transactions, "list the transactions, newest first")
    p = command("delete", cmd_delete, "delete transactions by id")
    p.add_argument("ids", nargs="+", type=int, help="transaction ids (see `portfolio transactions`)")
    p = command("report", cmd_report, "HTML tear sheet of the time-weighted NAV vs a benchmark", sync=True)
    p.add_argument("--out", default="portfolio_report.html", help="HTML file to write (default portfolio_report.html)")
    p.add_argument("--benchmark", help="benchmark symbol (default ^NSEI for INR portfolios; '' for none)")
