"""News commands: `news fetch` (fetch, score and index headlines) and `news list` (stored headlines with sentiment)."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from engine.__main__ import emit
from engine.cli.data_cmd import open_db
from engine.config import get_settings
from engine.data.instruments import normalise_symbol
from engine.errors import DataError, ProviderOffline

LABELS = ("positive", "negative", "neutral")


def _symbols(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [normalise_symbol(s) for s in text.split(",") if s.strip()]


def cmd_fetch(args: argparse.Namespace) -> int:
    from engine.sentiment.news import fetch_news

    def progress(done: int, total: int, what: str) -> None:
        if not args.json:
            sys.stderr.write(f"[{done}/{total}] {what}\n")

    report = fetch_news(open_db(), get_settings(), _symbols(args.symbols), progress=progress)
    lines = [f"{report.status}: {report.summary()}"]
    lines += [f"  {source}: {error}" for source, error in report.errors.items()]
    if report.indexed:
        lines.append("  index rebuilt for " + ", ".join(report.indexed))
    emit(report.as_dict(), args.json, "\n".join(lines))
    if report.status == "offline":
        raise ProviderOffline("offline — no news source reachable; stored news kept")
    return 0


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.drop(columns=["summary"]).copy()
    out["published_at"] = out["published_at"].map(lambda t: t.isoformat())
    return [{k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}
            for row in out.to_dict(orient="records")]


def cmd_list(args: argparse.Namespace) -> int:
    from engine.sentiment.news import model_label
    from storage.news import list_news

    if args.limit < 1:
        raise DataError("--limit must be at least 1")
    symbol = normalise_symbol(args.symbol) if args.symbol else None
    frame = list_news(open_db(), symbol=symbol, source=args.source, label=args.label, search=args.search,
                      limit=args.limit)
    lines = []
    for row in frame.itertuples(index=False):
        when = row.published_at.tz_convert("Asia/Kolkata").strftime("%d %b %H:%M IST")
        tone = "unscored" if row.label is None else f"{row.label:<8} {row.score:+.2f} {model_label(row.model)}"
        lines.append(f"{when}  {tone:<44} {row.symbols or '-':<14} {row.title}")
    text = "\n".join(lines) if lines else "no stored news" + (f" for {symbol}" if symbol else "") + \
        " — run `python -m engine news fetch`"
    emit(_records(frame), args.json, text)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `news fetch` and `news list` to the CLI."""
    news = subparsers.add_parser("news", help="news headlines and their sentiment")
    sub = news.add_subparsers(dest="news_command", required=True, parser_class=type(news))
    p = sub.add_parser("fetch", help="fetch Yahoo and feed news, score it and rebuild the sentiment index")
    p.add_argument("--symbols", help="comma-separated symbols for Yahoo news (default: the watchlist)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_fetch)
    p = sub.add_parser("list", help="stored headlines, newest first, with sentiment")
    p.add_argument("--symbol", help="only news tagged with this symbol, e.g. RELIANCE.NS")
    p.add_argument("--source", help="only this source, e.g. 'Yahoo Finance'")
    p.add_argument("--label", choices=LABELS, help="only items scored with this label")
    p.add_argument("--search", help="text in the title or summary")
    p.add_argument("--limit", type=int, default=20, help="how many headlines (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)
