"""Cell parsing for CSV import: numbers with either decimal mark, and dates in many layouts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_JUNK = r"[\s\u00a0\u202f'₹$€£]"
_COMMA_DECIMAL = re.compile(r"^-?\d+,(\d{1,2}|\d{4,})$")
_DOT_DECIMAL = re.compile(r"\.(?:\d{1,2}|\d{4,})$")
_SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9, "CR": 1e7, "L": 1e5}
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T](.*))?$")


def uses_decimal_comma(cells: pd.Series) -> bool:
    """True when the numbers are written 1.234,5 (decimal comma) rather than 1,234.5.

    The first cell holding both marks decides (the later mark is the decimal one); otherwise a
    comma followed by other than three digits ("1234,5") means a decimal comma; default: dot.
    """
    both = cells[cells.str.contains(",", regex=False) & cells.str.contains(".", regex=False)]
    if len(both):
        first = both.iloc[0]
        return first.rfind(",") > first.rfind(".")
    comma = cells.str.match(_COMMA_DECIMAL).any()
    dot = cells.str.contains(_DOT_DECIMAL).any()
    return bool(comma and not dot)


def parse_numbers(raw: dict[str, pd.Series]) -> tuple[dict[str, np.ndarray], list[str]]:
    """Float arrays per column (NaN where a cell is empty or not a number) and notes on the format."""
    cleaned = {c: s.fillna("").astype(str).str.replace(_JUNK, "", regex=True) for c, s in raw.items()}
    every = pd.concat(list(cleaned.values()), ignore_index=True)
    comma = uses_decimal_comma(every[every != ""])
    notes = ["numbers read with a decimal comma (1.234,5)"] if comma else []
    out = {}
    for col, cells in cleaned.items():
        if comma:
            cells = cells.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            cells = cells.str.replace(",", "", regex=False)
        factor = pd.Series(1.0, index=cells.index)
        if col == "volume":  # 12.5M, 3.2K, 1.1Cr
            suffix = cells.str.upper().str.extract(r"(K|M|B|CR|L)$", expand=False)
            factor = suffix.map(_SUFFIX).fillna(1.0).astype(float)
            cells = cells.str.replace(r"(?i)(K|M|B|CR|L)$", "", regex=True)
        out[col] = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float) * factor.to_numpy()
    return out, notes


def _clock(times: pd.Series) -> pd.TimedeltaIndex:
    text = times.fillna("").str.strip()
    text = text.where(~text.str.fullmatch(r"\d{1,2}:\d{2}"), text + ":00")
    return pd.to_timedelta(text.where(text != "", "00:00:00"), errors="coerce")


def _dmy(cells: pd.Series) -> tuple[pd.Series, list[str]]:
    """dd-mm-yyyy / dd/mm/yyyy (Indian) or mm/dd/yyyy when a middle number exceeds 12."""
    parts = cells.str.extract(_DMY)
    a, b = pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")
    month_first = bool((b > 12).any()) and not bool((a > 12).any())
    notes = []
    if not (a > 12).any() and not (b > 12).any():
        notes.append("dates such as 03-04-2024 were read day first (dd-mm-yyyy)")
    day, month = (b, a) if month_first else (a, b)
    year = pd.to_numeric(parts[2], errors="coerce")
    year = year.where(year >= 100, 2000 + year.where(year < 70, year - 100))
    dates = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
    )
    return dates + _clock(parts[3]), notes


def _to_utc_labels(ts: pd.Series, daily: bool, tz: str) -> pd.Series:
    """Naive local or aware timestamps → UTC; daily ones → 00:00 UTC of their local date."""
    if ts.dt.tz is None:
        if daily:
            return ts.dt.normalize().dt.tz_localize("UTC")
        return ts.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    if daily:
        return ts.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize().dt.tz_localize("UTC")
    return ts.dt.tz_convert("UTC")


def _naive(cells: pd.Series) -> pd.Series:
    return pd.to_datetime(cells, format="ISO8601", errors="coerce")


def _numeric(text: pd.Series, daily: bool, tz: str) -> tuple[pd.Series, list[str]]:
    """yyyymmdd, or epoch seconds / milliseconds (decided on the median)."""
    values = pd.to_numeric(text, errors="coerce")
    if values.between(19000101, 21001231).all():
        return _to_utc_labels(pd.to_datetime(text, format="%Y%m%d", errors="coerce"), daily, tz), []
    unit = "ms" if values.median() > 1e11 else "s"
    ts = pd.to_datetime(values, unit=unit, utc=True, errors="coerce")
    return _to_utc_labels(ts, daily, tz), [f"dates read as epoch {'milliseconds' if unit == 'ms' else 'seconds'}"]


def _iso(text: pd.Series, daily: bool, tz: str) -> pd.Series:
    text = text.str.replace(r"^(\d{4})/(\d{1,2})/(\d{1,2})", r"\1-\2-\3", regex=True)
    if daily:  # the date as written, whatever the time or offset
        return _to_utc_labels(_naive(text.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})", expand=False)), True, tz)
    aware = text.str.contains(_OFFSET)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if aware.any():
        out[aware] = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
    if (~aware).any():
        out[~aware] = _to_utc_labels(_naive(text[~aware]), False, tz)
    return out


def _worded(text: pd.Series, daily: bool, tz: str) -> pd.Series:
    """Month names and anything else pandas can read (02-Jan-2024, Jan 2, 2024, 2 January 2024)."""
    ts = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    for i, cell in text.items():
        try:
            value = pd.Timestamp(pd.to_datetime(cell, dayfirst=True))
        except (ValueError, TypeError, OverflowError):
            continue
        if value.tz is None:
            value = _to_utc_labels(pd.Series([value]), daily, tz).iloc[0]
        else:
            value = _to_utc_labels(pd.Series([value]).dt.tz_convert("UTC"), daily, tz).iloc[0]
        ts[i] = value
    return ts


def parse_dates(cells: pd.Series, daily: bool, tz: str) -> tuple[pd.Series, list[str]]:
    """UTC timestamps (NaT where unreadable) and notes on how dates were read.

    Accepts ISO (2024-01-02, 2024-01-02T09:15:00+05:30), dd-mm-yyyy / dd/mm/yyyy / dd.mm.yy,
    yyyymmdd, epoch seconds or milliseconds, and month names (02-Jan-2024, Jan 2, 2024).
    Each cell is read by the layout it matches; times without an offset are in `tz`; daily bars
    keep the date as written.
    """
    text = cells.fillna("").astype(str).str.strip().reset_index(drop=True)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    notes: list[str] = []
    numeric = text.str.fullmatch(r"\d+(?:\.\d+)?")
    iso = text.str.match(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}") & ~numeric
    dmy = text.str.match(_DMY) & ~numeric & ~iso
    rest = (text != "") & ~numeric & ~iso & ~dmy
    if numeric.any():
        out[numeric], more = _numeric(text[numeric], daily, tz)
        notes += more
    if iso.any():
        out[iso] = _iso(text[iso], daily, tz)
    if dmy.any():
        ts, more = _dmy(text[dmy])
        out[dmy] = _to_utc_labels(ts, daily, tz)
        notes += more
    if rest.any():
        out[rest] = _worded(text[rest], daily, tz)
    out.index = cells.index
    return out, notes
