"""Input checks shared by the metrics modules: equity, returns, risk-free rate and periods per year."""

from __future__ import annotations

import difflib
import math
import numbers

import numpy as np
import pandas as pd

from engine.errors import DataError, ParameterError


def clean_equity(equity: pd.Series, name: str = "equity") -> pd.Series:
    """Return `equity` as float64 without missing bars; raises DataError if it is unusable.

    Missing (NaN) bars are dropped rather than filled: the account value was simply not observed
    there, and the return across the gap is still the ratio of the two observed values.
    """
    if not isinstance(equity, pd.Series):
        raise DataError(
            f"{name} must be a pandas Series of account values per bar, got {type(equity).__name__}"
        )
    try:
        values = equity if equity.dtype == np.float64 else equity.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name} must hold numbers (account value per bar); convert it to float") from None
    raw = values.to_numpy()
    missing = np.isnan(raw)
    if missing.any():
        values = values[~missing]
        raw = raw[~missing]
    if raw.size == 0:
        raise DataError(f"{name} is empty (or all NaN): pass at least one account value per bar")
    if not np.isfinite(raw).all():
        raise DataError(f"{name} contains infinite values: remove or repair those bars")
    if not raw.min() > 0:
        first_bad = values.index[int(np.argmax(raw <= 0))]
        raise DataError(
            f"{name} must stay above zero (first non-positive value at {first_bad}); "
            "simple returns are undefined once the account is wiped out"
        )
    if not values.index.is_unique or not values.index.is_monotonic_increasing:
        raise DataError(f"{name} index must be unique and ascending: sort it and drop duplicate bars")
    return values


def clean_returns(returns: pd.Series, name: str = "returns") -> pd.Series:
    """Return `returns` as float64 without NaNs; raises DataError if it is not numeric or has infinities."""
    if not isinstance(returns, pd.Series):
        raise DataError(f"{name} must be a pandas Series of simple returns, got {type(returns).__name__}")
    try:
        values = (returns if returns.dtype == np.float64 else returns.astype(np.float64)).dropna()
    except (TypeError, ValueError):
        raise DataError(f"{name} must hold numbers (simple decimal returns); convert it to float") from None
    if not np.isfinite(values.to_numpy()).all():
        raise DataError(f"{name} contains infinite values: check the equity curve they came from")
    return values


def require_datetime_index(series: pd.Series, name: str = "equity") -> None:
    """Raise DataError unless `series` is indexed by timestamps (needed for calendar figures)."""
    if not isinstance(series.index, pd.DatetimeIndex):
        raise DataError(
            f"{name} needs a DatetimeIndex for calendar figures, got {type(series.index).__name__}; "
            "index it by bar time (ts)"
        )


def check_periods_per_year(periods_per_year: int) -> int:
    """Return `periods_per_year` if it is a positive number; raises ParameterError otherwise."""
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, numbers.Real):
        raise ParameterError(f"periods_per_year must be a number such as 252 or 365, got {periods_per_year!r}")
    if not periods_per_year > 0:
        raise ParameterError(f"periods_per_year must be positive (252 equities, 365 crypto), got {periods_per_year}")
    return periods_per_year


def per_period_rf(rf: float, periods_per_year: int) -> float:
    """De-annualise an annual risk-free rate geometrically: (1 + rf) ** (1 / periods_per_year) - 1."""
    check_periods_per_year(periods_per_year)
    if not isinstance(rf, numbers.Real) or isinstance(rf, bool) or not math.isfinite(rf) or rf <= -1:
        raise ParameterError(f"rf must be an annual decimal rate above -1 (0.05 = 5 %), got {rf!r}")
    if rf == 0:
        return 0.0
    return (1.0 + rf) ** (1.0 / periods_per_year) - 1.0


def check_choice(value: str, choices: tuple[str, ...], name: str) -> str:
    """Return `value` if it is one of `choices`; raises ParameterError with a "did you mean" hint."""
    if value in choices:
        return value
    close = difflib.get_close_matches(str(value), choices, n=1)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    raise ParameterError(f"{name} must be one of {list(choices)}, got {value!r}{hint}")


def check_level(level: float) -> float:
    """Return a confidence level strictly between 0 and 1; raises ParameterError otherwise."""
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ParameterError(f"level must be a confidence between 0 and 1 (e.g. 0.95), got {level!r}")
    return float(level)
