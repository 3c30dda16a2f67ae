"""Momentum indicators and oscillators, matching TA-Lib's values and warm-up lengths."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import ParameterError
from engine.indicators import _core
from engine.indicators import _core_momentum as _mom
from engine.indicators import _core_range as _range
from engine.indicators._inputs import aligned, to_frame, to_series, values
from engine.indicators._inputs import period as _period


def rsi(close: pd.Series, period: int = 14) -> pd.Series:
    """Relative strength index, 0-100, Wilder-smoothed gains and losses (TA-Lib RSI).

    First value after `period` bars. Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    x = values(close, "close")
    return to_series(_mom.wilder_gain_loss(x, n, _core.first_valid(x), False), close, "rsi")


def cmo(close: pd.Series, period: int = 14) -> pd.Series:
    """Chande momentum oscillator, -100..100, on Wilder-smoothed gains and losses (TA-Lib CMO).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    x = values(close, "close")
    return to_series(_mom.wilder_gain_loss(x, n, _core.first_valid(x), True), close, "cmo")


def _fast_slow_emas(x: np.ndarray, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Fast and slow EMAs both starting at the slow EMA's first bar, as TA-Lib MACD/PPO seed them."""
    seed_end = _core.first_valid(x) + slow - 1
    fast_ema = _core.ema(x, fast, 2.0 / (fast + 1), seed_end)
    slow_ema = _core.ema(x, slow, 2.0 / (slow + 1), seed_end)
    return fast_ema, slow_ema, seed_end


def _fast_slow(fast: object, slow: object) -> tuple[int, int]:
    f = _period(fast, "fast")
    s = _period(slow, "slow")
    if f >= s:
        raise ParameterError(f"fast period ({f}) must be shorter than slow period ({s})")
    return f, s


def macd(close: pd.Series, fast: int = 12, slow: int = 26, signal: int = 9) -> pd.DataFrame:
    """MACD in price units: columns macd (fast EMA - slow EMA), signal (its EMA), hist (macd - signal).

    Equals TA-Lib MACD: the fast EMA is seeded on the same bar as the slow one and all three columns
    start after slow+signal-2 bars. Raises ParameterError if fast >= slow or a period < 1.
    """
    f, s = _fast_slow(fast, slow)
    g = _period(signal, "signal")
    x = values(close, "close")
    fast_ema, slow_ema, seed_end = _fast_slow_emas(x, f, s)
    line = fast_ema - slow_ema
    signal_line = _core.ema(line, g, 2.0 / (g + 1), seed_end + g - 1)
    line[: min(seed_end + g - 1, line.shape[0])] = np.nan
    return to_frame({"macd": line, "signal": signal_line, "hist": line - signal_line}, close)


