"""Volatility indicators and price channels: ATR, Bollinger, Keltner, Donchian, SuperTrend, SAR, z-score."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import ParameterError
from engine.indicators import _core
from engine.indicators import _core_range as _range
from engine.indicators._inputs import aligned, number, to_frame, to_series, values
from engine.indicators._inputs import period as _period

_FLAT = 1e-10  # std below this fraction of the mean counts as a flat window


def true_range(high: pd.Series, low: pd.Series, close: pd.Series) -> pd.Series:
    """True range, max(high, prev close) - min(low, prev close), price units; NaN on the first bar.

    Equals TA-Lib TRANGE. Raises DataError on bad input.
    """
    h, lo, c = aligned(high=high, low=low, close=close)
    return to_series(_range.true_range(h, lo, c, _core.first_valid3(h, lo, c)), close, "true_range")


def _atr_array(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int) -> np.ndarray:
    return _range.atr(h, lo, c, n, _core.first_valid3(h, lo, c) + n)


def atr(high: pd.Series, low: pd.Series, close: pd.Series, period: int = 14) -> pd.Series:
    """Average true range, Wilder-smoothed and seeded with the mean of the first `period` true ranges.

    Price units, first value after `period` bars; equals TA-Lib ATR. Raises DataError / ParameterError.
    """
    n = _period(period)
    h, lo, c = aligned(high=high, low=low, close=close)
    return to_series(_atr_array(h, lo, c, n), close, "atr")


def natr(high: pd.Series, low: pd.Series, close: pd.Series, period: int = 14) -> pd.Series:
    """Normalised ATR: 100 * ATR / close, in percent of price (0 where close is 0) (TA-Lib NATR).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    h, lo, c = aligned(high=high, low=low, close=close)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (_atr_array(h, lo, c, n) / c) * 100.0
    out[np.abs(c) < _core.TA_EPSILON] = 0.0
    return to_series(out, close, "natr")


def stddev(close: pd.Series, period: int = 20) -> pd.Series:
    """Population standard deviation over `period` bars, price units (TA-Lib STDDEV, nbdev=1).

    Like TA-Lib it is computed from running sums and reports 0 when the variance is below 1e-8.
    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    x = values(close, "close")
    return to_series(_std_from_var(_core.rolling_var(x, n, _core.first_valid(x))), close, "stddev")


def _std_from_var(var: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(var < _core.TA_EPSILON, 0.0, np.sqrt(np.maximum(var, 0.0)))


def bollinger(close: pd.Series, period: int = 20, nbdev: float = 2.0) -> pd.DataFrame:
    """Bollinger bands in price units: middle = SMA, upper/lower = middle +/- nbdev * population std.

    Equals TA-Lib BBANDS(period, nbdev, nbdev, SMA), including its rule that a variance below 1e-8
    counts as 0 (bands collapse onto the middle for prices around 1e-4 or less).
    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    width = number(nbdev, "nbdev")
    x = values(close, "close")
    begin = _core.first_valid(x)
    middle = _core.sma(x, n, begin)
    band = _std_from_var(_core.rolling_var(x, n, begin)) * width
    band[np.isnan(middle)] = np.nan
    return to_frame({"upper": middle + band, "middle": middle, "lower": middle - band}, close)


