"""Demo data: deterministic per symbol, realistic, on exchange sessions only, fast."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from engine.data.calendars import sessions
from engine.data.instruments import instrument_for
from engine.data.providers.demo import DemoProvider, ar1, generate_demo_bars
from engine.data.validate import validate_bars
from engine.errors import DataError, UnknownSymbol

NOW = pd.Timestamp("2025-06-11 12:00", tz="UTC")


def test_same_symbol_same_bars_and_windows_agree():
    a = generate_demo_bars("INFY.NS", start="2020-01-01", now=NOW)
    b = generate_demo_bars("INFY.NS", start="2020-01-01", now=NOW)
    pd.testing.assert_frame_equal(a, b)
    later = generate_demo_bars("INFY.NS", start="2023-01-01", now=NOW + pd.Timedelta(days=30))
    common = a.index.intersection(later.index)
    assert len(common) > 500
    cols = ["open", "high", "low", "close", "volume"]  # adj_close may move when a dividend enters
    pd.testing.assert_frame_equal(a.loc[common, cols], later.loc[common, cols])
    assert not np.allclose(a["close"].to_numpy()[:100], generate_demo_bars("TCS.NS", start="2020-01-01", now=NOW)["close"].to_numpy()[:100])


def test_seed_is_stable_across_processes():
    import subprocess
    import sys

    code = ("import pandas as pd; from engine.data.providers.demo import generate_demo_bars;"
            "print(generate_demo_bars('AAPL', start='2024-01-01', now=pd.Timestamp('2024-03-01', tz='UTC'))"
            "['close'].iloc[-1])")
    here = generate_demo_bars("AAPL", start="2024-01-01", now=pd.Timestamp("2024-03-01", tz="UTC"))["close"].iloc[-1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": ""}, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert float(out.stdout.strip()) == here


def test_bars_follow_the_convention_and_are_valid():
    bars = generate_demo_bars("RELIANCE.NS", now=NOW)
    assert list(bars.columns) == ["open", "high", "low", "close", "adj_close", "volume"]
    assert str(bars.index.tz) == "UTC" and bars.index.name == "ts" and bars.index.is_monotonic_increasing
    assert (bars.dtypes == "float64").all()
    report = validate_bars(bars, "RELIANCE.NS", "1d")
    assert report.issues == []  # no gaps, no stray days, consistent OHLC, no split-like jumps


def test_only_exchange_sessions_and_ends_today():
    bars = generate_demo_bars("INFY.NS", start="2024-01-01", now=NOW)
    assert bars.index.equals(sessions("INFY.NS", "2024-01-01", NOW))
    assert pd.Timestamp("2024-01-26", tz="UTC") not in bars.index
    assert bars.index[-1] == pd.Timestamp("2025-06-11", tz="UTC")
    crypto = generate_demo_bars("BTC-USD", start="2024-01-01", now=NOW)
    assert (crypto.index.dayofweek >= 5).sum() > 100  # weekends included


@pytest.mark.parametrize("symbol", ["RELIANCE.NS", "^NSEI", "AAPL", "BTC-USD", "TCS.NS"])
def test_price_levels_are_plausible(symbol):
    level = instrument_for(symbol).demo_price
    bars = generate_demo_bars(symbol, now=NOW)
    assert 0.4 * level < bars["close"].iloc[-1] < 2.5 * level
    assert 0.2 * level < bars["close"].min() and bars["close"].max() < 4 * level


def test_statistics_look_like_markets():
    bars = generate_demo_bars("INFY.NS", now=NOW)
    ret = bars["close"].pct_change().dropna()
    assert 0.008 < ret.std() < 0.03  # daily equity volatility
    assert ret.kurt() > 1.0  # fat tails
    vol_clustering = ret.abs().autocorr(lag=1)
    assert vol_clustering > 0.05  # calm and volatile regimes
    corr = np.corrcoef(ret.abs(), bars["volume"].iloc[1:])[0, 1]
    assert corr > 0.2  # volume rises with |return|
    gaps = (bars["open"] / bars["close"].shift(1) - 1).dropna()
    assert (gaps.abs() > 1e-4).mean() > 0.9  # opens gap from the previous close
    spread = (bars["high"] - bars["low"]) / bars["close"]
    assert 0.01 < spread.mean() < 0.05
    # regime drift: rolling 60-day returns range widely (trends up and down)
    roll = bars["close"].pct_change(60).dropna()
    assert roll.max() > 0.1 and roll.min() < -0.1


def test_intraday_bars_within_nse_hours():
    bars = generate_demo_bars("INFY.NS", "15m", now=NOW)
    local = bars.index.tz_convert("Asia/Kolkata")
    minutes = local.hour * 60 + local.minute
    assert minutes.min() == 9 * 60 + 15 and minutes.max() == 15 * 60 + 15
    assert (local.dayofweek < 5).all()
    assert bars.index.max() <= NOW
    assert NOW - bars.index.min() <= pd.Timedelta(days=60)
    daily = generate_demo_bars("INFY.NS", start=bars.index.min().normalize(), now=NOW)
    first_day = bars[local.date == local.date[0]]
    assert first_day["open"].iloc[0] == pytest.approx(daily["open"].iloc[0])
    assert first_day["close"].iloc[-1] == pytest.approx(daily["close"].iloc[0])
    assert len(first_day) == 25  # 09:15 … 15:15 every 15 minutes
    assert validate_bars(bars, "INFY.NS", "15m").issues == []


def test_weekly_and_crypto_hourly():
    weekly = generate_demo_bars("AAPL", "1wk", start="2024-01-01", now=NOW)
    assert (weekly.index.dayofweek == 0).all()
    hourly = generate_demo_bars("BTC-USD", "1h", start="2025-06-01", now=NOW)
    assert len(hourly) == 10 * 24 + 12 + 1  # 1 June 00:00 … 11 June 12:00 inclusive


def test_provider_periods_and_errors():
    provider = DemoProvider(now=NOW)
    assert provider.name == "demo"
    bars = provider.fetch("AAPL", period="1mo")
    assert bars.index[0] >= pd.Timestamp("2025-05-11", tz="UTC")
    with pytest.raises(UnknownSymbol):
        provider.fetch("NOT A SYMBOL")
    with pytest.raises(DataError):
        provider.fetch("AAPL", "2h")
    assert provider.fetch("AAPL", start="2025-06-07", end="2025-06-09").empty  # a weekend


def test_ar1_matches_scipy_lfilter():
    x = np.random.default_rng(7).normal(size=5000) * 0.02
    for phi in (0.5, 0.99, 0.9995):
        np.testing.assert_allclose(ar1(x, phi), lfilter([1.0], [1.0, -phi], x), rtol=1e-9, atol=1e-12)


def test_ten_years_of_one_hundred_symbols_is_fast():
    symbols = [f"D{i}.NS" if i % 3 == 0 else (f"D{i}" if i % 3 == 1 else f"D{i}-USD") for i in range(100)]
    generate_demo_bars("WARM.NS", now=NOW), generate_demo_bars("WARM", now=NOW), generate_demo_bars("W-USD", now=NOW)
    t0 = time.perf_counter()
    total = sum(len(generate_demo_bars(s, now=NOW)) for s in symbols)
    elapsed = time.perf_counter() - t0
    assert total > 250_000
    assert elapsed < 3.0  # about 0.5 s on an idle core; generous for a shared CI machine
