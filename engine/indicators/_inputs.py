"""Input validation and output wrapping shared by every indicator: Series in, aligned Series out."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from engine.errors import DataError, ParameterError


def values(series: pd.Series, name: str) -> np.ndarray:
    """The float64 values of a numeric Series (no copy when already float64); raises DataError."""
    if not isinstance(series, pd.Series):
        raise DataError(f"{name!r} must be a pandas Series of prices or volumes, got {type(series).__name__}")
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise DataError(
            f"{name!r} must hold numbers, got dtype {dtype}; convert it with pd.to_numeric(...) first"
        )
    if isinstance(dtype, np.dtype):
        return series.to_numpy(dtype=np.float64)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)  # nullable extension dtypes


def aligned(**named: pd.Series) -> list[np.ndarray]:
    """Float64 arrays of several Series that must share one index; raises DataError."""
    arrays = [values(series, name) for name, series in named.items()]
    items = list(named.items())
    first_name, first = items[0]
    for name, series in items[1:]:
        if not (series.index is first.index or series.index.equals(first.index)):
            raise DataError(
                f"{name!r} and {first_name!r} must share the same index (take both columns from one bars frame)"
            )
    return arrays


MAX_PERIOD = 100_000  # TA-Lib's upper bound; also keeps per-window buffers small


def period(value: object, name: str = "period", minimum: int = 1) -> int:
    """A whole-number window length in [minimum, MAX_PERIOD]; raises ParameterError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{name} must be a whole number of bars, got {value!r}")
    if not float(value).is_integer():
        raise ParameterError(f"{name} must be a whole number of bars, got {value!r}")
    as_int = int(value)
    if as_int < minimum:
        raise ParameterError(f"{name} must be at least {minimum} bar(s), got {as_int}")
    if as_int > MAX_PERIOD:
        raise ParameterError(f"{name} must be at most {MAX_PERIOD:,} bars, got {as_int:,}")
    return as_int


def number(value: object, name: str, minimum: float = 0.0, strict: bool = False) -> float:
    """A finite real parameter >= minimum (> minimum when strict); raises ParameterError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    as_float = float(value)
    if as_float < minimum or (strict and as_float == minimum):
        relation = "greater than" if strict else "at least"
        raise ParameterError(f"{name} must be {relation} {minimum}, got {as_float}")
    return as_float


def to_series(result: np.ndarray, like: pd.Series, name: str) -> pd.Series:
    """Wrap a kernel's output on the input's index without copying it."""
    return pd.Series(result, index=like.index, name=name, copy=False)


def to_frame(columns: dict[str, np.ndarray], like: pd.Series) -> pd.DataFrame:
    """Wrap several kernel outputs as a DataFrame on the input's index."""
    return pd.DataFrame(columns, index=like.index)
