"""The dated charges schedule: load, validate and look up NSE/BSE rates per segment from a TOML file."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.errors import BacktestError, ConfigError

DEFAULT_SCHEDULE = Path(__file__).resolve().parents[1] / "data" / "charges_schedule.toml"
EXCHANGES = ("NSE", "BSE")
SEGMENTS = ("delivery", "intraday", "futures", "options")
CHARGE_SIDES = ("buy", "sell", "both")
GST_COMPONENTS = ("brokerage", "exchange", "sebi", "ipft", "dp")
_REQUIRED = ("stt_pct", "stt_side", "exchange_pct", "stamp_pct", "stamp_side")
_OPTIONAL = {"ipft_per_crore": 0.0, "dp_charge": 0.0, "stt_exercise_pct": 0.0}
_ENTRY_KEYS = ("effective", "source", "gst_pct", "gst_on", "sebi_per_crore", *EXCHANGES)


class ChargesError(BacktestError):
    """Charges asked for an unknown exchange, segment or side, or an impossible trade: report to the user."""


class ScheduleError(ConfigError):
    """The charges schedule file is missing or malformed: the user must fix the file."""


@dataclass(frozen=True)
class SegmentRates:
    """Rates for one exchange and segment from one schedule entry; rates are fractions (0.001 = 0.1 %)."""

    exchange: str
    segment: str
    effective: date
    stt: float
    stt_side: str
    exchange_txn: float
    stamp: float
    stamp_side: str
    sebi_per_crore: float
    gst: float
    gst_on: tuple[str, ...]
    ipft_per_crore: float = 0.0
    dp_charge: float = 0.0  # rupees per scrip per sell day (delivery)
    stt_exercise: float = 0.0  # options exercised: fraction of intrinsic value, buyer side
    source: str = ""


@dataclass(frozen=True)
class ChargesSchedule:
    """Every dated entry of a schedule file: {effective date: {(exchange, segment): SegmentRates}}."""

    path: str
    entries: dict[date, dict[tuple[str, str], SegmentRates]]

    @property
    def dates(self) -> list[date]:
        return sorted(self.entries)

    def entry_date(self, as_of: date | None = None) -> date:
        """Effective date of the entry in force on `as_of` (default today); raises ChargesError before the first."""
        day = as_of or date.today()
        usable = [d for d in self.dates if d <= day]
        if not usable:
            raise ChargesError(f"no charges schedule entry in force on {day}; the earliest takes effect "
                               f"{self.dates[0]} (file {self.path})")
        return usable[-1]

    def rates(self, exchange: str, segment: str, as_of: date | None = None) -> SegmentRates:
        """Rates of `exchange` ("NSE"/"BSE") and `segment` in force on `as_of` (default today)."""
        exchange, segment = check_exchange(exchange), check_segment(segment)
        return self.entries[self.entry_date(as_of)][(exchange, segment)]


def _hint(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1)
    return f" — did you mean {close[0]!r}?" if close else ""


def check_exchange(exchange: str) -> str:
    """'nse' → 'NSE'; raises ChargesError for an exchange the schedule does not cover."""
    name = str(exchange).strip().upper()
    if name not in EXCHANGES:
        raise ChargesError(f"unknown exchange {exchange!r}; use one of {', '.join(EXCHANGES)}")
    return name


def check_segment(segment: str) -> str:
    """'Delivery' → 'delivery'; raises ChargesError (with a did-you-mean hint) for an unknown segment."""
    name = str(segment).strip().lower()
    if name not in SEGMENTS:
        raise ChargesError(f"unknown segment {segment!r}; use one of {', '.join(SEGMENTS)}"
                           + _hint(name, SEGMENTS))
    return name


def _number(table: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = table.get(key, default)
    if value is None:
        raise ScheduleError(f"{where}: missing {key!r}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e6:
        raise ScheduleError(f"{where}: {key!r} must be a number >= 0, got {value!r}")
    return float(value)


def _side(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if value not in CHARGE_SIDES:
        raise ScheduleError(f"{where}: {key!r} must be one of {', '.join(CHARGE_SIDES)}, got {value!r}")
    return str(value)


def _unknown_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ScheduleError(f"{where}: unknown key {key!r}{_hint(key, allowed)}")


def _segment_rates(table: Any, common: dict[str, Any], where: str) -> SegmentRates:
    if not isinstance(table, dict):
        raise ScheduleError(f"{where}: missing table (every entry lists all {len(SEGMENTS)} segments)")
    _unknown_keys(table, (*_REQUIRED, *_OPTIONAL), where)
    for key in _REQUIRED:
        if key not in table:
            raise ScheduleError(f"{where}: missing {key!r}")
    pct = {k: _number(table, k, where) for k in ("stt_pct", "exchange_pct", "stamp_pct")}
    if max(pct.values()) >= 100:
        raise ScheduleError(f"{where}: percentage rates must be below 100 (0.1 means 0.1 %)")
    return SegmentRates(
        **common, stt=pct["stt_pct"] / 100, stt_side=_side(table, "stt_side", where),
        exchange_txn=pct["exchange_pct"] / 100, stamp=pct["stamp_pct"] / 100,
        stamp_side=_side(table, "stamp_side", where),
        ipft_per_crore=_number(table, "ipft_per_crore", where, 0.0),
        dp_charge=_number(table, "dp_charge", where, 0.0),
        stt_exercise=_number(table, "stt_exercise_pct", where, 0.0) / 100,
    )


def _entry(raw: Any, index: int, path: str) -> tuple[date, dict[tuple[str, str], SegmentRates]]:
    where = f"{path}: [[entry]] #{index + 1}"
    if not isinstance(raw, dict):
        raise ScheduleError(f"{where} is not a table")
    effective = raw.get("effective")
    if isinstance(effective, datetime) or not isinstance(effective, date):
        raise ScheduleError(f"{where}: 'effective' must be a date like 2024-10-01 (no quotes), got {effective!r}")
    where = f"{path}: entry effective {effective}"
    _unknown_keys(raw, _ENTRY_KEYS, where)
    gst_on = raw.get("gst_on")
    if not isinstance(gst_on, list) or any(c not in GST_COMPONENTS for c in gst_on):
        raise ScheduleError(f"{where}: 'gst_on' must list components among {', '.join(GST_COMPONENTS)}, "
                            f"got {gst_on!r}")
    gst = _number(raw, "gst_pct", where)
    if gst >= 100:
        raise ScheduleError(f"{where}: 'gst_pct' is a percentage (18 = 18 %), got {gst}")
    common = {"effective": effective, "sebi_per_crore": _number(raw, "sebi_per_crore", where),
              "gst": gst / 100, "gst_on": tuple(gst_on), "source": str(raw.get("source", ""))}
    tables: dict[tuple[str, str], SegmentRates] = {}
    for exchange in EXCHANGES:
        by_segment = raw.get(exchange)
        if not isinstance(by_segment, dict):
            raise ScheduleError(f"{where}: missing [entry.{exchange}.*] tables (every entry lists NSE and BSE)")
        _unknown_keys(by_segment, SEGMENTS, f"{where} [entry.{exchange}]")
        for segment in SEGMENTS:
            tables[(exchange, segment)] = _segment_rates(
                by_segment.get(segment), {**common, "exchange": exchange, "segment": segment},
                f"{where} [entry.{exchange}.{segment}]")
    return effective, tables


def parse_schedule(data: dict[str, Any], path: str = "<schedule>") -> ChargesSchedule:
    """Validate a parsed schedule document; raises ScheduleError naming the file, entry and key at fault."""
    if data.get("schema") != 1:
        raise ScheduleError(f"{path}: expected 'schema = 1' at the top, got {data.get('schema')!r}")
    raw_entries = data.get("entry")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise ScheduleError(f"{path}: no [[entry]] tables; add at least one dated entry")
    entries: dict[date, dict[tuple[str, str], SegmentRates]] = {}
    for i, raw in enumerate(raw_entries):
        effective, tables = _entry(raw, i, path)
        if effective in entries:
            raise ScheduleError(f"{path}: two entries take effect on {effective}; give each change its own date")
        entries[effective] = tables
    return ChargesSchedule(path=path, entries=entries)


@lru_cache(maxsize=16)
def _load_cached(path: str, mtime_ns: int) -> ChargesSchedule:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{path} is not valid TOML: {exc}") from None
    return parse_schedule(data, path)


def load_schedule(path: str | Path | None = None) -> ChargesSchedule:
    """The schedule in `path` (default: the bundled engine/data/charges_schedule.toml), re-read when it changes.

    Raises ScheduleError when the file is missing, not TOML, or breaks the schedule's rules.
    """
    file = Path(path) if path is not None else DEFAULT_SCHEDULE
    try:
        mtime = file.stat().st_mtime_ns
    except OSError:
        raise ScheduleError(f"charges schedule file {file} not found") from None
    return _load_cached(str(file), mtime)


def segment_rates(exchange: str, segment: str, as_of: date | None = None,
                  schedule_path: str | Path | None = None) -> SegmentRates:
    """Rates of one exchange and segment in force on `as_of` (default today) from the schedule file."""
    return load_schedule(schedule_path).rates(exchange, segment, as_of)
