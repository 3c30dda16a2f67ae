"""CSV bars: header detection, Indian/European/US dates and numbers, row checks naming line numbers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import BinaryIO, TextIO

import numpy as np
import pandas as pd

from engine.data.instruments import instrument_for
from engine.data.providers.base import (
    BAR_COLUMNS,
    Provider,
    check_interval,
    empty_bars,
    finish_bars,
    is_intraday,
    to_utc,
)
from engine.data.providers.csv_values import parse_dates, parse_numbers
from engine.errors import DataError, UnknownSymbol

CsvSource = str | Path | bytes | BinaryIO | TextIO
# canonical column -> accepted header names (lower case, letters and digits only), best first
ALIASES: dict[str, tuple[str, ...]] = {
    "ts": ("date", "datetime", "timestamp", "ts", "dt", "day", "tradedate", "datum", "time"),
    "open": ("open", "o", "openprice", "opening"),
    "high": ("high", "h", "highprice"),
    "low": ("low", "l", "lowprice"),
    "close": ("close", "c", "closeprice", "closing", "last", "lastprice", "ltp", "price"),
    "adj_close": ("adjclose", "adjustedclose", "adjcloseprice", "adjcl", "adj"),
    "volume": ("volume", "v", "vol", "sharestraded", "totaltradedquantity", "qty", "quantity"),
}
REQUIRED = ("ts", "open", "high", "low", "close")
EXPECTED = "Date, Open, High, Low, Close (Adj Close and Volume optional)"


def _read_text(source: CsvSource) -> str:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"file not found: {path}; give the path of a CSV file")
        data: bytes | str = path.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return data.lstrip("\ufeff")


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", "\t", "|", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def detect_columns(headers: list[str]) -> dict[str, int]:
    """Map canonical columns (ts, open, …, volume, plus "time" when separate) to header positions.

    Raises DataError naming the expected and the found columns when a required one is missing.
    """
    keys = [_key(h) for h in headers]
    found: dict[str, int] = {}
    for canon, names in ALIASES.items():
        for name in names:
            if name in keys and keys.index(name) not in found.values():
                found[canon] = keys.index(name)
                break
    if found.get("ts") is not None and keys[found["ts"]] != "time" and "time" in keys:
        found["time"] = keys.index("time")  # separate Date and Time columns
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        shown = ", ".join(h.strip() for h in headers if h.strip()) or "none"
        names = ", ".join("date" if c == "ts" else c for c in missing)
        raise DataError(f"the file is missing columns {names}; expected {EXPECTED}; found: {shown}")
    return found


def _rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, fields) for each non-blank row."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise DataError("the file is empty; expected a header row such as Date,Open,High,Low,Close,Volume")
    delim = _delimiter(lines[first])
    reader = csv.reader(io.StringIO("\n".join(lines[first:])), delimiter=delim)
    header = next(reader)
    rows = []
    for fields in reader:
        if any(f.strip() for f in fields):
            rows.append((first + reader.line_num, fields))
    if not rows:
        raise DataError("the file has a header but no rows of data")
    return header, rows


def _row_checks(frame: pd.DataFrame, raw: dict[str, pd.Series]) -> pd.Series:
    """First problem of each row as text ("" when the row is fine)."""
    problem = pd.Series("", index=frame.index, dtype=object)

    def flag(mask: pd.Series, messages: pd.Series) -> None:
        todo = mask & (problem == "")
        problem[todo] = messages[todo]

    line = frame["line"].astype(str)
    flag(frame["ts"].isna(), "line " + line + ": cannot read date " + raw["ts"].map(repr))
    for col in ("open", "high", "low", "close"):
        empty = raw[col].str.strip() == ""
        flag(empty, "line " + line + f": {col} is empty")
        flag(frame[col].isna(), "line " + line + f": {col} " + raw[col].map(repr) + " is not a number")
        flag(frame[col] <= 0, "line " + line + f": {col} " + frame[col].astype(str) + " is not positive")
    if "volume" in raw:
        flag(frame["volume"].isna(), "line " + line + ": volume " + raw["volume"].map(repr) + " is not a number")
    flag(frame["volume"] < 0, "line " + line + ": volume " + frame["volume"].astype(str) + " is negative")
    h, lo = frame["high"], frame["low"]
    flag(h < lo, "line " + line + ": high " + h.astype(str) + " < low " + lo.astype(str))
    for col in ("open", "close"):
        flag(h < frame[col], "line " + line + ": high " + h.astype(str) + f" < {col} " + frame[col].astype(str))
        flag(lo > frame[col], "line " + line + ": low " + lo.astype(str) + f" > {col} " + frame[col].astype(str))
    return problem


def parse_csv(source: CsvSource, symbol: str | None = None, interval: str = "1d") -> tuple[pd.DataFrame, list[str]]:
    """Read bars from a CSV path, bytes or file object; returns (bars, problems).

    Bad rows are skipped and each is reported as "line N: …" in `problems`. Daily bars are labelled
    by the date written in the file (00:00 UTC); intraday times without an offset are read in the
    symbol's exchange time zone (UTC when no symbol is given). Raises DataError for a missing file,
    an empty file, missing required columns or a file without a single usable row.
    """
    check_interval(interval)
    tz = instrument_for(symbol).timezone if symbol else "UTC"
    header, rows = _rows(_read_text(source))
    cols = detect_columns(header)
    width = max(cols.values()) + 1
    problems: list[str] = []
    short = [(n, f) for n, f in rows if len(f) < width]
    problems += [f"line {n}: expected at least {width} fields, found {len(f)}" for n, f in short]
    rows = [(n, f) for n, f in rows if len(f) >= width]
    if not rows:
        raise DataError(f"no usable rows in the file: {'; '.join(problems[:3])}")
    lines = np.array([n for n, _ in rows])
    raw = {c: pd.Series([f[i] for _, f in rows], dtype=object) for c, i in cols.items()}
    stamps = raw["ts"] if "time" not in raw else raw["ts"].str.strip() + " " + raw.pop("time").str.strip()
    raw["ts"] = stamps
    ts, notes = parse_dates(stamps, daily=not is_intraday(interval), tz=tz)
    problems += notes
    numbers, notes = parse_numbers({c: raw[c] for c in BAR_COLUMNS if c in raw})
    problems += notes
    frame = pd.DataFrame({"line": lines, "ts": ts, **numbers})
    if "adj_close" not in frame:
        frame["adj_close"] = frame["close"]
    else:
        frame["adj_close"] = frame["adj_close"].fillna(frame["close"])
    if "volume" not in frame:
        frame["volume"] = 0.0
    else:
        blank = raw["volume"].str.strip().isin(["", "-"])
        frame.loc[blank, "volume"] = 0.0
        if blank.any():
            problems.append(f"volume is empty on {int(blank.sum())} rows; read as 0")
    problem = _row_checks(frame, raw)
    dup = frame["ts"].duplicated(keep="first") & (problem == "")
    first_line = frame.loc[~frame["ts"].duplicated(keep="first")].set_index("ts")["line"]
    for i in frame.index[dup]:
        when = frame.at[i, "ts"]
        shown = when.date() if not is_intraday(interval) else when
        problem[i] = f"line {frame.at[i, 'line']}: duplicate date {shown} (line {first_line[when]} kept)"
    problems += [p for p in problem if p]
    good = frame[problem == ""]
    if good.empty:
        raise DataError(f"no usable rows in the file: {'; '.join(problems[:3])}")
    return finish_bars(good.set_index("ts")), problems


class CsvProvider(Provider):
    """Bars from `<folder>/<SYMBOL>.csv` files (source "csv"); row problems land in `last_problems`."""

    name = "csv"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.last_problems: list[str] = []

    def fetch(
        self, symbol: str, interval: str = "1d", start: pd.Timestamp | str | None = None,
        end: pd.Timestamp | str | None = None, period: str | None = None,
    ) -> pd.DataFrame:
        """Bars of the symbol's file in [start, end); raises UnknownSymbol when there is no file."""
        path = self.folder / f"{symbol}.csv"
        if not path.is_file():
            raise UnknownSymbol(f"no CSV file for {symbol} in {self.folder}; expected {path.name}")
        bars, self.last_problems = parse_csv(path, symbol, interval)
        lo, hi = to_utc(start), to_utc(end)
        if lo is not None:
            bars = bars[bars.index >= lo]
        if hi is not None:
            bars = bars[bars.index < hi]
        return bars if not bars.empty else empty_bars()
