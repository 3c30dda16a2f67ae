"""Compiled kernels built on the true range: ATR, directional movement (ADX), SuperTrend, Parabolic SAR.

Same contract as `_core`: float64 arrays, `begin` = first bar with all inputs present, NaN warm-up,
arithmetic in TA-Lib's order so results agree to rounding.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.indicators._core import TA_EPSILON


@njit(cache=True, inline="always")
def _tr(high: float, low: float, prev_close: float) -> float:
    """max(high, prev_close) - min(low, prev_close): bit-equal to TA-Lib's max of three distances.

    A NaN high or low propagates, a NaN previous close falls back to high - low (as in TA-Lib).
    """
    top = prev_close if prev_close > high else high
    bottom = prev_close if prev_close < low else low
    return top - bottom


@njit(cache=True)
def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray, begin: int) -> np.ndarray:
    """max(high, previous close) - min(low, previous close); NaN on the first bar."""
    out = np.full(close.shape[0], np.nan)
    for i in range(begin + 1, close.shape[0]):
        out[i] = _tr(high[i], low[i], close[i - 1])
    return out


@njit(cache=True, fastmath={"contract"})
def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, start: int) -> np.ndarray:
    """Wilder ATR whose first value, at bar `start`, is the mean of the n true ranges ending there.

    TA-Lib ATR uses start = begin + n; TA-Lib KC starts it later, where its EMA leg also exists.
    Later steps are atr*(n-1)/n + tr/n, without a division on the dependency chain.
    """
    size = close.shape[0]
    out = np.empty(size)
    out[: min(start, size)] = np.nan
    if start >= size:
        return out
    total = 0.0
    for i in range(start - n + 1, start + 1):
        total += _tr(high[i], low[i], close[i - 1])
    prev = total / n
    out[start] = prev
    keep = (n - 1.0) / n
    weight = 1.0 / n
    for i in range(start + 1, size):
        prev = prev * keep + _tr(high[i], low[i], close[i - 1]) * weight
        out[i] = prev
    return out


@njit(cache=True)
def _directional_move(high: np.ndarray, low: np.ndarray, i: int) -> tuple[float, float]:
    """(+DM, -DM) of bar i: the larger one-sided extension beyond bar i-1, the other zero."""
    diff_p = high[i] - high[i - 1]
    diff_m = low[i - 1] - low[i]
    plus = diff_p if (diff_p > 0 and diff_p > diff_m) else 0.0
    minus = diff_m if (diff_m > 0 and diff_p < diff_m) else 0.0
    return plus, minus


@njit(cache=True)
def _dx(plus_dm: float, minus_dm: float, tr: float) -> tuple[float, float, float, bool]:
    """(+DI, -DI, DX, DX defined) from smoothed sums; TA-Lib leaves ADX unchanged when DX is undefined."""
    if -TA_EPSILON < tr < TA_EPSILON:
        return 0.0, 0.0, 0.0, False
    minus_di = 100.0 * (minus_dm / tr)
    plus_di = 100.0 * (plus_dm / tr)
    total = minus_di + plus_di
    if -TA_EPSILON < total < TA_EPSILON:
        return plus_di, minus_di, 0.0, False
    return plus_di, minus_di, 100.0 * (abs(minus_di - plus_di) / total), True


@njit(cache=True)
def adx(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, begin: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ADX, +DI, -DI) with Wilder smoothing (TA-Lib ADX, PLUS_DI, MINUS_DI)."""
    size = close.shape[0]
    out_adx = np.full(size, np.nan)
    out_plus = np.full(size, np.nan)
    out_minus = np.full(size, np.nan)
    plus_dm = 0.0
    minus_dm = 0.0
    tr = 0.0
    for i in range(begin + 1, min(begin + n, size)):
        p, m = _directional_move(high, low, i)
        plus_dm += p
        minus_dm += m
        tr += _tr(high[i], low[i], close[i - 1])
    sum_dx = 0.0
    prev_adx = 0.0
    for i in range(begin + n, size):
        p, m = _directional_move(high, low, i)
        plus_dm = plus_dm - plus_dm / n + p
        minus_dm = minus_dm - minus_dm / n + m
        tr = tr - tr / n + _tr(high[i], low[i], close[i - 1])
        plus_di, minus_di, dx, defined = _dx(plus_dm, minus_dm, tr)
        out_plus[i] = plus_di
        out_minus[i] = minus_di
        if i < begin + 2 * n - 1:
            if defined:
                sum_dx += dx
        elif i == begin + 2 * n - 1:
            if defined:
                sum_dx += dx
            prev_adx = sum_dx / n
            out_adx[i] = prev_adx
        else:
            if defined:
                prev_adx = ((prev_adx * (n - 1)) + dx) / n
            out_adx[i] = prev_adx
    return out_adx, out_plus, out_minus


