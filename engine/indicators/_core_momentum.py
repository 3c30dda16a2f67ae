"""Compiled kernels for oscillators (RSI, CMO, stochastic, CCI, Williams %R, Aroon, ultimate oscillator).

Same contract as `_core`: float64 arrays, `begin` = first bar with all inputs present, NaN warm-up,
arithmetic in TA-Lib's order so results agree to rounding.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.indicators._core import TA_EPSILON


@njit(cache=True, fastmath={"contract"})
def wilder_gain_loss(x: np.ndarray, n: int, begin: int, as_cmo: bool) -> np.ndarray:
    """RSI (as_cmo False) or CMO (as_cmo True) from Wilder-smoothed gains and losses.

    Seeded like TA-Lib with the mean gain/loss of the first n changes; each later step is
    avg*(n-1)/n + change/n, branch-free and without a division on the dependency chain.
    """
    size = x.shape[0]
    out = np.empty(size)
    start = begin + n
    out[: min(start, size)] = np.nan
    if start >= size:
        return out
    gain = 0.0
    loss = 0.0
    prev = x[begin]
    for i in range(begin + 1, start + 1):
        diff = x[i] - prev
        prev = x[i]
        if diff < 0:
            loss -= diff
        else:
            gain += diff
    loss /= n
    gain /= n
    out[start] = _ratio(gain, loss, as_cmo)
    keep = (n - 1.0) / n
    weight = 1.0 / n
    for i in range(start + 1, size):
        diff = x[i] - prev
        prev = x[i]
        falling = diff < 0
        up = 0.0 if falling else diff  # a NaN change lands in gains, as in TA-Lib
        down = -diff if falling else 0.0
        loss = loss * keep + down * weight
        gain = gain * keep + up * weight
        out[i] = _ratio(gain, loss, as_cmo)
    return out


@njit(cache=True, inline="always")
def _ratio(gain: float, loss: float, as_cmo: bool) -> float:
    total = gain + loss
    if -TA_EPSILON < total < TA_EPSILON:
        return 0.0
    if as_cmo:
        return 100.0 * ((gain - loss) / total)
    return 100.0 * (gain / total)


@njit(cache=True)
def fast_k(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Raw stochastic %K: where the close sits in the n-bar high-low range, in percent (0 if flat)."""
    out = np.full(close.shape[0], np.nan)
    for i in range(begin + n - 1, close.shape[0]):
        highest = high[i - n + 1]
        lowest = low[i - n + 1]
        for j in range(i - n + 2, i + 1):
            if high[j] > highest:
                highest = high[j]
            if low[j] < lowest:
                lowest = low[j]
        diff = (highest - lowest) / 100.0
        out[i] = (close[i] - lowest) / diff if diff != 0.0 else 0.0
    return out


@njit(cache=True)
def williams_r(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Williams %R in [-100, 0] (0 when the range is flat), TA-Lib WILLR."""
    out = np.full(close.shape[0], np.nan)
    for i in range(begin + n - 1, close.shape[0]):
        highest = high[i - n + 1]
        lowest = low[i - n + 1]
        for j in range(i - n + 2, i + 1):
            if high[j] > highest:
                highest = high[j]
            if low[j] < lowest:
                lowest = low[j]
        diff = (highest - lowest) / (-100.0)
        out[i] = (highest - close[i]) / diff if diff != 0.0 else 0.0
    return out


@njit(cache=True)
def cci(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Commodity channel index over a circular buffer of typical prices (TA-Lib CCI)."""
    out = np.full(close.shape[0], np.nan)
    buffer = np.zeros(n)
    for i in range(begin, close.shape[0]):
        last = (high[i] + low[i] + close[i]) / 3
        buffer[(i - begin) % n] = last
        if i < begin + n - 1:
            continue
        average = 0.0
        for j in range(n):
            average += buffer[j]
        average /= n
        deviation = 0.0
        for j in range(n):
            deviation += abs(buffer[j] - average)
        distance = last - average
        if distance != 0.0 and deviation != 0.0:
            out[i] = distance / (0.015 * (deviation / n))
        else:
            out[i] = 0.0
    return out


@njit(cache=True)
def aroon(high: np.ndarray, low: np.ndarray, n: int, begin: int) -> tuple[np.ndarray, np.ndarray]:
    """Aroon down and up in percent; ties go to the most recent extreme (TA-Lib AROON)."""
    down = np.full(high.shape[0], np.nan)
    up = np.full(high.shape[0], np.nan)
    factor = 100.0 / n
    lowest_idx = -1
    highest_idx = -1
    lowest = 0.0
    highest = 0.0
    trailing = begin
    for i in range(begin + n, high.shape[0]):
        if lowest_idx < trailing:
            lowest_idx = trailing
            lowest = low[trailing]
            for j in range(trailing + 1, i + 1):
                if low[j] <= lowest:
                    lowest_idx = j
                    lowest = low[j]
        elif low[i] <= lowest:
            lowest_idx = i
            lowest = low[i]
        if highest_idx < trailing:
            highest_idx = trailing
            highest = high[trailing]
            for j in range(trailing + 1, i + 1):
                if high[j] >= highest:
                    highest_idx = j
                    highest = high[j]
        elif high[i] >= highest:
            highest_idx = i
            highest = high[i]
        up[i] = factor * (n - (i - highest_idx))
        down[i] = factor * (n - (i - lowest_idx))
        trailing += 1
    return down, up


@njit(cache=True)
def _buying_pressure(high: np.ndarray, low: np.ndarray, close: np.ndarray, i: int) -> tuple[float, float]:
    """Close minus true low, and true range, of bar i (needs bar i-1)."""
    prev_close = close[i - 1]
    true_low = low[i] if low[i] < prev_close else prev_close
    true_range = high[i] - low[i]
    gap = abs(prev_close - high[i])
    if gap > true_range:
        true_range = gap
    gap = abs(prev_close - low[i])
    if gap > true_range:
        true_range = gap
    return close[i] - true_low, true_range


@njit(cache=True)
def ultimate_oscillator(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, p1: int, p2: int, p3: int, begin: int
) -> np.ndarray:
    """Ultimate oscillator with p1 <= p2 <= p3 weighted 4:2:1 (TA-Lib ULTOSC)."""
    out = np.full(close.shape[0], np.nan)
    start = begin + p3
    if start >= close.shape[0]:
        return out
    periods = (p1, p2, p3)
    bp_total = np.zeros(3)
    tr_total = np.zeros(3)
    for k in range(3):
        for i in range(start - periods[k] + 1, start):
            bp, tr = _buying_pressure(high, low, close, i)
            bp_total[k] += bp
            tr_total[k] += tr
    for i in range(start, close.shape[0]):
        bp, tr = _buying_pressure(high, low, close, i)
        value = 0.0
        for k in range(3):
            bp_total[k] += bp
            tr_total[k] += tr
        if not -TA_EPSILON < tr_total[0] < TA_EPSILON:
            value += 4.0 * (bp_total[0] / tr_total[0])
        if not -TA_EPSILON < tr_total[1] < TA_EPSILON:
            value += 2.0 * (bp_total[1] / tr_total[1])
        if not -TA_EPSILON < tr_total[2] < TA_EPSILON:
            value += bp_total[2] / tr_total[2]
        for k in range(3):
            old_bp, old_tr = _buying_pressure(high, low, close, i - periods[k] + 1)
            bp_total[k] -= old_bp
            tr_total[k] -= old_tr
        out[i] = 100.0 * (value / 7.0)
    return out
