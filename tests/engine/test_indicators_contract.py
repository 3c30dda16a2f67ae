"""The indicator contract: registry, causality of every indicator, alignment, and errors on bad input."""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engine.indicators as ind
from engine.errors import DataError, ParameterError
from engine.indicators import INDICATORS

SPEC_NAMES = {
    "sma", "ema", "wma", "dema", "tema", "vwma", "kama",
    "rsi", "macd", "stochastic", "stoch_rsi", "cci", "williams_r", "roc", "mom", "cmo", "trix", "ppo",
    "aroon", "ultimate_oscillator", "adx",
    "atr", "natr", "true_range", "bollinger", "keltner", "donchian", "supertrend", "psar",
    "rolling_volatility", "zscore", "stddev",
    "obv", "ad", "mfi", "cmf", "vwap", "ichimoku",
    "crossover", "crossunder",
}  # fmt: skip

FRAME_COLUMNS = {
    "macd": ["macd", "signal", "hist"],
    "stochastic": ["k", "d"],
    "stoch_rsi": ["k", "d"],
    "aroon": ["down", "up", "osc"],
    "adx": ["adx", "plus_di", "minus_di"],
    "bollinger": ["upper", "middle", "lower"],
    "keltner": ["upper", "middle", "lower"],
    "donchian": ["upper", "middle", "lower"],
    "supertrend": ["supertrend", "direction"],
    "ichimoku": ["tenkan", "kijun", "senkou_a", "senkou_b"],
}

ROOT = Path(__file__).resolve().parents[2]


def series_args(func: Callable) -> list[str]:
    """Names of the required (Series) arguments of an indicator."""
    return [
        p.name for p in inspect.signature(func).parameters.values() if p.default is inspect.Parameter.empty
    ]


def call(name: str, bars: pd.DataFrame, **params: object) -> pd.Series | pd.DataFrame:
    """Call a registered indicator with the bars' columns matched to its argument names."""
    func = INDICATORS[name]
    columns = {"a": bars["close"], "b": ind.sma(bars["close"], 10)}
    kwargs = {arg: columns.get(arg, bars.get(arg)) for arg in series_args(func)}
    return func(**kwargs, **params)


def value_at(result: pd.Series | pd.DataFrame, t: int) -> np.ndarray:
    return np.atleast_1d(np.asarray(result.iloc[t], dtype=float))


def assert_causal(
    func: Callable[[pd.DataFrame], pd.Series | pd.DataFrame], bars: pd.DataFrame, ts: list[int]
):
    """The value at bar t computed on bars[:t+1] equals the value at t computed on all bars."""
    full = func(bars)
    for t in ts:
        truncated = func(bars.iloc[: t + 1])
        np.testing.assert_allclose(
            value_at(truncated, t), value_at(full, t), rtol=1e-12, atol=0, equal_nan=True, err_msg=f"bar {t}"
        )


@pytest.fixture(scope="module")
def bars(goog: pd.DataFrame) -> pd.DataFrame:
    return goog.iloc[:400]


@pytest.fixture(scope="module")
def intraday() -> pd.DataFrame:
    """Two IST sessions of 5-minute bars (75 each) on a UTC index."""
    rng = np.random.default_rng(11)
    day1 = pd.date_range("2024-03-04 09:15", periods=75, freq="5min", tz="Asia/Kolkata")
    day2 = pd.date_range("2024-03-05 09:15", periods=75, freq="5min", tz="Asia/Kolkata")
    index = day1.append(day2).tz_convert("UTC").rename("ts")
    close = 100 + rng.normal(0, 0.3, len(index)).cumsum()
    spread = rng.uniform(0, 0.5, len(index))
    volume = rng.integers(100, 10_000, len(index)).astype(float)
    return pd.DataFrame(
        {"high": close + spread, "low": close - spread, "close": close, "volume": volume}, index=index
    )


def test_registry_holds_every_indicator_of_the_spec():
    assert set(INDICATORS) == SPEC_NAMES
    assert all(callable(func) and getattr(ind, name) is func for name, func in INDICATORS.items())


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_every_indicator_is_causal(bars, name):
    assert_causal(lambda b: call(name, b), bars, [0, 5, 60, 150, 251, 399])


@pytest.mark.parametrize("name", ["vwap", "obv", "ad", "rsi", "supertrend", "psar"])
def test_causal_on_intraday_bars(intraday, name):
    assert_causal(lambda b: call(name, b), intraday, [0, 40, 74, 75, 76, 149])


