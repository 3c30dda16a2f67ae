"""Compiled kernels for moving averages and rolling statistics, following TA-Lib's arithmetic order.

Every kernel takes float64 arrays and `begin`, the first bar where all inputs are present (leading
NaNs are skipped as TA-Lib does), and returns a new array with NaN during the warm-up.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TA_EPSILON = 1e-8  # TA-Lib's TA_IS_ZERO / TA_IS_ZERO_OR_NEG threshold


@njit(cache=True)
def first_valid(x: np.ndarray) -> int:
    """Index of the first non-NaN value, or len(x) when there is none."""
    for i in range(x.shape[0]):
        if not np.isnan(x[i]):
            return i
    return x.shape[0]


@njit(cache=True)
def first_valid2(a: np.ndarray, b: np.ndarray) -> int:
    """First index where both inputs are non-NaN (TA-Lib's begin index for two inputs)."""
    for i in range(a.shape[0]):
        if not np.isnan(a[i]) and not np.isnan(b[i]):
            return i
    return a.shape[0]


@njit(cache=True)
def first_valid3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> int:
    """First index where all three inputs are non-NaN."""
    for i in range(a.shape[0]):
        if not np.isnan(a[i]) and not np.isnan(b[i]) and not np.isnan(c[i]):
            return i
    return a.shape[0]


@njit(cache=True)
def first_valid4(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> int:
    """First index where all four inputs are non-NaN."""
    for i in range(a.shape[0]):
        if not (np.isnan(a[i]) or np.isnan(b[i]) or np.isnan(c[i]) or np.isnan(d[i])):
            return i
    return a.shape[0]


@njit(cache=True)
def sma(x: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Simple moving average with a running sum (TA-Lib INT_SMA)."""
    out = np.full(x.shape[0], np.nan)
    start = begin + n - 1
    total = 0.0
    for i in range(begin, min(start, x.shape[0])):
        total += x[i]
    for i in range(start, x.shape[0]):
        total += x[i]
        out[i] = total / n
        total -= x[i - n + 1]
    return out


@njit(cache=True, fastmath={"contract"})
def ema(x: np.ndarray, n: int, k: float, seed_end: int) -> np.ndarray:
    """EMA seeded with the mean of the n values ending at seed_end, the first output bar.

    The step is written prev*(1-k) + x*k (TA-Lib: (x-prev)*k + prev) so the dependency chain is one
    fused multiply-add; the two forms differ by rounding only (~1e-16 relative).
    """
    size = x.shape[0]
    out = np.empty(size)
    out[: min(seed_end, size)] = np.nan
    if seed_end >= size:
        return out
    total = 0.0
    for i in range(seed_end - n + 1, seed_end + 1):
        total += x[i]
    prev = total / n
    out[seed_end] = prev
    keep = 1.0 - k
    for i in range(seed_end + 1, size):
        prev = prev * keep + x[i] * k
        out[i] = prev
    return out


@njit(cache=True)
def ema_after_nans(x: np.ndarray, n: int) -> np.ndarray:
    """EMA with alpha 2/(n+1) seeded with the SMA of the first n values after any leading NaNs."""
    return ema(x, n, 2.0 / (n + 1), first_valid(x) + n - 1)


@njit(cache=True)
def wma(x: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Linearly weighted moving average, weights 1..n (TA-Lib WMA's running sums)."""
    out = np.full(x.shape[0], np.nan)
    start = begin + n - 1
    if start >= x.shape[0]:
        return out
    divider = (n * (n + 1)) // 2
    period_sum = 0.0
    period_sub = 0.0
    for j in range(n - 1):
        value = x[begin + j]
        period_sub += value
        period_sum += value * (j + 1)
    trailing_value = 0.0
    trailing = begin
    for i in range(start, x.shape[0]):
        value = x[i]
        period_sub += value
        period_sub -= trailing_value
        period_sum += value * n
        trailing_value = x[trailing]
        trailing += 1
        out[i] = period_sum / divider
        period_sum -= period_sub
    return out


@njit(cache=True)
def kama(x: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Kaufman adaptive moving average with TA-Lib's fixed 2/30 smoothing bounds."""
    out = np.full(x.shape[0], np.nan)
    start = begin + n
    if start >= x.shape[0]:
        return out
    const_max = 2.0 / (30.0 + 1.0)
    const_diff = 2.0 / (2.0 + 1.0) - const_max
    sum_roc = 0.0
    for j in range(begin, start):
        sum_roc += abs(x[j] - x[j + 1])
    prev = x[start - 1]
    trailing_value = x[begin]
    period_roc = x[start] - trailing_value
    ratio = 1.0 if (sum_roc <= period_roc or abs(sum_roc) < TA_EPSILON) else abs(period_roc / sum_roc)
    sc = ratio * const_diff + const_max
    sc *= sc
    prev = ((x[start] - prev) * sc) + prev
    out[start] = prev
    trailing = begin + 1
    for i in range(start + 1, x.shape[0]):
        old = x[trailing]
        trailing += 1
        period_roc = x[i] - old
        sum_roc -= abs(trailing_value - old)
        sum_roc += abs(x[i] - x[i - 1])
        trailing_value = old
        ratio = 1.0 if (sum_roc <= period_roc or abs(sum_roc) < TA_EPSILON) else abs(period_roc / sum_roc)
        sc = ratio * const_diff + const_max
        sc *= sc
        prev = ((x[i] - prev) * sc) + prev
        out[i] = prev
    return out


@njit(cache=True)
def rolling_max(x: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Highest value over the last n bars (TA-Lib MAX)."""
    out = np.full(x.shape[0], np.nan)
    best_idx = -1
    best = 0.0
    trailing = begin
    for i in range(begin + n - 1, x.shape[0]):
        if best_idx < trailing:
            best_idx = trailing
            best = x[trailing]
            for j in range(trailing + 1, i + 1):
                if x[j] >= best:
                    best_idx = j
                    best = x[j]
        elif x[i] >= best:
            best_idx = i
            best = x[i]
        out[i] = best
        trailing += 1
    return out


@njit(cache=True)
def rolling_min(x: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Lowest value over the last n bars (TA-Lib MIN)."""
    out = np.full(x.shape[0], np.nan)
    best_idx = -1
    best = 0.0
    trailing = begin
    for i in range(begin + n - 1, x.shape[0]):
        if best_idx < trailing:
            best_idx = trailing
            best = x[trailing]
            for j in range(trailing + 1, i + 1):
                if x[j] <= best:
                    best_idx = j
                    best = x[j]
        elif x[i] <= best:
            best_idx = i
            best = x[i]
        out[i] = best
        trailing += 1
    return out


@njit(cache=True)
def rolling_var(x: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Population variance from running sums of x and x**2 (TA-Lib INT_VAR)."""
    out = np.full(x.shape[0], np.nan)
    start = begin + n - 1
    total1 = 0.0
    total2 = 0.0
    for i in range(begin, min(start, x.shape[0])):
        total1 += x[i]
        total2 += x[i] * x[i]
    for i in range(start, x.shape[0]):
        value = x[i]
        total1 += value
        total2 += value * value
        mean1 = total1 / n
        mean2 = total2 / n
        old = x[i - n + 1]
        total1 -= old
        total2 -= old * old
        out[i] = mean2 - mean1 * mean1
    return out


@njit(cache=True)
def rolling_mean_std(x: np.ndarray, n: int, begin: int, ddof: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each n-bar window, two-pass (exact for flat windows)."""
    mean = np.full(x.shape[0], np.nan)
    std = np.full(x.shape[0], np.nan)
    for i in range(begin + n - 1, x.shape[0]):
        total = 0.0
        for j in range(i - n + 1, i + 1):
            total += x[j]
        m = total / n
        squares = 0.0
        for j in range(i - n + 1, i + 1):
            squares += (x[j] - m) * (x[j] - m)
        mean[i] = m
        std[i] = np.sqrt(squares / (n - ddof))
    return mean, std
