"""Bar validation and repair: NaNs, bad OHLC, duplicates, split-like jumps, calendar gaps and stray bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engine.data.calendars import calendar_code, sessions
from engine.data.instruments import instrument_for
from engine.data.providers.base import BAR_COLUMNS, Provider, is_intraday
from engine.errors import DataError, QuantdeskError
from storage.candles import DEMO, coverage, delete_candles, load_candles, upsert_candles
from storage.db import transaction

if TYPE_CHECKING:
    from sqlalchemy import Engine

PRICES = ("open", "high", "low", "close", "adj_close")
JUMP_THRESHOLD = 0.35  # |close/prev_close - 1| above this is suspicious …
JUMP_ADJ_MISMATCH = np.log(1.25)  # … when adj_close moved by a ratio this different
KINDS = ("unsorted", "duplicate_ts", "nan", "non_positive", "ohlc_inconsistent", "non_session_bar",
         "split_like_jump", "gap")
FIXABLE = {"unsorted", "duplicate_ts", "nan", "non_positive", "ohlc_inconsistent", "non_session_bar"}


@dataclass(frozen=True)
class Issue:
    """One defect: `kind` (see KINDS), the bar time it concerns (None for the whole series)."""

    kind: str
    ts: pd.Timestamp | None
    message: str
    fixable: bool

    def as_dict(self) -> dict:
        return {"kind": self.kind, "ts": None if self.ts is None else self.ts.isoformat(),
                "message": self.message, "fixable": self.fixable}


@dataclass
class ValidationReport:
    """Issues found in one symbol's bars; after a repair, `fixed`, `refilled` and `remaining` too."""

    symbol: str
    interval: str
    bars: int
    issues: list[Issue] = field(default_factory=list)
    fixed: int = 0
    refilled: int = 0
    remaining: list[Issue] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.issues if self.remaining is None else self.remaining)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for issue in self.issues:
            out[issue.kind] = out.get(issue.kind, 0) + 1
        return out

    def as_dict(self) -> dict:
        return {"symbol": self.symbol, "interval": self.interval, "bars": self.bars, "ok": self.ok,
                "counts": self.counts(), "fixed": self.fixed, "refilled": self.refilled,
                "issues": [i.as_dict() for i in self.issues],
                "remaining": None if self.remaining is None else [i.as_dict() for i in self.remaining],
                "notes": self.notes}


def _day(ts: pd.Timestamp) -> str:
    return str(ts.date())


def _row_issues(bars: pd.DataFrame) -> list[Issue]:
    issues: list[Issue] = []
    values = bars[list(BAR_COLUMNS)]
    nan = values.isna().any(axis=1)
    for ts in bars.index[nan]:
        cols = [c for c in BAR_COLUMNS if pd.isna(bars.at[ts, c])] if bars.index.is_unique else []
        issues.append(Issue("nan", ts, f"{_day(ts)}: missing value in {', '.join(cols) or 'a column'}", True))
    prices = bars[list(PRICES)]
    bad = ((prices <= 0).any(axis=1) | (bars["volume"] < 0)) & ~nan
    for ts in bars.index[bad]:
        issues.append(Issue("non_positive", ts, f"{_day(ts)}: a price is zero or negative, or volume < 0", True))
    o, h, low, c = (bars[k] for k in ("open", "high", "low", "close"))
    wrong = ((h < np.maximum(o, c)) | (low > np.minimum(o, c)) | (h < low)) & ~nan & ~bad
    for ts in bars.index[wrong]:
        row = bars.loc[ts]
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        issues.append(Issue("ohlc_inconsistent", ts,
                            f"{_day(ts)}: high {row.high} / low {row.low} do not contain open {row.open} "
                            f"and close {row.close}", True))
    return issues


def _jump_issues(bars: pd.DataFrame) -> list[Issue]:
    ratio = bars["close"] / bars["close"].shift(1)
    adj_ratio = bars["adj_close"] / bars["adj_close"].shift(1)
    jump = (ratio - 1).abs() > JUMP_THRESHOLD
    mismatch = (np.log(ratio / adj_ratio)).abs() > JUMP_ADJ_MISMATCH
    return [Issue("split_like_jump", ts, f"{_day(ts)}: close moved {ratio[ts] - 1:+.0%} while adj_close moved "
                  f"{adj_ratio[ts] - 1:+.0%} (a split or bad price?); research should use adjusted prices",
                  False) for ts in bars.index[jump & mismatch]]


def _session_dates(symbol: str, index: pd.DatetimeIndex, interval: str) -> pd.DatetimeIndex:
    """Exchange-local date of each bar, as 00:00 UTC labels."""
    if not is_intraday(interval):
        return index.normalize()
    local = index.tz_convert(instrument_for(symbol).timezone).tz_localize(None).normalize()
    return local.tz_localize("UTC")


def _calendar_issues(bars: pd.DataFrame, symbol: str, interval: str) -> list[Issue]:
    if bars.empty or interval == "1wk":
        return []
    days = _session_dates(symbol, bars.index, interval)
    expected = sessions(symbol, days.min(), days.max())
    stray = ~days.isin(expected)
    issues = [Issue("non_session_bar", ts, f"{ts}: bar on {_day(d)}, not a {calendar_code(symbol)} session "
                    "(weekend or holiday)", True) for ts, d in zip(bars.index[stray], days[stray])]
    if interval != "1d":
        return issues
    missing = expected.difference(days)
    if len(missing):
        # one issue per run of consecutive missing sessions
        pos = expected.get_indexer(missing)
        runs = np.split(missing, np.flatnonzero(np.diff(pos) > 1) + 1)
        for run in runs:
            text = _day(run[0]) if len(run) == 1 else f"{_day(run[0])} … {_day(run[-1])}"
            issues.append(Issue("gap", run[0], f"{len(run)} session(s) missing: {text}", False))
    return issues


