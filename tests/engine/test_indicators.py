"""Indicators against TA-Lib on real GOOG bars, on bars with leading NaNs and on too-short series."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import talib

import engine.indicators as ind

RTOL = 1e-6
# Only bites on values that are 0 up to rounding (e.g. a running sum's residue after a flat stretch).
ATOL = 1e-9

Ours = Callable[[pd.DataFrame], pd.Series | pd.DataFrame]
Reference = Callable[[pd.DataFrame], tuple[np.ndarray, ...]]


def _ref(func: Callable[..., object]) -> Callable[..., tuple[np.ndarray, ...]]:
    """Wrap a TA-Lib call so it always yields a tuple of float arrays."""

    def call(*args: object, **kwargs: object) -> tuple[np.ndarray, ...]:
        out = func(*args, **kwargs)
        outs = out if isinstance(out, tuple) else (out,)
        return tuple(np.asarray(o, dtype=float) for o in outs)

    return call


T = {name: _ref(getattr(talib, name)) for name in talib.get_functions()}

# (case id, ours(bars), talib(bars), our columns in TA-Lib's output order or None for a Series)
CASES: list[tuple[str, Ours, Reference, list[str] | None]] = [
    ("sma", lambda b: ind.sma(b.close), lambda b: T["SMA"](b.close, 20), None),
    ("sma_5", lambda b: ind.sma(b.close, 5), lambda b: T["SMA"](b.close, 5), None),
    ("ema", lambda b: ind.ema(b.close), lambda b: T["EMA"](b.close, 20), None),
    ("ema_50", lambda b: ind.ema(b.close, 50), lambda b: T["EMA"](b.close, 50), None),
    ("wma", lambda b: ind.wma(b.close), lambda b: T["WMA"](b.close, 20), None),
    ("wma_7", lambda b: ind.wma(b.close, 7), lambda b: T["WMA"](b.close, 7), None),
    ("dema", lambda b: ind.dema(b.close), lambda b: T["DEMA"](b.close, 20), None),
    ("tema", lambda b: ind.tema(b.close), lambda b: T["TEMA"](b.close, 20), None),
    ("tema_9", lambda b: ind.tema(b.close, 9), lambda b: T["TEMA"](b.close, 9), None),
    ("vwma", lambda b: ind.vwma(b.close, b.volume), lambda b: T["VWMA"](b.close, b.volume, 20), None),
    ("kama", lambda b: ind.kama(b.close), lambda b: T["KAMA"](b.close, 30), None),
    ("kama_10", lambda b: ind.kama(b.close, 10), lambda b: T["KAMA"](b.close, 10), None),
    ("rsi", lambda b: ind.rsi(b.close), lambda b: T["RSI"](b.close, 14), None),
    ("rsi_5", lambda b: ind.rsi(b.close, 5), lambda b: T["RSI"](b.close, 5), None),
    (
        "macd",
        lambda b: ind.macd(b.close),
        lambda b: T["MACD"](b.close, 12, 26, 9),
        ["macd", "signal", "hist"],
    ),
    (
        "macd_5_35_5",
        lambda b: ind.macd(b.close, 5, 35, 5),
        lambda b: T["MACD"](b.close, 5, 35, 5),
        ["macd", "signal", "hist"],
    ),
    (
        "stochastic",
        lambda b: ind.stochastic(b.high, b.low, b.close),
        lambda b: T["STOCH"](b.high, b.low, b.close, 14, 3, 0, 3, 0),
        ["k", "d"],
    ),
    (
        "stochastic_5_2_4",
        lambda b: ind.stochastic(b.high, b.low, b.close, 5, 2, 4),
        lambda b: T["STOCH"](b.high, b.low, b.close, 5, 2, 0, 4, 0),
        ["k", "d"],
    ),
    (
        "stoch_rsi",
        lambda b: ind.stoch_rsi(b.close),
        lambda b: T["STOCHRSI"](b.close, 14, 14, 3, 0),
        ["k", "d"],
    ),
    (
        "stoch_rsi_10_5_2",
        lambda b: ind.stoch_rsi(b.close, 10, 5, 2),
        lambda b: T["STOCHRSI"](b.close, 10, 5, 2, 0),
        ["k", "d"],
    ),
    ("cci", lambda b: ind.cci(b.high, b.low, b.close), lambda b: T["CCI"](b.high, b.low, b.close, 20), None),
    (
        "williams_r",
        lambda b: ind.williams_r(b.high, b.low, b.close),
        lambda b: T["WILLR"](b.high, b.low, b.close, 14),
        None,
    ),
    ("roc", lambda b: ind.roc(b.close), lambda b: T["ROC"](b.close, 10), None),
    ("mom", lambda b: ind.mom(b.close), lambda b: T["MOM"](b.close, 10), None),
    ("cmo", lambda b: ind.cmo(b.close), lambda b: T["CMO"](b.close, 14), None),
    ("trix", lambda b: ind.trix(b.close), lambda b: T["TRIX"](b.close, 30), None),
    ("trix_9", lambda b: ind.trix(b.close, 9), lambda b: T["TRIX"](b.close, 9), None),
    ("ppo", lambda b: ind.ppo(b.close), lambda b: T["PPO"](b.close, 12, 26, 1), None),
    ("aroon", lambda b: ind.aroon(b.high, b.low), lambda b: T["AROON"](b.high, b.low, 14), ["down", "up"]),
    (
        "aroon_osc",
        lambda b: ind.aroon(b.high, b.low, 25).osc,
        lambda b: T["AROONOSC"](b.high, b.low, 25),
        None,
    ),
    (
        "ultimate_oscillator",
        lambda b: ind.ultimate_oscillator(b.high, b.low, b.close),
        lambda b: T["ULTOSC"](b.high, b.low, b.close, 7, 14, 28),
        None,
    ),
    (
        "ultimate_oscillator_unsorted",
        lambda b: ind.ultimate_oscillator(b.high, b.low, b.close, 20, 5, 10),
        lambda b: T["ULTOSC"](b.high, b.low, b.close, 20, 5, 10),
        None,
    ),
    (
        "adx",
        lambda b: ind.adx(b.high, b.low, b.close),
        lambda b: (
            *T["ADX"](b.high, b.low, b.close, 14),
            *T["PLUS_DI"](b.high, b.low, b.close, 14),
            *T["MINUS_DI"](b.high, b.low, b.close, 14),
        ),
        ["adx", "plus_di", "minus_di"],
    ),
    ("atr", lambda b: ind.atr(b.high, b.low, b.close), lambda b: T["ATR"](b.high, b.low, b.close, 14), None),
    (
        "atr_1",
        lambda b: ind.atr(b.high, b.low, b.close, 1),
        lambda b: T["ATR"](b.high, b.low, b.close, 1),
        None,
    ),
    (
        "natr",
        lambda b: ind.natr(b.high, b.low, b.close),
        lambda b: T["NATR"](b.high, b.low, b.close, 14),
        None,
    ),
    (
        "true_range",
        lambda b: ind.true_range(b.high, b.low, b.close),
        lambda b: T["TRANGE"](b.high, b.low, b.close),
        None,
    ),
    (
        "bollinger",
        lambda b: ind.bollinger(b.close),
        lambda b: T["BBANDS"](b.close, 20, 2.0, 2.0, 0),
        ["upper", "middle", "lower"],
    ),
    (
        "bollinger_10_1.5",
        lambda b: ind.bollinger(b.close, 10, 1.5),
        lambda b: T["BBANDS"](b.close, 10, 1.5, 1.5, 0),
        ["upper", "middle", "lower"],
    ),
    (
        "keltner",
        lambda b: ind.keltner(b.high, b.low, b.close),
        lambda b: T["KC"](b.high, b.low, b.close, 20, 10, 2.0),
        ["upper", "middle", "lower"],
    ),
    (
        "keltner_5_30_1.5",
        lambda b: ind.keltner(b.high, b.low, b.close, 5, 30, 1.5),
        lambda b: T["KC"](b.high, b.low, b.close, 5, 30, 1.5),
        ["upper", "middle", "lower"],
    ),
    (
        "donchian",
        lambda b: ind.donchian(b.high, b.low),
        lambda b: T["DONCHIAN"](b.high, b.low, 20),
        ["upper", "middle", "lower"],
    ),
    (
        "supertrend",
        lambda b: ind.supertrend(b.high, b.low, b.close),
        lambda b: T["SUPERTREND"](b.high, b.low, b.close, 10, 3.0),
        ["supertrend", "direction"],
    ),
    (
        "supertrend_7_2",
        lambda b: ind.supertrend(b.high, b.low, b.close, 7, 2.0),
        lambda b: T["SUPERTREND"](b.high, b.low, b.close, 7, 2.0),
        ["supertrend", "direction"],
    ),
    ("psar", lambda b: ind.psar(b.high, b.low), lambda b: T["SAR"](b.high, b.low, 0.02, 0.2), None),
    (
        "psar_fast",
        lambda b: ind.psar(b.high, b.low, 0.05, 0.3),
        lambda b: T["SAR"](b.high, b.low, 0.05, 0.3),
        None,
    ),
    ("stddev", lambda b: ind.stddev(b.close), lambda b: T["STDDEV"](b.close, 20, 1.0), None),
    ("obv", lambda b: ind.obv(b.close, b.volume), lambda b: T["OBV"](b.close, b.volume), None),
    (
        "ad",
        lambda b: ind.ad(b.high, b.low, b.close, b.volume),
        lambda b: T["AD"](b.high, b.low, b.close, b.volume),
        None,
    ),
    (
        "mfi",
        lambda b: ind.mfi(b.high, b.low, b.close, b.volume),
        lambda b: T["MFI"](b.high, b.low, b.close, b.volume, 14),
        None,
    ),
    (
        "cmf",
        lambda b: ind.cmf(b.high, b.low, b.close, b.volume),
        lambda b: T["CMF"](b.high, b.low, b.close, b.volume, 20),
        None,
    ),
    (
        "vwap_daily",
        lambda b: ind.vwap(b.high, b.low, b.close, b.volume),
        lambda b: (T["TYPPRICE"](b.high, b.low, b.close)[0],),
        None,
    ),
]


def _columns(result: pd.Series | pd.DataFrame, columns: list[str] | None) -> list[np.ndarray]:
    if columns is None:
        assert isinstance(result, pd.Series)
        return [result.to_numpy(dtype=float)]
    assert isinstance(result, pd.DataFrame)
    return [result[col].to_numpy(dtype=float) for col in columns]


def _reference(ref: Reference, bars: pd.DataFrame, case_id: str) -> list[np.ndarray]:
    outs = list(ref(bars))
    if case_id.startswith("supertrend"):
        # TA-Lib's trend flag is an integer array holding 0 during the warm-up: blank it like ours.
        outs[1] = np.where(np.isnan(outs[0]), np.nan, outs[1])
    return outs


def assert_matches_talib(
    bars: pd.DataFrame, ours: Ours, ref: Reference, columns: list[str] | None, case_id: str
):
    result = ours(bars)
    assert result.index.equals(bars.index)
    mine = _columns(result, columns)
    theirs = _reference(ref, bars, case_id)
    assert len(mine) == len(theirs)
    for name, a, b in zip(columns or [case_id], mine, theirs, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{case_id}.{name}: warm-up differs")
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=f"{case_id}.{name}: values differ")


@pytest.fixture(scope="module")
def goog_with_leading_nans(goog: pd.DataFrame) -> pd.DataFrame:
    """400 GOOG bars whose columns start with NaN runs of different lengths (as after a join)."""
    bars = goog.iloc[:400].copy()
    for column, count in (("close", 7), ("high", 5), ("low", 9), ("volume", 3)):
        bars.iloc[:count, bars.columns.get_loc(column)] = np.nan
    return bars


@pytest.mark.parametrize(("case_id", "ours", "ref", "columns"), CASES, ids=[c[0] for c in CASES])
def test_matches_talib_on_goog(goog, case_id, ours, ref, columns):
    assert_matches_talib(goog, ours, ref, columns, case_id)


@pytest.mark.parametrize(("case_id", "ours", "ref", "columns"), CASES, ids=[c[0] for c in CASES])
def test_matches_talib_after_leading_nans(goog_with_leading_nans, case_id, ours, ref, columns):
    assert_matches_talib(goog_with_leading_nans, ours, ref, columns, case_id)


@pytest.mark.parametrize(("case_id", "ours", "ref", "columns"), CASES, ids=[c[0] for c in CASES])
def test_short_series_is_all_nan_like_talib(goog, case_id, ours, ref, columns):
    short = goog.iloc[:5]
    assert_matches_talib(short, ours, ref, columns, case_id)
    if case_id not in {"true_range", "psar", "psar_fast", "obv", "ad", "vwap_daily", "atr_1", "sma_5"}:
        assert all(np.isnan(col).all() for col in _columns(ours(short), columns))


def test_leading_nans_shift_the_warm_up(goog_with_leading_nans):
    """With close NaN for 7 bars, SMA(20) starts at bar 7 + 19 = 26, as in TA-Lib."""
    out = ind.sma(goog_with_leading_nans.close, 20)
    assert out.iloc[:26].isna().all()
    assert out.iloc[26] == pytest.approx(goog_with_leading_nans.close.iloc[7:27].mean(), rel=1e-12)


def test_vwap_matches_talib_within_each_session():
    """Session VWAP equals TA-Lib's whole-series VWAP applied to each IST session separately."""
    rng = np.random.default_rng(3)
    day1 = pd.date_range("2024-03-04 09:15", periods=75, freq="5min", tz="Asia/Kolkata")
    day2 = pd.date_range("2024-03-05 09:15", periods=75, freq="5min", tz="Asia/Kolkata")
    index = day1.append(day2).tz_convert("UTC")
    close = pd.Series(100 + rng.normal(0, 0.3, len(index)).cumsum(), index=index)
    high = close + rng.uniform(0, 0.5, len(index))
    low = close - rng.uniform(0, 0.5, len(index))
    volume = pd.Series(rng.integers(100, 10_000, len(index)).astype(float), index=index)
    ours = ind.vwap(high, low, close, volume)
    for part in (slice(0, 75), slice(75, 150)):
        expected = talib.VWAP(high.iloc[part], low.iloc[part], close.iloc[part], volume.iloc[part])
        np.testing.assert_allclose(ours.iloc[part], expected, rtol=RTOL)