def keltner(
    high: pd.Series,
    low: pd.Series,
    close: pd.Series,
    period: int = 20,
    atr_period: int = 10,
    multiplier: float = 2.0,
) -> pd.DataFrame:
    """Keltner channel in price units: middle = EMA of the typical price, bands = middle +/- multiplier * ATR.

    Equals TA-Lib KC: the typical price is (high+low+close)/3, the ATR is Wilder's over `atr_period`,
    and both legs are seeded on the first bar where both can exist (EMA with the SMA of the `period`
    typical prices ending there, ATR with the mean of the `atr_period` true ranges ending there).
    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    n_atr = _period(atr_period, "atr_period")
    width = number(multiplier, "multiplier")
    h, lo, c = aligned(high=high, low=low, close=close)
    start = _core.first_valid3(h, lo, c) + max(n - 1, n_atr)
    middle = _core.ema((h + lo + c) / 3.0, n, 2.0 / (n + 1), start)
    band = _range.atr(h, lo, c, n_atr, start) * width
    return to_frame({"upper": middle + band, "middle": middle, "lower": middle - band}, close)


def donchian(high: pd.Series, low: pd.Series, period: int = 20) -> pd.DataFrame:
    """Donchian channel in price units: highest high, lowest low and their midpoint over `period` bars.

    Includes the current bar (TA-Lib DONCHIAN). Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    h, lo = aligned(high=high, low=low)
    begin = _core.first_valid2(h, lo)
    upper = _core.rolling_max(h, n, begin)
    lower = _core.rolling_min(lo, n, begin)
    return to_frame({"upper": upper, "middle": (upper + lower) / 2.0, "lower": lower}, high)


def supertrend(
    high: pd.Series, low: pd.Series, close: pd.Series, period: int = 10, multiplier: float = 3.0
) -> pd.DataFrame:
    """SuperTrend: columns supertrend (price units) and direction (+1 up, -1 down).

    Standard final-band algorithm on Wilder ATR(period) around (high+low)/2: a band only tightens until
    a close crosses it; the line is the lower band in an uptrend, the upper band in a downtrend. The
    first bar starts in an uptrend (TA-Lib SUPERTREND's convention). Raises DataError / ParameterError.
    """
    n = _period(period)
    width = number(multiplier, "multiplier")
    h, lo, c = aligned(high=high, low=low, close=close)
    line, direction = _range.supertrend(h, lo, c, n, width, _core.first_valid3(h, lo, c))
    return to_frame({"supertrend": line, "direction": direction}, close)


def psar(high: pd.Series, low: pd.Series, acceleration: float = 0.02, maximum: float = 0.2) -> pd.Series:
    """Parabolic SAR stop level in price units (TA-Lib SAR); first value on the second bar.

    Raises ParameterError unless 0 < acceleration <= maximum, DataError on bad data.
    """
    step = number(acceleration, "acceleration", strict=True)
    cap = number(maximum, "maximum", strict=True)
    if step > cap:
        raise ParameterError(f"acceleration ({step}) must not exceed maximum ({cap})")
    h, lo = aligned(high=high, low=low)
    return to_series(_range.sar(h, lo, step, cap, _core.first_valid2(h, lo)), high, "psar")


def rolling_volatility(close: pd.Series, period: int = 20, periods_per_year: float = 252) -> pd.Series:
    """Annualised volatility, decimal: sample std (ddof=1) of `period` simple returns * sqrt(periods_per_year).

    periods_per_year is bars per year (252 for daily equities/indices, 365 for daily crypto; scale up
    for intraday bars). Raises ParameterError for period < 2 or periods_per_year <= 0.
    """
    n = _period(period, minimum=2)
    per_year = number(periods_per_year, "periods_per_year", strict=True)
    x = values(close, "close")
    returns = np.full(x.shape[0], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns[1:] = x[1:] / x[:-1] - 1.0
    _, std = _core.rolling_mean_std(returns, n, _core.first_valid(returns), 1)
    return to_series(std * np.sqrt(per_year), close, "rolling_volatility")


def zscore(close: pd.Series, period: int = 20) -> pd.Series:
    """(close - mean)/std over the last `period` bars, population std (ddof=0), unitless.

    NaN where the window is flat (std below 1e-10 of the mean). Raises ParameterError for period < 2, DataError on bad data.
    """
    n = _period(period, minimum=2)
    x = values(close, "close")
    mean, std = _core.rolling_mean_std(x, n, _core.first_valid(x), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a flat window has std of a few ulps from rounding the mean, not 0: treat it as flat
        out = np.where(std > _FLAT * np.abs(mean), (x - mean) / std, np.nan)
    return to_series(out, close, "zscore")
