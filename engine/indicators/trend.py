"""Trend indicators: moving averages (TA-Lib conventions) and the Ichimoku cloud without look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.indicators import _core
from engine.indicators import _core_volume as _vol
from engine.indicators._inputs import aligned, to_frame, to_series, values
from engine.indicators._inputs import period as _period


def sma(close: pd.Series, period: int = 20) -> pd.Series:
    """Simple moving average of the last `period` bars, in price units (TA-Lib SMA).

    Raises DataError for a non-numeric series and ParameterError for period < 1.
    """
    n = _period(period)
    x = values(close, "close")
    return to_series(_core.sma(x, n, _core.first_valid(x)), close, "sma")


def ema(close: pd.Series, period: int = 20) -> pd.Series:
    """Exponential moving average, alpha = 2/(period+1), seeded with the SMA of the first `period` bars.

    Price units; equals TA-Lib EMA. Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    return to_series(_core.ema_after_nans(values(close, "close"), n), close, "ema")


def wma(close: pd.Series, period: int = 20) -> pd.Series:
    """Linearly weighted moving average (newest bar weight `period`, oldest 1), price units (TA-Lib WMA).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    x = values(close, "close")
    return to_series(_core.wma(x, n, _core.first_valid(x)), close, "wma")


def dema(close: pd.Series, period: int = 20) -> pd.Series:
    """Double EMA, 2*EMA - EMA(EMA), price units; first value after 2*(period-1) bars (TA-Lib DEMA).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    first = _core.ema_after_nans(values(close, "close"), n)
    second = _core.ema_after_nans(first, n)
    return to_series(2.0 * first - second, close, "dema")


def tema(close: pd.Series, period: int = 20) -> pd.Series:
    """Triple EMA, 3*EMA - 3*EMA(EMA) + EMA(EMA(EMA)), price units (TA-Lib TEMA).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    first = _core.ema_after_nans(values(close, "close"), n)
    second = _core.ema_after_nans(first, n)
    third = _core.ema_after_nans(second, n)
    return to_series(third + 3.0 * first - 3.0 * second, close, "tema")


def vwma(close: pd.Series, volume: pd.Series, period: int = 20) -> pd.Series:
    """Volume-weighted moving average: sum(close*volume)/sum(volume) over `period` bars (TA-Lib VWMA).

    NaN where the window holds no volume. Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    x, v = aligned(close=close, volume=volume)
    return to_series(_vol.vwma(x, v, n, _core.first_valid2(x, v)), close, "vwma")


def kama(close: pd.Series, period: int = 30) -> pd.Series:
    """Kaufman adaptive moving average over a `period`-bar efficiency ratio, price units (TA-Lib KAMA).

    The smoothing constant moves between the 2- and 30-bar EMA speeds. Raises DataError /
    ParameterError on bad input.
    """
    n = _period(period)
    x = values(close, "close")
    return to_series(_core.kama(x, n, _core.first_valid(x)), close, "kama")


def ichimoku(
    high: pd.Series, low: pd.Series, close: pd.Series, tenkan: int = 9, kijun: int = 26, senkou_b: int = 52
) -> pd.DataFrame:
    """Ichimoku lines in price units: columns tenkan, kijun, senkou_a, senkou_b.

    tenkan/kijun are the midpoints of the `tenkan`/`kijun`-bar high-low ranges. The senkou spans are
    shifted forward by `kijun` bars, so the value shown at bar t was computed from data up to t-kijun.
    The chikou span is deliberately absent: it is the close shifted into the past, i.e. it shows at
    bar t a price from bar t+kijun, which is look-ahead and unusable in a causal strategy.
    Raises DataError / ParameterError on bad input.
    """
    n_tenkan = _period(tenkan, "tenkan")
    n_kijun = _period(kijun, "kijun")
    n_senkou = _period(senkou_b, "senkou_b")
    h, lo, _ = aligned(high=high, low=low, close=close)
    begin = _core.first_valid2(h, lo)

    def midpoint(n: int) -> np.ndarray:
        return (_core.rolling_max(h, n, begin) + _core.rolling_min(lo, n, begin)) / 2.0

    tenkan_line = midpoint(n_tenkan)
    kijun_line = midpoint(n_kijun)
    columns = {
        "tenkan": tenkan_line,
        "kijun": kijun_line,
        "senkou_a": _shift_forward((tenkan_line + kijun_line) / 2.0, n_kijun),
        "senkou_b": _shift_forward(midpoint(n_senkou), n_kijun),
    }
    return to_frame(columns, high)


def _shift_forward(x: np.ndarray, bars: int) -> np.ndarray:
    out = np.full(x.shape[0], np.nan)
    if bars < x.shape[0]:
        out[bars:] = x[: x.shape[0] - bars]
    return out
