"""CSV import service: parse, validate/repair, store as source "csv" with a sync-run row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from engine.data.providers.csv_provider import CsvSource, parse_csv
from engine.data.sync import instrument_row
from engine.data.validate import repair_bars, validate_bars
from storage.candles import upsert_candles
from storage.db import transaction
from storage.instruments import upsert_instrument
from storage.sync_runs import finish_run, start_run

if TYPE_CHECKING:
    from sqlalchemy import Engine

CSV = "csv"


@dataclass(frozen=True)
class ImportResult:
    """Rows stored, the file's skipped/noted rows (`problems`) and what validation left (`issues`)."""

    symbol: str
    interval: str
    rows: int
    first: pd.Timestamp
    last: pd.Timestamp
    problems: tuple[str, ...]
    issues: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"symbol": self.symbol, "interval": self.interval, "rows": self.rows,
                "first": self.first.isoformat(), "last": self.last.isoformat(),
                "problems": list(self.problems), "issues": list(self.issues)}


def import_csv(db_engine: Engine, source: CsvSource, symbol: str, interval: str = "1d") -> ImportResult:
    """Import bars for `symbol` from a CSV path, bytes or file object (upsert; replaces demo bars).

    Bad rows are skipped and listed in `problems`; stray/duplicate bars are repaired as in
    validation. Raises DataError for an unreadable file (see parse_csv) and when the symbol
    already has demo-only conflicts that storage refuses.
    """
    bars, problems = parse_csv(source, symbol, interval)
    report = validate_bars(bars, symbol, interval)
    bars, remaining = repair_bars(bars, report) if report.issues else (bars, [])
    with transaction(db_engine) as s:
        upsert_instrument(s, instrument_row(symbol))
        run_id = start_run(s, symbol, interval, CSV)
        rows = upsert_candles(s, symbol, interval, bars, CSV)
        finish_run(s, run_id, "ok", rows, f"{len(problems)} row problem(s) in the file" if problems else "")
    return ImportResult(symbol, interval, rows, bars.index.min(), bars.index.max(), tuple(problems),
                        tuple(i.message for i in remaining))