@njit(cache=True)
def supertrend(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int, multiplier: float, begin: int
) -> tuple[np.ndarray, np.ndarray]:
    """SuperTrend line and direction (+1 up / -1 down) on Wilder ATR; the first bar starts long."""
    size = close.shape[0]
    line = np.full(size, np.nan)
    direction = np.full(size, np.nan)
    atr_values = atr(high, low, close, n, begin + n)
    start = begin + n
    if start >= size:
        return line, direction
    median = (high[start] + low[start]) / 2.0
    band = multiplier * atr_values[start]
    final_upper = median + band
    final_lower = median - band
    is_up = True
    line[start] = final_lower
    direction[start] = 1.0
    for i in range(start + 1, size):
        median = (high[i] + low[i]) / 2.0
        band = multiplier * atr_values[i]
        basic_upper = median + band
        basic_lower = median - band
        if basic_upper < final_upper or close[i - 1] > final_upper:
            final_upper = basic_upper
        if basic_lower > final_lower or close[i - 1] < final_lower:
            final_lower = basic_lower
        if is_up:
            if close[i] < final_lower:
                is_up = False
        elif close[i] > final_upper:
            is_up = True
        line[i] = final_lower if is_up else final_upper
        direction[i] = 1.0 if is_up else -1.0
    return line, direction


@njit(cache=True)
def sar(high: np.ndarray, low: np.ndarray, acceleration: float, maximum: float, begin: int) -> np.ndarray:
    """Parabolic SAR; the first bar seeds it and the direction comes from its -DM (TA-Lib SAR)."""
    out = np.full(high.shape[0], np.nan)
    start = begin + 1
    if start >= high.shape[0]:
        return out
    if acceleration > maximum:
        acceleration = maximum
    af = acceleration
    _, minus = _directional_move(high, low, start)
    is_long = not minus > 0
    if is_long:
        ep = high[start]
        value = low[start - 1]
    else:
        ep = low[start]
        value = high[start - 1]
    new_low = low[start]
    new_high = high[start]
    for i in range(start, high.shape[0]):
        prev_low = new_low
        prev_high = new_high
        new_low = low[i]
        new_high = high[i]
        if is_long:
            if new_low <= value:
                is_long = False
                value = max(ep, prev_high, new_high)
                out[i] = value
                af = acceleration
                ep = new_low
                value = max(value + af * (ep - value), prev_high, new_high)
            else:
                out[i] = value
                if new_high > ep:
                    ep = new_high
                    af = min(af + acceleration, maximum)
                value = min(value + af * (ep - value), prev_low, new_low)
        elif new_high >= value:
            is_long = True
            value = min(ep, prev_low, new_low)
            out[i] = value
            af = acceleration
            ep = new_high
            value = min(value + af * (ep - value), prev_low, new_low)
        else:
            out[i] = value
            if new_low < ep:
                ep = new_low
                af = min(af + acceleration, maximum)
            value = max(value + af * (ep - value), prev_high, new_high)
    return out