def validate_bars(bars: pd.DataFrame, symbol: str, interval: str = "1d") -> ValidationReport:
    """Check bars for every kind in KINDS; gaps use the exchange calendar (daily bars only).

    Returns a report; nothing is changed. `split_like_jump` flags |close/prev - 1| > 35% where
    adj_close did not move alike (bars without real adjustments, adj_close == close, never flag).
    """
    report = ValidationReport(symbol, interval, len(bars))
    if bars.empty:
        return report
    if not bars.index.is_monotonic_increasing:
        report.issues.append(Issue("unsorted", None, "bars are not in time order", True))
    dup = bars.index.duplicated(keep="last")
    report.issues += [Issue("duplicate_ts", ts, f"{ts}: more than one bar (the last is kept)", True)
                      for ts in bars.index[dup]]
    report.issues += _row_issues(bars)
    unique = bars[~dup].sort_index()
    usable = unique[unique[list(BAR_COLUMNS)].notna().all(axis=1) & (unique[list(PRICES)] > 0).all(axis=1)]
    report.issues += _jump_issues(usable)
    report.issues += _calendar_issues(unique, symbol, interval)  # a bad bar is not also a gap
    return report


def repair_bars(bars: pd.DataFrame, report: ValidationReport) -> tuple[pd.DataFrame, list[Issue]]:
    """Apply the fixable repairs: sort, keep the last of duplicates, drop NaN / non-positive rows and
    non-session bars, widen high/low to contain open and close. Returns (bars, remaining issues);
    gaps and jumps are reported, never invented away."""
    out = bars[~bars.index.duplicated(keep="last")].sort_index()
    kinds = {i.kind for i in report.issues}
    if "nan" in kinds:
        out = out[out[list(BAR_COLUMNS)].notna().all(axis=1)]
    if "non_positive" in kinds:
        out = out[(out[list(PRICES)] > 0).all(axis=1) & (out["volume"] >= 0)]
    if "non_session_bar" in kinds:
        stray = {i.ts for i in report.issues if i.kind == "non_session_bar"}
        out = out[~out.index.isin(list(stray))]
    if "ohlc_inconsistent" in kinds:
        out = out.copy()
        ohlc = out[["open", "high", "low", "close"]]
        out["high"], out["low"] = ohlc.max(axis=1), ohlc.min(axis=1)
    after = validate_bars(out, report.symbol, report.interval)
    return out, after.issues


def _refill(provider: Provider, stored: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    """Bars from `provider` for the missing sessions only (never demo into real data or vice versa)."""
    present = set(stored["source"])
    if (provider.name == DEMO) != (present == {DEMO}):
        report.notes.append(f"gaps not refilled: {provider.name} bars are not mixed with {'+'.join(sorted(present))}")
        return stored.iloc[:0]
    missing = sessions(report.symbol, stored.index.min(), stored.index.max()).difference(stored.index)
    try:
        bars = provider.fetch(report.symbol, report.interval, start=missing.min(),
                              end=missing.max() + pd.Timedelta(days=1))
    except QuantdeskError as exc:
        report.notes.append(f"gaps not refilled: {exc}")
        return stored.iloc[:0]
    return bars[bars.index.isin(missing)]


def _store_repair(db_engine: Engine, stored: pd.DataFrame, repaired: pd.DataFrame, refill: pd.DataFrame,
                  provider_name: str, report: ValidationReport) -> None:
    """One transaction: delete dropped bars, rewrite changed ones (per source), add refilled ones."""
    dropped = stored.index.difference(repaired.index)
    same = repaired.index.intersection(stored.index)
    old, new = stored.loc[same, list(BAR_COLUMNS)], repaired.loc[same, list(BAR_COLUMNS)]
    changed = new[(old != new).any(axis=1)]
    with transaction(db_engine) as s:
        if len(dropped):
            delete_candles(s, report.symbol, report.interval, timestamps=list(dropped))
        for source, rows in changed.groupby(stored.loc[changed.index, "source"]):
            upsert_candles(s, report.symbol, report.interval, rows, str(source))
        if not refill.empty:
            upsert_candles(s, report.symbol, report.interval, refill, provider_name)
    report.fixed = len(dropped) + len(changed)
    report.refilled = len(refill)


def validate_symbols(
    db_engine: Engine, symbols: Sequence[str] | None = None, interval: str = "1d", fix: bool = False,
    provider: Provider | None = None,
) -> list[ValidationReport]:
    """Validate stored bars (all stored symbols of `interval` when `symbols` is None).

    fix=True applies repair_bars and writes the result in one transaction per symbol; with a
    `provider`, daily gaps are refilled from it. Each report then has `fixed`, `refilled` and
    `remaining` (issues left after the repair). Raises DataError for a symbol with no stored bars.
    """
    if symbols is None:
        cov = coverage(db_engine)
        symbols = cov.loc[cov["interval"] == interval, "symbol"].tolist()
    reports = []
    for symbol in symbols:
        stored = load_candles(db_engine, symbol, interval)
        if stored.empty:
            raise DataError(f"no {interval} bars stored for {symbol}; sync or import them first")
        report = validate_bars(stored, symbol, interval)
        if fix and report.issues:
            repaired, _ = repair_bars(stored, report)
            has_gaps = any(i.kind == "gap" for i in report.issues)
            refill = _refill(provider, stored, report) if provider is not None and has_gaps else stored.iloc[:0]
            _store_repair(db_engine, stored, repaired, refill, provider.name if provider else "", report)
            report.remaining = validate_bars(load_candles(db_engine, symbol, interval), symbol, interval).issues
        reports.append(report)
    return reports
