"""Hand-checked indicator values on tiny frames (numbers worked out on paper in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import engine.indicators as ind

NAN = np.nan


def s(values: list[float], index: pd.Index | None = None) -> pd.Series:
    return pd.Series(values, index=index, dtype=float)


def assert_values(actual: pd.Series, expected: list[float]) -> None:
    np.testing.assert_allclose(actual.to_numpy(dtype=float), np.array(expected, dtype=float), rtol=1e-9)


def test_vwma_weights_by_volume_and_is_nan_without_volume():
    close, volume = s([10, 11, 12, 13]), s([1, 3, 0, 0])
    # (10*1 + 11*3)/4 = 10.75; (11*3 + 12*0)/3 = 11; last window has no volume
    assert_values(ind.vwma(close, volume, 2), [NAN, 10.75, 11.0, NAN])


def test_donchian_channel():
    high, low = s([5, 7, 6, 4, 8]), s([3, 4, 2, 3, 5])
    out = ind.donchian(high, low, 3)
    assert list(out.columns) == ["upper", "middle", "lower"]
    assert_values(out.upper, [NAN, NAN, 7, 7, 8])
    assert_values(out.lower, [NAN, NAN, 2, 2, 2])
    assert_values(out.middle, [NAN, NAN, 4.5, 4.5, 5])


def test_keltner_channel():
    high, low, close = s([11, 12, 14, 13]), s([9, 10, 11, 10]), s([10, 11, 13, 11])
    out = ind.keltner(high, low, close, period=2, atr_period=2, multiplier=1.0)
    # typical prices 10, 11, 38/3, 34/3; both legs start at bar max(2-1, 2) = 2
    # EMA: seed (11 + 38/3)/2 = 71/6, then 71/6 * 1/3 + 34/3 * 2/3 = 11.5
    # true ranges 2, 3, 3: ATR seed (2+3)/2 = 2.5, then (2.5 + 3)/2 = 2.75
    assert_values(out.middle, [NAN, NAN, 71 / 6, 11.5])
    assert_values(out.upper, [NAN, NAN, 71 / 6 + 2.5, 14.25])
    assert_values(out.lower, [NAN, NAN, 71 / 6 - 2.5, 8.75])


def test_supertrend_flips_down_then_up():
    high = s([10, 11, 12, 13, 14, 12, 9, 8, 12])
    low = s([9, 10, 11, 12, 13, 10, 7, 6, 11])
    close = s([9.5, 10.5, 11.5, 12.5, 13.5, 10.5, 7.5, 6.5, 11.8])
    out = ind.supertrend(high, low, close, period=2, multiplier=1.0)
    # ATR(2): 1.5, 1.5, 1.5, 2.5, 3.0, 2.5, 4.0 from bar 2; lower band ratchets 10 -> 11 -> 12 while up;
    # bar 5 closes 10.5 < 12 -> down on the upper band 13.5; it tightens to 11, 9.5; bar 8 closes 11.8 > 9.5
    # -> up on the lower band max(7.5, 5) = 7.5
    assert_values(out.supertrend, [NAN, NAN, 10, 11, 12, 13.5, 11, 9.5, 7.5])
    assert_values(out.direction, [NAN, NAN, 1, 1, 1, -1, -1, -1, 1])


def _ist(*stamps: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(stamps).tz_localize("Asia/Kolkata").tz_convert("UTC").rename("ts")


def test_vwap_restarts_each_session():
    index = _ist(
        "2024-03-04 09:15", "2024-03-04 09:20", "2024-03-04 09:25", "2024-03-05 09:15", "2024-03-05 09:20"
    )
    high = s([101, 102, 103, 201, 202], index)
    low = s([99, 100, 101, 199, 200], index)
    close = s([100, 101, 102, 200, 201], index)
    volume = s([100, 200, 300, 50, 150], index)
    # typical prices 100, 101, 102 | 200, 201
    # day 1: 100; (100*100 + 101*200)/300 = 100.667; (30200 + 102*300)/600 = 101.333
    # day 2 restarts: 200; (200*50 + 201*150)/200 = 200.75
    assert_values(ind.vwap(high, low, close, volume), [100, 30200 / 300, 60800 / 600, 200, 200.75])


def test_vwap_sessions_follow_the_local_date_not_utc():
    # 17:30 and 19:00 UTC fall on one UTC date but on two IST dates (23:00 and 00:30 IST)
    index = pd.DatetimeIndex(["2024-03-04 17:30", "2024-03-04 19:00"], tz="UTC")
    high, low, close = s([11, 21], index), s([9, 19], index), s([10, 20], index)
    volume = s([1, 1], index)
    assert_values(ind.vwap(high, low, close, volume), [10, 20])
    assert_values(ind.vwap(high, low, close, volume, session_tz="UTC"), [10, 15])


def test_vwap_on_daily_bars_is_the_typical_price(goog):
    out = ind.vwap(goog.high, goog.low, goog.close, goog.volume)
    np.testing.assert_allclose(out, (goog.high + goog.low + goog.close) / 3, rtol=1e-12)


def test_vwap_without_volume_shows_the_typical_price():
    index = _ist("2024-03-04 09:15", "2024-03-04 09:20")
    out = ind.vwap(s([11, 13], index), s([9, 11], index), s([10, 12], index), s([0, 0], index))
    assert_values(out, [10, 12])


def test_zscore():
    out = ind.zscore(s([1, 2, 3, 4, 5, 5, 5, 5]), 3)
    # [1,2,3]: mean 2, population std sqrt(2/3) -> 1/sqrt(2/3) = 1.2247 (same for [2,3,4], [3,4,5])
    # [4,5,5]: mean 14/3, std sqrt(2/9) -> (1/3)/sqrt(2/9) = 0.7071; [5,5,5] is flat -> NaN
    z = 1 / math.sqrt(2 / 3)
    assert_values(out, [NAN, NAN, z, z, z, (1 / 3) / math.sqrt(2 / 9), NAN, NAN])


def test_zscore_of_a_flat_decimal_series_is_nan_not_rounding_noise():
    assert ind.zscore(s([0.1] * 6), 3).isna().all()


def test_ichimoku_lines_and_forward_shift():
    high = s([10, 12, 11, 15, 14, 13, 16, 12])
    low = s([8, 9, 10, 11, 12, 9, 13, 10])
    out = ind.ichimoku(high, low, high, tenkan=2, kijun=3, senkou_b=4)
    assert list(out.columns) == ["tenkan", "kijun", "senkou_a", "senkou_b"]
    assert_values(out.tenkan, [NAN, 10, 10.5, 12.5, 13, 11.5, 12.5, 13])
    assert_values(out.kijun, [NAN, NAN, 10, 12, 12.5, 12, 12.5, 12.5])
    # (tenkan + kijun)/2 from bar 2 on is 10.25, 12.25, 12.75, ...; shown kijun=3 bars later
    assert_values(out.senkou_a, [NAN, NAN, NAN, NAN, NAN, 10.25, 12.25, 12.75])
    # 4-bar midpoints 11.5 (bar 3), 12 (bar 4) shown 3 bars later
    assert_values(out.senkou_b, [NAN, NAN, NAN, NAN, NAN, NAN, 11.5, 12])


def test_ichimoku_has_no_chikou_span(goog):
    out = ind.ichimoku(goog.high, goog.low, goog.close)
    assert "chikou" not in " ".join(out.columns)
    assert "look-ahead" in ind.ichimoku.__doc__


def test_cmf():
    high, low, close = s([10, 12, 11, 10]), s([8, 10, 11, 8]), s([9.5, 10, 11, 10])
    volume = s([100, 200, 300, 400])
    # money-flow volume: 0.5*100 = 50, -1*200 = -200, 0 (high == low), 1*400 = 400
    assert_values(ind.cmf(high, low, close, volume, 2), [NAN, -150 / 300, -200 / 500, 400 / 700])


def test_cmf_without_volume_is_zero():
    zeros = s([0, 0, 0])
    assert_values(ind.cmf(s([2, 3, 4]), s([1, 1, 1]), s([2, 2, 2]), zeros, 2), [NAN, 0, 0])


def test_rolling_volatility_hand_checked():
    # returns +10%, -10%, +10%, -10%: sample std sqrt(0.02) per window of 2, annualised by sqrt(252)
    out = ind.rolling_volatility(s([100, 110, 99, 108.9, 98.01]), period=2)
    expected = math.sqrt(0.02) * math.sqrt(252)
    assert_values(out, [NAN, NAN, expected, expected, expected])


@pytest.mark.parametrize("per_year", [252, 365, 525_600])
def test_rolling_volatility_matches_pandas(goog, per_year):
    out = ind.rolling_volatility(goog.close, 20, per_year)
    expected = goog.close.pct_change().rolling(20).std(ddof=1) * math.sqrt(per_year)
    np.testing.assert_allclose(out, expected, rtol=1e-9)
    assert out.iloc[:20].isna().all() and out.iloc[20:].notna().all()


def test_zscore_matches_pandas(goog):
    mean = goog.close.rolling(20).mean()
    std = goog.close.rolling(20).std(ddof=0)
    np.testing.assert_allclose(ind.zscore(goog.close, 20), (goog.close - mean) / std, rtol=1e-7)


def test_crossover_and_crossunder_with_a_scalar():
    a = s([1, 2, 3, 2, 1, 2])
    # touching 2 then rising above counts as a cross up (bar 2); 2 -> 1 crosses down (bar 4)
    assert ind.crossover(a, 2).tolist() == [False, False, True, False, False, False]
    assert ind.crossunder(a, 2).tolist() == [False, False, False, False, True, False]


def test_crossover_and_crossunder_with_a_series():
    a, b = s([1, 3, 2, 4]), s([2, 2, 3, 3])
    assert ind.crossover(a, b).tolist() == [False, True, False, True]
    assert ind.crossunder(a, b).tolist() == [False, False, True, False]
    assert ind.crossover(a, b).dtype == bool


def test_crossover_is_false_next_to_nan():
    a = s([1, NAN, 3, 1])
    assert ind.crossover(a, 2).tolist() == [False, False, False, False]
    assert ind.crossunder(a, 2).tolist() == [False, False, False, True]


def test_macd_hist_is_macd_minus_signal(goog):
    out = ind.macd(goog.close)
    np.testing.assert_allclose(out["hist"], out["macd"] - out["signal"], rtol=1e-12)
    assert list(out.columns) == ["macd", "signal", "hist"]


def test_aroon_osc_is_up_minus_down(goog):
    out = ind.aroon(goog.high, goog.low)
    assert list(out.columns) == ["down", "up", "osc"]
    np.testing.assert_allclose(out.osc, out.up - out.down, rtol=1e-12)