@pytest.mark.parametrize(
    "leaky",
    [
        lambda b: b.close.shift(-1),
        lambda b: b.close.rolling(5, center=True).mean(),
        lambda b: b.close - b.close.mean(),
    ],
    ids=["shift_back", "centered_window", "full_sample_mean"],
)
def test_causality_check_catches_look_ahead(bars, leaky):
    with pytest.raises(AssertionError):
        assert_causal(leaky, bars, [0, 5, 60, 150, 251, 399])


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_leading_nan_rows_are_skipped(bars, name):
    """Bars that start with 12 empty rows give the same values as the bars without them."""
    padded = bars.copy()
    padded.iloc[:12] = np.nan
    with_gap = call(name, padded)
    trimmed = call(name, bars.iloc[12:])
    np.testing.assert_allclose(
        with_gap.iloc[12:].to_numpy(dtype=float), trimmed.to_numpy(dtype=float), rtol=1e-12, equal_nan=True
    )
    head = with_gap.iloc[:12]
    if name in {"crossover", "crossunder"}:
        assert not head.any()
    else:
        assert np.isnan(head.to_numpy(dtype=float)).all()


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_output_is_aligned_to_the_input_index(bars, name):
    out = call(name, bars)
    assert out.index.equals(bars.index)
    if name in FRAME_COLUMNS:
        assert isinstance(out, pd.DataFrame) and list(out.columns) == FRAME_COLUMNS[name]
    else:
        assert isinstance(out, pd.Series)


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_empty_input_gives_empty_output(goog, name):
    out = call(name, goog.iloc[:0])
    assert len(out) == 0


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_non_numeric_input_raises_data_error(bars, name):
    first = series_args(INDICATORS[name])[0]
    text = bars.copy()
    text[first if first in bars else "close"] = "n/a"
    with pytest.raises(DataError, match="must hold numbers"):
        call(name, text)


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_non_series_input_raises_data_error(bars, name):
    func = INDICATORS[name]
    args = [list(bars["close"])] * len(series_args(func))
    with pytest.raises(DataError, match="pandas Series"):
        func(*args)


def _int_params() -> list[tuple[str, str]]:
    return [
        (name, p.name)
        for name, func in sorted(INDICATORS.items())
        for p in inspect.signature(func).parameters.values()
        if isinstance(p.default, int) and not isinstance(p.default, bool) and p.name != "periods_per_year"
    ]


@pytest.mark.parametrize(("name", "param"), _int_params(), ids=[f"{n}-{p}" for n, p in _int_params()])
@pytest.mark.parametrize("bad", [0, -3, 2.5, "14", None, True, 10**9])
def test_bad_period_raises_parameter_error(bars, name, param, bad):
    with pytest.raises(ParameterError, match=param):
        call(name, bars, **{param: bad})


def test_whole_float_periods_are_accepted(bars):
    pd.testing.assert_series_equal(ind.sma(bars.close, 20.0), ind.sma(bars.close, 20))


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("bollinger", {"nbdev": -1.0}),
        ("bollinger", {"nbdev": float("nan")}),
        ("keltner", {"multiplier": -2.0}),
        ("supertrend", {"multiplier": float("inf")}),
        ("psar", {"acceleration": 0.0}),
        ("psar", {"acceleration": 0.3, "maximum": 0.2}),
        ("psar", {"maximum": "0.2"}),
        ("macd", {"fast": 26, "slow": 12}),
        ("macd", {"fast": 12, "slow": 12}),
        ("ppo", {"fast": 30}),
        ("adx", {"period": 1}),
        ("zscore", {"period": 1}),
        ("rolling_volatility", {"period": 1}),
        ("rolling_volatility", {"periods_per_year": 0}),
        ("rolling_volatility", {"periods_per_year": "252"}),
    ],
)
def test_impossible_parameters_raise_parameter_error(bars, name, params):
    with pytest.raises(ParameterError):
        call(name, bars, **params)


def test_error_messages_say_what_to_fix(bars):
    with pytest.raises(ParameterError, match=r"period must be at least 1 bar\(s\), got 0"):
        ind.rsi(bars.close, 0)
    with pytest.raises(ParameterError, match=r"fast period \(26\) must be shorter than slow period \(12\)"):
        ind.macd(bars.close, 26, 12)
    with pytest.raises(DataError, match="pd.to_numeric"):
        ind.ema(bars.close.astype(str), 10)


def test_bool_series_is_rejected(bars):
    with pytest.raises(DataError):
        ind.sma(bars.close > 100, 5)


def test_inputs_on_different_indexes_raise_data_error(bars):
    with pytest.raises(DataError, match="same index"):
        ind.atr(bars.high, bars.low.iloc[1:], bars.close)


def test_vwap_needs_a_tz_aware_index(bars):
    naive = bars.tz_localize(None)
    with pytest.raises(DataError, match="tz-aware"):
        ind.vwap(naive.high, naive.low, naive.close, naive.volume)
    with pytest.raises(ParameterError, match="session_tz"):
        ind.vwap(bars.high, bars.low, bars.close, bars.volume, session_tz="Mars/Olympus")


def test_crossover_rejects_a_non_numeric_level(bars):
    with pytest.raises(DataError):
        ind.crossover(bars.close, "70")


def test_integer_and_nullable_inputs_work(bars):
    as_int = bars.volume.astype("int64")
    pd.testing.assert_series_equal(ind.obv(bars.close, as_int), ind.obv(bars.close, bars.volume))
    nullable = bars.close.astype("Float64")
    nullable.iloc[:3] = pd.NA
    expected = bars.close.copy()
    expected.iloc[:3] = np.nan
    pd.testing.assert_series_equal(ind.ema(nullable, 10), ind.ema(expected, 10))


def test_benchmark_script_returns_ratios():
    spec = importlib.util.spec_from_file_location(
        "bench_indicators", ROOT / "benchmarks" / "bench_indicators.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = bench.main(n_bars=20_000)
    assert set(results) == {"rsi(14)", "ema(20)", "atr(14)"}
    for row in results.values():
        assert row["ours_ms"] > 0 and row["talib_numpy_ms"] > 0 and row["talib_series_ms"] > 0
        assert row["ratio"] == pytest.approx(
            row["ours_ms"] / min(row["talib_numpy_ms"], row["talib_series_ms"])
        )
