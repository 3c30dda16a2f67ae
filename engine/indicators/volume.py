"""Volume indicators: OBV, accumulation/distribution, MFI, CMF and session-anchored VWAP."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import DataError, ParameterError
from engine.indicators import _core
from engine.indicators import _core_volume as _vol
from engine.indicators._inputs import aligned, to_series
from engine.indicators._inputs import period as _period


def obv(close: pd.Series, volume: pd.Series) -> pd.Series:
    """On-balance volume in volume units, starting from the first bar's volume (TA-Lib OBV).

    Raises DataError on bad input.
    """
    c, v = aligned(close=close, volume=volume)
    return to_series(_vol.obv(c, v, _core.first_valid2(c, v)), close, "obv")


def ad(high: pd.Series, low: pd.Series, close: pd.Series, volume: pd.Series) -> pd.Series:
    """Chaikin accumulation/distribution line in volume units (TA-Lib AD).

    Each bar adds volume * ((close-low) - (high-close)) / (high-low); bars with high == low add 0.
    Raises DataError on bad input.
    """
    h, lo, c, v = aligned(high=high, low=low, close=close, volume=volume)
    return to_series(_vol.ad(h, lo, c, v, _core.first_valid4(h, lo, c, v)), close, "ad")


def mfi(high: pd.Series, low: pd.Series, close: pd.Series, volume: pd.Series, period: int = 14) -> pd.Series:
    """Money flow index, 0-100: volume-weighted RSI of the typical price (TA-Lib MFI).

    Like TA-Lib it reports 0 when the window's total money flow is below 1. Raises DataError /
    ParameterError on bad input.
    """
    n = _period(period)
    h, lo, c, v = aligned(high=high, low=low, close=close, volume=volume)
    return to_series(_vol.mfi(h, lo, c, v, n, _core.first_valid4(h, lo, c, v)), close, "mfi")


def cmf(high: pd.Series, low: pd.Series, close: pd.Series, volume: pd.Series, period: int = 20) -> pd.Series:
    """Chaikin money flow, -1..1: sum of money-flow volume over sum of volume across `period` bars.

    Money-flow volume is volume * ((close-low) - (high-close)) / (high-low), 0 when high == low;
    the result is 0 when the window holds no volume. Raises DataError / ParameterError on bad input.
    """
    n = _period(period)
    h, lo, c, v = aligned(high=high, low=low, close=close, volume=volume)
    return to_series(_vol.cmf(h, lo, c, v, n, _core.first_valid4(h, lo, c, v)), close, "cmf")


def vwap(
    high: pd.Series, low: pd.Series, close: pd.Series, volume: pd.Series, session_tz: str = "Asia/Kolkata"
) -> pd.Series:
    """Session VWAP in price units: cumulative typical-price * volume over cumulative volume.

    It restarts at the first bar of each new local date in `session_tz`, so for daily bars it equals
    the typical price (high+low+close)/3; bars before any volume in a session also show the typical
    price (TA-Lib VWAP, which never restarts, shows 0 there). Needs a tz-aware DatetimeIndex. Raises DataError on bad data, ParameterError for an
    unknown time zone.
    """
    h, lo, c, v = aligned(high=high, low=low, close=close, volume=volume)
    return to_series(_vol.session_vwap(h, lo, c, v, _session_starts(close.index, session_tz)), close, "vwap")


def _session_starts(index: pd.Index, session_tz: str) -> np.ndarray:
    """True on the first bar of each local calendar date in session_tz."""
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise DataError(
            "vwap needs a tz-aware DatetimeIndex (Quantdesk bars are UTC); localize the index first"
        )
    try:
        local = index.tz_convert(session_tz)
    except (KeyError, ValueError, TypeError) as exc:  # zoneinfo/pytz signal unknown zones as KeyError
        raise ParameterError(
            f"unknown session_tz {session_tz!r}; use an IANA name such as 'Asia/Kolkata'"
        ) from exc
    days = local.normalize().asi8
    starts = np.ones(days.shape[0], dtype=np.bool_)
    starts[1:] = days[1:] != days[:-1]
    return starts
