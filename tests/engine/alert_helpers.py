"""Helpers for alert tests: crafted daily bars stored bar by bar in the test's SQLite file, and check times."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from storage.candles import upsert_candles
from storage.db import transaction

SYMBOL = "BTC-USD"  # 24/7 calendar: the daily bar labelled d closes at 00:00 UTC of d+1
START = "2024-01-01"


def crafted_bars(closes: Sequence[float], opens: Sequence[float] | None = None,
                 volumes: Sequence[float] | None = None, highs: Sequence[float] | None = None,
                 lows: Sequence[float] | None = None, start: str = START, freq: str = "D") -> pd.DataFrame:
    """Daily bars with the given closes (opens default to the closes; high/low 1 around them)."""
    c = np.asarray(closes, dtype=float)
    o = c if opens is None else np.asarray(opens, dtype=float)
    h = np.maximum(o, c) + 1.0 if highs is None else np.asarray(highs, dtype=float)
    lo = np.minimum(o, c) - 1.0 if lows is None else np.asarray(lows, dtype=float)
    v = np.full(len(c), 1000.0) if volumes is None else np.asarray(volumes, dtype=float)
    index = pd.date_range(start, periods=len(c), freq=freq, tz="UTC", name="ts")
    return pd.DataFrame({"open": o, "high": h, "low": lo, "close": c, "adj_close": c, "volume": v}, index=index)


def store(db_engine, bars: pd.DataFrame, symbol: str = SYMBOL, upto: int | None = None,  # noqa: ANN001
          interval: str = "1d") -> None:
    """Store bars 0..upto (all by default), as a sync would after each close."""
    part = bars if upto is None else bars.iloc[: upto + 1]
    with transaction(db_engine) as session:
        upsert_candles(session, symbol, interval, part, "csv")


def after(bars: pd.DataFrame, i: int, minutes: int = 1) -> pd.Timestamp:
    """A moment just after daily bar `i` closed (24/7 calendar)."""
    return bars.index[i] + pd.Timedelta(days=1, minutes=minutes)


def replay(db_engine, bars: pd.DataFrame, first: int = 0, symbol: str = SYMBOL) -> dict[int, list]:  # noqa: ANN001
    """Store the bars one at a time from `first`, checking alerts after each close; bar index → events."""
    from engine.alerts import check_alerts

    fired = {}
    for i in range(first, len(bars)):
        store(db_engine, bars, symbol, upto=i)
        fired[i] = check_alerts(db_engine, now=after(bars, i))
    return fired


def fired_at(fired: dict[int, list]) -> list[int]:
    """Bar indexes on which at least one event fired."""
    return [i for i, events in fired.items() if events]