def ppo(close: pd.Series, fast: int = 12, slow: int = 26) -> pd.Series:
    """Percentage price oscillator, 100*(fast EMA - slow EMA)/slow EMA, in percent (TA-Lib PPO, EMA).

    Each EMA is seeded on its own, like ema(); 0 where the slow EMA is 0.

    Raises ParameterError if fast >= slow or a period < 1, DataError on non-numeric input.
    """
    f, s = _fast_slow(fast, slow)
    x = values(close, "close")
    fast_ema = _core.ema_after_nans(x, f)
    slow_ema = _core.ema_after_nans(x, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = ((fast_ema - slow_ema) / slow_ema) * 100.0
    out[np.abs(slow_ema) < _core.TA_EPSILON] = 0.0
    return to_series(out, close, "ppo")


def stochastic(
    high: pd.Series,
    low: pd.Series,
    close: pd.Series,
    k_period: int = 14,
    k_smooth: int = 3,
    d_period: int = 3,
) -> pd.DataFrame:
    """Slow stochastic in percent: k = SMA(raw %K, k_smooth), d = SMA(k, d_period) (TA-Lib STOCH, SMA).

    Both columns start where d does. Raises DataError / ParameterError on bad input.
    """
    nk = _period(k_period, "k_period")
    ns = _period(k_smooth, "k_smooth")
    nd = _period(d_period, "d_period")
    h, lo, c = aligned(high=high, low=low, close=close)
    raw = _mom.fast_k(h, lo, c, nk, _core.first_valid3(h, lo, c))
    k, d = _smooth_k_d(_core.sma(raw, ns, _core.first_valid(raw)), nd)
    return to_frame({"k": k, "d": d}, close)


def stoch_rsi(close: pd.Series, period: int = 14, k_period: int = 14, d_period: int = 3) -> pd.DataFrame:
    """Stochastic RSI in percent: k = raw stochastic of RSI(period) over k_period bars, d = SMA(k, d_period).

    Equals TA-Lib STOCHRSI(period, fastk_period=k_period, fastd_period=d_period); k is not smoothed.
    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    nk = _period(k_period, "k_period")
    nd = _period(d_period, "d_period")
    x = values(close, "close")
    r = _mom.wilder_gain_loss(x, n, _core.first_valid(x), False)
    k, d = _smooth_k_d(_mom.fast_k(r, r, r, nk, _core.first_valid(r)), nd)
    return to_frame({"k": k, "d": d}, close)


def _smooth_k_d(k: np.ndarray, d_period: int) -> tuple[np.ndarray, np.ndarray]:
    """d = SMA(k); k is blanked until d exists, as TA-Lib outputs both from one start bar."""
    d = _core.sma(k, d_period, _core.first_valid(k))
    k[: _core.first_valid(d)] = np.nan
    return k, d


def cci(high: pd.Series, low: pd.Series, close: pd.Series, period: int = 20) -> pd.Series:
    """Commodity channel index: (typical - mean)/(0.015 * mean deviation), unitless (TA-Lib CCI).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    h, lo, c = aligned(high=high, low=low, close=close)
    return to_series(_mom.cci(h, lo, c, n, _core.first_valid3(h, lo, c)), close, "cci")


def williams_r(high: pd.Series, low: pd.Series, close: pd.Series, period: int = 14) -> pd.Series:
    """Williams %R, -100 (close at the low) to 0 (close at the high) (TA-Lib WILLR).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    h, lo, c = aligned(high=high, low=low, close=close)
    return to_series(_mom.williams_r(h, lo, c, n, _core.first_valid3(h, lo, c)), close, "williams_r")


def roc(close: pd.Series, period: int = 10) -> pd.Series:
    """Rate of change in percent, 100*(close/close[t-period] - 1); 0 when the old price is 0 (TA-Lib ROC).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    return to_series(_roc(values(close, "close"), n), close, "roc")


def _roc(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(x.shape[0], np.nan)
    if n < x.shape[0]:
        prev = x[:-n]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[n:] = np.where(prev == 0.0, 0.0, ((x[n:] / prev) - 1.0) * 100.0)
    return out


def mom(close: pd.Series, period: int = 10) -> pd.Series:
    """Momentum, close - close[t-period], in price units (TA-Lib MOM).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    x = values(close, "close")
    out = np.full(x.shape[0], np.nan)
    if n < x.shape[0]:
        out[n:] = x[n:] - x[:-n]
    return to_series(out, close, "mom")


def trix(close: pd.Series, period: int = 30) -> pd.Series:
    """TRIX: one-bar rate of change, in percent, of a triple EMA (TA-Lib TRIX).

    Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    triple = _core.ema_after_nans(values(close, "close"), n)
    triple = _core.ema_after_nans(_core.ema_after_nans(triple, n), n)
    return to_series(_roc(triple, 1), close, "trix")


def aroon(high: pd.Series, low: pd.Series, period: int = 14) -> pd.DataFrame:
    """Aroon in percent: columns down, up (100 = extreme on this bar) and osc = up - down (TA-Lib AROON).

    The window spans period+1 bars. Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    h, lo = aligned(high=high, low=low)
    down, up = _mom.aroon(h, lo, n, _core.first_valid2(h, lo))
    return to_frame({"down": down, "up": up, "osc": up - down}, high)


def ultimate_oscillator(
    high: pd.Series, low: pd.Series, close: pd.Series, p1: int = 7, p2: int = 14, p3: int = 28
) -> pd.Series:
    """Ultimate oscillator, 0-100: buying pressure over true range on three windows weighted 4:2:1.

    The periods are sorted so the shortest gets weight 4, as TA-Lib ULTOSC does.
    Raises DataError / ParameterError on bad input.
    """
    short, middle, long = sorted((_period(p1, "p1"), _period(p2, "p2"), _period(p3, "p3")))
    h, lo, c = aligned(high=high, low=low, close=close)
    out = _mom.ultimate_oscillator(h, lo, c, short, middle, long, _core.first_valid3(h, lo, c))
    return to_series(out, close, "ultimate_oscillator")


def adx(high: pd.Series, low: pd.Series, close: pd.Series, period: int = 14) -> pd.DataFrame:
    """Average directional index and directional indicators, 0-100: columns adx, plus_di, minus_di.

    Wilder smoothing; plus_di/minus_di start after `period` bars and adx after 2*period-1, equal to
    TA-Lib PLUS_DI, MINUS_DI and ADX. Raises ParameterError for period < 2, DataError on bad data.
    """
    n = _period(period, minimum=2)
    h, lo, c = aligned(high=high, low=low, close=close)
    adx_line, plus_di, minus_di = _range.adx(h, lo, c, n, _core.first_valid3(h, lo, c))
    return to_frame({"adx": adx_line, "plus_di": plus_di, "minus_di": minus_di}, close)
