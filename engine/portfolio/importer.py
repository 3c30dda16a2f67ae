"""Broker tradebook import: Zerodha Console, Upstox trade reports and a generic CSV, detected from the headers.

Accepted files (header names are matched case-insensitively; spaces, dashes and underscores alike):

- **Zerodha Console tradebook**: symbol, isin, trade_date, exchange, segment, series, trade_type
  (buy/sell), auction, quantity, price, trade_id, order_id, order_execution_time. Needed:
  symbol, trade_date, trade_type, quantity, price, trade_id.
- **Upstox trade report**: Date, Company, Amount, Exchange, Segment, Scrip Code, Instrument Type,
  Strike Price, Expiry, Trade Num, Trade Time, Side, Quantity, Price. Needed: Date, Scrip Code,
  Side, Quantity, Price, Trade Num. The Scrip Code is the NSE symbol or the BSE code (500325 → 500325.BO).
- **Generic CSV**: date, symbol, side (or kind: buy, sell, dividend, split, bonus), qty, price, and
  optionally fees, amount (dividend cash), ratio (split 1:5 / bonus 1:1), trade_id, exchange
  (NSE/BSE, to map RELIANCE → RELIANCE.NS), currency, note. Symbols are Yahoo tickers otherwise.

Broker symbols map to Yahoo tickers (NSE → .NS, BSE → .BO). Rows of other segments (F&O,
currency, commodity) are skipped and listed. Re-importing is idempotent: Zerodha/Upstox rows are
keyed by date, exchange and trade id; generic rows by their trade_id, else by their content (and
how often that content repeats in the file). Any unreadable row fails the whole import naming its
line, and the rest is written in one database transaction, so nothing is ever half-imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from engine.errors import DataError
from engine.portfolio import cells
from engine.portfolio.service import DEFAULT_PORTFOLIO, record_transactions
from engine.portfolio.transactions import Transaction, parse_ratio

if TYPE_CHECKING:
    from sqlalchemy import Engine

Row = dict[str, str]
REQUIRED = {
    "zerodha": ("symbol", "trade_date", "trade_type", "quantity", "price", "trade_id"),
    "upstox": ("date", "scrip_code", "side", "quantity", "price", "trade_num"),
    "generic": ("date", "symbol", "side", "qty", "price"),
}
ALIASES = {  # generic CSV: accepted header → canonical name
    "trade_date": "date", "ticker": "symbol", "kind": "side", "type": "side", "action": "side",
    "transaction_type": "side", "quantity": "qty", "shares": "qty", "rate": "price", "charges": "fees",
    "brokerage": "fees", "commission": "fees", "notes": "note", "id": "trade_id",
}
FORMAT_HINT = ("expected a Zerodha tradebook (symbol, trade_date, trade_type, quantity, price, trade_id), an "
               "Upstox trade report (Date, Scrip Code, Side, Quantity, Price, Trade Num) or a generic CSV "
               "(date, symbol, side, qty, price[, fees])")


@dataclass(frozen=True)
class RowProblem:
    line: int  # line of the file (the header is line 1)
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Tradebook:
    """A parsed file: its format, the transactions read (with their lines), row errors and skipped rows."""

    format: str
    transactions: list[Transaction] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """The transactions read, for a preview."""
        return pd.DataFrame([{"line": n, "date": t.trade_date, "symbol": t.symbol, "kind": t.kind, "qty": t.qty,
                              "price": t.price, "fees": t.fees, "amount": t.amount, "trade_id": t.external_id}
                             for n, t in zip(self.lines, self.transactions)],
                            columns=["line", "date", "symbol", "kind", "qty", "price", "fees", "amount", "trade_id"])


@dataclass(frozen=True)
class ImportResult:
    format: str
    rows: int  # transactions read from the file
    added: int
    duplicates: int  # already stored (re-import)
    skipped: list[RowProblem]

    def as_dict(self) -> dict:
        return {"format": self.format, "rows": self.rows, "added": self.added, "duplicates": self.duplicates,
                "skipped": [str(s) for s in self.skipped]}


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def detect_format(headers: list[str]) -> str:
    """'zerodha', 'upstox' or 'generic' from normalised header names; raises DataError otherwise."""
    keys = set(headers)
    if {"trade_type", "trade_id"} <= keys:
        return "zerodha"
    if {"trade_num", "scrip_code"} <= keys or {"trade_num", "company", "side"} <= keys:
        return "upstox"
    generic = {ALIASES.get(k, k) for k in keys}
    if {"date", "symbol", "side"} <= generic:
        return "generic"
    raise DataError(f"unrecognised columns ({', '.join(headers) or 'none'}); {FORMAT_HINT}")


def _zerodha(row: Row, seq: Callable[[str], int]) -> Transaction | None:
    segment = row.get("segment", "").strip().upper()
    if segment not in cells.EQUITY_SEGMENTS:
        raise _Skip(f"segment {segment} is not equity delivery; left out")
    exchange = row.get("exchange", "").strip().upper() or "NSE"
    symbol = cells.yahoo_symbol(row["symbol"], exchange, row.get("series", ""))
    day = cells.parse_date(row["trade_date"], "trade_date")
    trade_id = row["trade_id"].strip()
    if not trade_id:
        raise DataError("trade_id is empty")
    return Transaction(day, symbol, cells.side(row["trade_type"]), cells.number(row["quantity"], "quantity"),
                       cells.number(row["price"], "price"), source="zerodha",
                       external_id=f"{day:%Y%m%d}:{exchange}:{trade_id}",
                       executed_at=cells.local_time(day, row.get("order_execution_time", ""), cells.timezone_of(symbol)),
                       note=f"order {row['order_id'].strip()}" if row.get("order_id", "").strip() else "")


def _upstox(row: Row, seq: Callable[[str], int]) -> Transaction | None:
    segment = row.get("segment", "").strip().upper()
    kind = row.get("instrument_type", "").strip().upper()
    if segment not in cells.EQUITY_SEGMENTS or kind not in cells.EQUITY_SEGMENTS:
        raise _Skip(f"{kind if kind not in cells.EQUITY_SEGMENTS else segment} is not equity delivery; left out")
    exchange = row.get("exchange", "").strip().upper() or "NSE"
    symbol = cells.yahoo_symbol(row.get("scrip_code") or row.get("company", ""), exchange)
    day = cells.parse_date(row["date"])
    trade_num = row["trade_num"].strip()
    if not trade_num:
        raise DataError("Trade Num is empty")
    return Transaction(day, symbol, cells.side(row["side"]), cells.number(row["quantity"], "quantity"),
                       cells.number(row["price"], "price"), source="upstox",
                       external_id=f"{day:%Y%m%d}:{exchange}:{trade_num}",
                       executed_at=cells.local_time(day, row.get("trade_time", ""), cells.timezone_of(symbol)))


def _generic(row: Row, seq: Callable[[str], int]) -> Transaction | None:
    symbol = cells.yahoo_symbol(row["symbol"], row.get("exchange", ""))
    day = cells.parse_date(row["date"])
    kind = cells.side(row["side"])
    ratio = parse_ratio(row["ratio"]) if row.get("ratio", "").strip() else (None, None)
    values = {"qty": cells.number(row.get("qty", ""), "qty", required=kind in ("buy", "sell")),
              "price": cells.number(row.get("price", ""), "price", required=kind in ("buy", "sell")),
              "fees": cells.number(row.get("fees", ""), "fees", required=False),
              "amount": cells.number(row.get("amount", ""), "amount", required=False)}
    trade_id = row.get("trade_id", "").strip()
    if not trade_id:  # content key + its occurrence: re-importing the file adds nothing
        content = "|".join([str(day), symbol, kind, *(f"{v:.10g}" for v in values.values()), row.get("ratio", "")])
        digest = hashlib.sha1(content.encode()).hexdigest()[:16]
        trade_id = f"row:{digest}:{seq(digest)}"
    return Transaction(day, symbol, kind, **values, ratio_from=ratio[0], ratio_to=ratio[1], source="csv",
                       external_id=trade_id, currency=row.get("currency", "").strip().upper(),
                       note=row.get("note", "").strip(),
                       executed_at=cells.local_time(day, row.get("time", ""), cells.timezone_of(symbol)))


class _Skip(Exception):  # noqa: N818 - a row deliberately left out, not an error
    pass


PARSERS = {"zerodha": _zerodha, "upstox": _upstox, "generic": _generic}


def read_tradebook(data: bytes | str) -> Tradebook:
    """Parse a tradebook file (bytes or text) without storing anything.

    Raises DataError when the header matches no known format or lacks a needed column; problems
    in single rows are collected in `errors` (with their line) instead.
    """
    text = _decode(data)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DataError(f"the file is empty; {FORMAT_HINT}")
    try:
        dialect = csv.Sniffer().sniff(next(line for line in lines if line.strip()), delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next((r for r in reader if any(c.strip() for c in r)), [])
    keys = [cells.header_key(h) for h in header]
    fmt = detect_format(keys)
    if fmt == "generic":
        keys = [ALIASES.get(k, k) for k in keys]
    missing = [c for c in REQUIRED[fmt] if c not in keys]
    if missing:
        raise DataError(f"this {fmt} file lacks the column(s) {', '.join(missing)}; {FORMAT_HINT}")
    book = Tradebook(fmt)
    counts: dict[str, int] = {}

    def seq(key: str) -> int:
        counts[key] = counts.get(key, 0) + 1
        return counts[key]

    for cells_ in reader:
        if not any(c.strip() for c in cells_):
            continue
        row = {k: cells_[i].strip() if i < len(cells_) else "" for i, k in enumerate(keys)}
        try:
            book.transactions.append(PARSERS[fmt](row, seq))
            book.lines.append(reader.line_num)
        except _Skip as skip:
            book.skipped.append(RowProblem(reader.line_num, str(skip)))
        except DataError as exc:
            book.errors.append(RowProblem(reader.line_num, str(exc)))
    return book


def import_tradebook(db: Engine, data: bytes | str, portfolio: str = DEFAULT_PORTFOLIO,
                     today: date | None = None) -> ImportResult:
    """Read a tradebook and store its new transactions in `portfolio`, all or nothing.

    Raises DataError (storing nothing) when any row is unreadable (naming the lines), when no
    trade is found, when a date is in the future or when a sale exceeds the shares held.
    """
    book = read_tradebook(data)
    if book.errors:
        shown = "; ".join(str(e) for e in book.errors[:5]) + ("; …" if len(book.errors) > 5 else "")
        raise DataError(f"{len(book.errors)} row(s) could not be read, nothing was imported: {shown}")
    if not book.transactions:
        raise DataError("no trades found in the file" + (f" ({len(book.skipped)} row(s) skipped)" if book.skipped else ""))
    result = record_transactions(db, book.transactions, portfolio, today)
    return ImportResult(book.format, len(book.transactions), len(result.ids), result.duplicates, book.skipped)
