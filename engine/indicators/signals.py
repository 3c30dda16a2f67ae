"""Crossover signals: did series a cross above/below b on this bar (booleans, no look-ahead)."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from engine.errors import DataError
from engine.indicators._inputs import aligned, values


def _pair(a: pd.Series, b: pd.Series | float) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(b, pd.Series):
        return tuple(aligned(a=a, b=b))
    if isinstance(b, bool) or not isinstance(b, numbers.Real):
        raise DataError(f"'b' must be a pandas Series or a number, got {type(b).__name__}")
    x = values(a, "a")
    return x, np.full(x.shape[0], float(b))


def crossover(a: pd.Series, b: pd.Series | float) -> pd.Series:
    """True on bars where a closes above b after being at or below it on the previous bar.

    `b` may be a Series on the same index or a number (e.g. 70 for RSI). NaN on either bar gives
    False. Raises DataError on bad input.
    """
    x, y = _pair(a, b)
    now = x > y
    before = np.zeros(x.shape[0], dtype=np.bool_)
    before[1:] = x[:-1] <= y[:-1]
    return pd.Series(now & before, index=a.index, name="crossover")


def crossunder(a: pd.Series, b: pd.Series | float) -> pd.Series:
    """True on bars where a closes below b after being at or above it on the previous bar.

    `b` may be a Series on the same index or a number. NaN on either bar gives False.
    Raises DataError on bad input.
    """
    x, y = _pair(a, b)
    now = x < y
    before = np.zeros(x.shape[0], dtype=np.bool_)
    before[1:] = x[:-1] >= y[:-1]
    return pd.Series(now & before, index=a.index, name="crossunder")
