"""Vectorised technical indicators with TA-Lib conventions: Series in, index-aligned Series/DataFrame out.

Every function takes pandas Series (columns of a bars frame), returns values aligned to the input
index with NaN during the warm-up, skips leading NaNs the way TA-Lib does, and only ever uses data
up to and including each bar. Bad periods raise ParameterError; non-numeric input raises DataError.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.indicators.momentum import (
    adx,
    aroon,
    cci,
    cmo,
    macd,
    mom,
    ppo,
    roc,
    rsi,
    stoch_rsi,
    stochastic,
    trix,
    ultimate_oscillator,
    williams_r,
)
from engine.indicators.signals import crossover, crossunder
from engine.indicators.trend import dema, ema, ichimoku, kama, sma, tema, vwma, wma
from engine.indicators.volatility import (
    atr,
    bollinger,
    donchian,
    keltner,
    natr,
    psar,
    rolling_volatility,
    stddev,
    supertrend,
    true_range,
    zscore,
)
from engine.indicators.volume import ad, cmf, mfi, obv, vwap

INDICATORS: dict[str, Callable] = {
    # trend
    "sma": sma,
    "ema": ema,
    "wma": wma,
    "dema": dema,
    "tema": tema,
    "vwma": vwma,
    "kama": kama,
    "ichimoku": ichimoku,
    # momentum
    "rsi": rsi,
    "macd": macd,
    "stochastic": stochastic,
    "stoch_rsi": stoch_rsi,
    "cci": cci,
    "williams_r": williams_r,
    "roc": roc,
    "mom": mom,
    "cmo": cmo,
    "trix": trix,
    "ppo": ppo,
    "aroon": aroon,
    "ultimate_oscillator": ultimate_oscillator,
    "adx": adx,
    # volatility
    "atr": atr,
    "natr": natr,
    "true_range": true_range,
    "bollinger": bollinger,
    "keltner": keltner,
    "donchian": donchian,
    "supertrend": supertrend,
    "psar": psar,
    "rolling_volatility": rolling_volatility,
    "zscore": zscore,
    "stddev": stddev,
    # volume
    "obv": obv,
    "ad": ad,
    "mfi": mfi,
    "cmf": cmf,
    "vwap": vwap,
    # signals
    "crossover": crossover,
    "crossunder": crossunder,
}

__all__ = ["INDICATORS", *INDICATORS]
