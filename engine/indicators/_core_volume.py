"""Compiled kernels for volume indicators: OBV, A/D line, MFI, CMF, VWMA and session VWAP.

Same contract as `_core`: float64 arrays, `begin` = first bar with all inputs present, NaN warm-up,
arithmetic in TA-Lib's order so results agree to rounding.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def obv(close: np.ndarray, volume: np.ndarray, begin: int) -> np.ndarray:
    """On-balance volume starting from the first bar's volume (TA-Lib OBV)."""
    out = np.full(close.shape[0], np.nan)
    if begin >= close.shape[0]:
        return out
    total = volume[begin]
    prev = close[begin]
    out[begin] = total
    for i in range(begin + 1, close.shape[0]):
        if close[i] > prev:
            total += volume[i]
        elif close[i] < prev:
            total -= volume[i]
        out[i] = total
        prev = close[i]
    return out


@njit(cache=True)
def ad(high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, begin: int) -> np.ndarray:
    """Chaikin accumulation/distribution line; bars with no range add nothing (TA-Lib AD)."""
    out = np.full(close.shape[0], np.nan)
    total = 0.0
    for i in range(begin, close.shape[0]):
        spread = high[i] - low[i]
        if spread > 0.0:
            total += (((close[i] - low[i]) - (high[i] - close[i])) / spread) * volume[i]
        out[i] = total
    return out


@njit(cache=True)
def mfi(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, n: int, begin: int
) -> np.ndarray:
    """Money flow index in percent over a circular buffer of signed money flows (TA-Lib MFI)."""
    out = np.full(close.shape[0], np.nan)
    start = begin + n
    if start >= close.shape[0]:
        return out
    positive = np.zeros(n)
    negative = np.zeros(n)
    pos_sum = 0.0
    neg_sum = 0.0
    prev = (high[begin] + low[begin] + close[begin]) / 3.0
    for i in range(begin + 1, close.shape[0]):
        slot = (i - begin - 1) % n
        if i > start:
            pos_sum -= positive[slot]
            neg_sum -= negative[slot]
        typical = (high[i] + low[i] + close[i]) / 3.0
        change = typical - prev
        prev = typical
        flow = typical * volume[i]
        positive[slot] = flow if change > 0 else 0.0
        negative[slot] = flow if change < 0 else 0.0
        pos_sum += positive[slot]
        neg_sum += negative[slot]
        if i >= start:
            total = pos_sum + neg_sum
            out[i] = 0.0 if total < 1.0 else 100.0 * (pos_sum / total)
    return out


@njit(cache=True)
def cmf(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, n: int, begin: int
) -> np.ndarray:
    """Chaikin money flow: n-bar sum of money-flow volume over n-bar sum of volume (0 if no volume)."""
    out = np.full(close.shape[0], np.nan)
    flow = np.zeros(close.shape[0])
    for i in range(begin, close.shape[0]):
        spread = high[i] - low[i]
        if spread > 0.0:
            flow[i] = (((close[i] - low[i]) - (high[i] - close[i])) / spread) * volume[i]
    for i in range(begin + n - 1, close.shape[0]):
        flow_sum = 0.0
        volume_sum = 0.0
        for j in range(i - n + 1, i + 1):
            flow_sum += flow[j]
            volume_sum += volume[j]
        out[i] = flow_sum / volume_sum if volume_sum != 0.0 else 0.0
    return out


@njit(cache=True)
def vwma(close: np.ndarray, volume: np.ndarray, n: int, begin: int) -> np.ndarray:
    """Volume-weighted moving average: n-bar sum of price*volume over n-bar sum of volume."""
    out = np.full(close.shape[0], np.nan)
    for i in range(begin + n - 1, close.shape[0]):
        weighted = 0.0
        volume_sum = 0.0
        for j in range(i - n + 1, i + 1):
            weighted += close[j] * volume[j]
            volume_sum += volume[j]
        out[i] = weighted / volume_sum if volume_sum != 0.0 else np.nan
    return out


@njit(cache=True)
def session_vwap(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray, new_session: np.ndarray
) -> np.ndarray:
    """Cumulative typical-price VWAP that restarts where new_session is True; typical price if no volume."""
    out = np.full(close.shape[0], np.nan)
    weighted = 0.0
    volume_sum = 0.0
    for i in range(close.shape[0]):
        if new_session[i]:
            weighted = 0.0
            volume_sum = 0.0
        typical = (high[i] + low[i] + close[i]) / 3.0
        if np.isnan(typical) or np.isnan(volume[i]):
            continue
        weighted += typical * volume[i]
        volume_sum += volume[i]
        out[i] = weighted / volume_sum if volume_sum != 0.0 else typical
    return out
