"""Drawdown figures from an equity curve: the underwater series, its depth, its length, and Calmar."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.metrics import _core
from engine.metrics._inputs import check_periods_per_year, clean_equity


@dataclass(frozen=True)
class DrawdownDuration:
    """The longest drawdown: from the peak bar to the recovery bar (or the last bar if not recovered)."""

    bars: int
    days: float  # calendar days between peak and end; NaN without a DatetimeIndex
    peak: Any = None  # index label of the peak bar; None when the curve never fell below a peak
    end: Any = None  # index label of the recovery bar, or of the last bar when not recovered
    recovered: bool = True


def drawdown_series(equity: pd.Series) -> pd.Series:
    """Drawdown per bar as a decimal <= 0: equity / running peak - 1 (the first bar anchors the peak).

    NaN bars are dropped. Raises DataError for empty, non-positive or unsorted equity.
    """
    values = clean_equity(equity)
    return (values / values.cummax() - 1.0).rename("drawdown")


def max_drawdown(equity: pd.Series) -> float:
    """Deepest drawdown as a negative decimal (0.0 if the curve never fell). Raises DataError."""
    return _core.max_drawdown(clean_equity(equity).to_numpy())


def max_drawdown_duration(equity: pd.Series) -> DrawdownDuration:
    """The longest peak-to-recovery stretch, or peak-to-last-bar if the final drawdown is not recovered.

    "Longest" is by calendar time when the index holds timestamps (ties broken by bar count), by bar
    count otherwise. Raises DataError for unusable equity.
    """
    values = clean_equity(equity)
    return duration_of(values.to_numpy(), values.index)


def duration_of(v: np.ndarray, index: pd.Index) -> DrawdownDuration:
    """`max_drawdown_duration` of cleaned account values `v` labelled by `index`."""
    underwater = v < np.maximum.accumulate(v)
    if not underwater.any():
        days = 0.0 if isinstance(index, pd.DatetimeIndex) else math.nan
        return DrawdownDuration(bars=0, days=days)
    starts, stops = _run_edges(underwater)
    peaks = starts - 1  # bar 0 is never underwater, so a run always has a peak before it
    recovered = stops < len(v)
    ends = np.where(recovered, stops, len(v) - 1)
    bars = ends - peaks
    if isinstance(index, pd.DatetimeIndex):
        stamps = index.values  # datetime64 in UTC even for a tz-aware index (to_numpy() gives objects)
        days = (stamps[ends] - stamps[peaks]) / np.timedelta64(1, "D")
        best = int(np.lexsort((-np.arange(len(bars)), bars, days))[-1])  # longest; the first of equals
    else:
        days = np.full(len(bars), math.nan)
        best = int(np.argmax(bars))
    return DrawdownDuration(
        bars=int(bars[best]), days=float(days[best]), peak=index[peaks[best]],
        end=index[ends[best]], recovered=bool(recovered[best]),
    )


def calmar(equity: pd.Series, periods_per_year: int = 252) -> float:
    """Calmar ratio: CAGR / |max drawdown| (empyrical `calmar_ratio`); NaN when there is no drawdown."""
    check_periods_per_year(periods_per_year)
    return _core.calmar(clean_equity(equity).to_numpy(), periods_per_year)


def _run_edges(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, stops) of each run of True values; stops are exclusive."""
    padded = np.zeros(mask.size + 2, dtype=np.int8)
    padded[1:-1] = mask
    edges = np.flatnonzero(np.diff(padded))
    return edges[::2], edges[1::2]
