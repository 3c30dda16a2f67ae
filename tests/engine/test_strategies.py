"""Built-in strategies: parameters, signal contract on GOOG, hand-checked crossings, stops, causality."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import talib

from engine.errors import DataError, ParameterError, StrategyError
from engine.strategies import (
    BUILTINS,
    check_signals,
    get_strategy,
    list_strategies,
    make_strategy,
    rank_strength,
)

RISK = ("stop_loss_pct", "take_profit_pct", "trailing_pct")


def make_bars(close: list[float], volume: float = 1000.0) -> pd.DataFrame:
    """Hand-made daily bars: high/low 1 around the close, open = close."""
    index = pd.date_range("2024-01-01", periods=len(close), freq="D", tz="UTC", name="ts")
    c = pd.Series(close, index=index, dtype=float)
    return pd.DataFrame(
        {"open": c, "high": c + 1, "low": c - 1, "close": c, "adj_close": c, "volume": volume}, index=index
    )


# --- parameters ---------------------------------------------------------------------------------


def test_params_are_coerced_from_text() -> None:
    strategy = make_strategy("sma_cross", fast="12", slow=40.0, allow_short="true", stop_loss_pct="0.05")
    assert strategy.p["fast"] == 12 and isinstance(strategy.p["fast"], int)
    assert strategy.p["slow"] == 40 and strategy.p["allow_short"] is True
    assert strategy.p["stop_loss_pct"] == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ({"fast": "abc"}, "must be a int"),
        ({"fast": 12.5}, "must be a int"),
        ({"fast": 1}, "between 2 and 100"),
        ({"slow": 1000}, "between 5 and 300"),
        ({"stop_loss_pct": -0.1}, "between 0.0 and 0.5"),
    ],
)
def test_bad_param_values_raise_parameter_error(given: dict, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        make_strategy("sma_cross", **given)


def test_unknown_param_suggests_the_close_name() -> None:
    with pytest.raises(ParameterError, match="did you mean 'fast'"):
        make_strategy("sma_cross", fsat=5)


def test_choice_param_rejects_unknown_value() -> None:
    with pytest.raises(ParameterError, match="one of"):
        make_strategy("bollinger_reversion", exit_at="top")


@pytest.mark.parametrize("name", ["sma_cross", "ema_cross", "macd_cross", "volume_rocket"])
def test_fast_must_be_below_slow(name: str) -> None:
    with pytest.raises(ParameterError, match=r"^fast \(30\) must be smaller than slow \(10\)"):
        make_strategy(name, fast=30, slow=10)
    with pytest.raises(ParameterError, match="must be smaller"):
        make_strategy(name, fast=20, slow=20)


def test_rsi_levels_must_be_ordered() -> None:
    with pytest.raises(ParameterError, match=r"lower \(50.0\) must be smaller than upper \(50.0\)"):
        make_strategy("rsi_reversion", lower=50, upper=50)


def test_unknown_strategy_suggests_the_close_name() -> None:
    with pytest.raises(StrategyError, match="did you mean 'sma_cross'"):
        get_strategy("sma_cros")
    with pytest.raises(StrategyError, match="known strategies: sma_cross"):
        get_strategy("zzzzzz")


# --- declarations -------------------------------------------------------------------------------


def test_builtins_registered_in_menu_order() -> None:
    names = [cls.name for cls in list_strategies()]
    assert names[: len(BUILTINS)] == list(BUILTINS)


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_declarations_are_complete(name: str) -> None:
    cls = get_strategy(name)
    assert cls.title and len(cls.description) > 40
    declared = {p.name for p in cls.params}
    if name != "buy_hold":
        assert {"allow_short", *RISK} <= declared
    for p in cls.params:
        assert p.help, f"{name}.{p.name} has no help text"
        assert p.coerce(p.default) == p.default
        if p.type in (int, float):
            assert p.low is not None and p.high is not None and p.step and p.step > 0
            steps = (p.default - p.low) / p.step  # the default sits on the sweep grid
            assert abs(steps - round(steps)) < 1e-9, f"{name}.{p.name} default is off its grid"
    assert cls().warmup() >= 0


# --- signals on real data -----------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("allow_short", [False, True])
def test_builtin_signals_honour_the_contract_on_goog(
    goog: pd.DataFrame, name: str, allow_short: bool
) -> None:
    cls = get_strategy(name)
    strategy = cls(allow_short=allow_short) if name != "buy_hold" else cls()
    sig = strategy.signals(goog)
    check_signals(sig, goog.index, name)
    for series in (sig.entries_long, sig.exits_long):
        assert series.dtype == bool and series.index.equals(goog.index)
    assert sig.entries_long.sum() >= 1
    if name != "buy_hold":
        assert sig.exits_long.sum() >= 1
    if allow_short and name != "buy_hold":
        assert sig.entries_short is not None and sig.entries_short.sum() >= 1
        assert sig.exits_short.dtype == bool
    else:
        assert sig.entries_short is None and sig.exits_short is None
    assert sig.stop_loss is None and sig.take_profit is None and sig.trailing_pct is None
    assert sig.strength is not None and sig.strength.between(0, 1).all()
    assert sig.strength[sig.entries_long].gt(0).any()
    for line in [*sig.extras.values(), *sig.oscillators.values()]:
        assert line.index.equals(goog.index) and line.notna().any()


def test_buy_hold_enters_once_on_first_bar(goog: pd.DataFrame) -> None:
    sig = make_strategy("buy_hold").signals(goog)
    assert sig.entries_long.sum() == 1 and sig.entries_long.iloc[0]
    assert not sig.exits_long.any()


@pytest.mark.parametrize("name", BUILTINS)
def test_short_history_gives_no_crash_and_no_trades(goog: pd.DataFrame, name: str) -> None:
    sig = make_strategy(name).signals(goog.iloc[:5])
    check_signals(sig, goog.index[:5], name)
    if name != "buy_hold":
        assert not sig.entries_long.any()


def test_missing_columns_and_empty_bars_raise_data_error(goog: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="needs bar columns"):
        make_strategy("donchian_breakout").signals(goog.drop(columns=["high"]))
    with pytest.raises(DataError, match="no bars"):
        make_strategy("sma_cross").signals(goog.iloc[:0])


def test_volume_rocket_without_volume_says_why(goog: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="needs traded volume"):
        make_strategy("volume_rocket").signals(goog.assign(volume=0.0))


# --- hand-checked bars and reference library ----------------------------------------------------


def test_sma_cross_hand_checked_crossings() -> None:
    # fast=2, slow=5. SMA2/SMA5 by hand:
    # t: close   sma2   sma5
    # 4:  1      1.5    3.0    (fast below; first bar with both averages)
    # 5:  6      3.5    3.2    -> fast crosses above: entry at t=5
    # 6:  7      6.5    3.8
    # 7:  1      4.0    3.4
    # 8:  0      0.5    3.0    -> fast crosses below: exit (and short entry) at t=8
    # 9:  0      0.0    2.8
    bars = make_bars([5, 4, 3, 2, 1, 6, 7, 1, 0, 0])
    sig = make_strategy("sma_cross", fast=2, slow=5, allow_short=True).signals(bars)
    assert sig.entries_long[sig.entries_long].index.tolist() == [bars.index[5]]
    assert sig.exits_long[sig.exits_long].index.tolist() == [bars.index[8]]
    assert sig.entries_short[sig.entries_short].index.tolist() == [bars.index[8]]
    assert sig.exits_short[sig.exits_short].index.tolist() == [bars.index[5]]
    assert sig.extras["SMA 2"].iloc[5] == pytest.approx(3.5)
    assert sig.extras["SMA 5"].iloc[8] == pytest.approx(3.0)


def test_sma_cross_matches_talib_crossings(goog: pd.DataFrame) -> None:
    close = goog["close"].to_numpy()
    fast, slow = talib.SMA(close, 10), talib.SMA(close, 30)
    above = fast > slow
    prev = np.r_[False, above[:-1]]
    valid = ~np.isnan(slow) & ~np.isnan(np.r_[np.nan, slow[:-1]])
    expected = above & ~prev & valid
    sig = make_strategy("sma_cross").signals(goog)
    assert expected.sum() > 20
    np.testing.assert_array_equal(sig.entries_long.to_numpy(), expected)


def test_rsi_reversion_matches_talib_levels(goog: pd.DataFrame) -> None:
    line = pd.Series(talib.RSI(goog["close"].to_numpy(), 14), index=goog.index)
    expected_in = (line.shift(1) < 30) & (line >= 30)
    expected_out = (line.shift(1) < 70) & (line >= 70)
    sig = make_strategy("rsi_reversion").signals(goog)
    assert sig.entries_long.sum() >= 5
    pd.testing.assert_series_equal(sig.entries_long, expected_in, check_names=False)
    pd.testing.assert_series_equal(sig.exits_long, expected_out, check_names=False)


def test_donchian_compares_with_previous_bars_only() -> None:
    # A steadily rising market makes a new high every bar: each close beats the previous 3 highs,
    # but never a channel that includes its own bar's high (high = close + 1).
    bars = make_bars([float(i) * 3 for i in range(12)])
    sig = make_strategy("donchian_breakout", period=5, exit_period=5).signals(bars)
    assert sig.entries_long.iloc[5:].all()  # 5-bar channel complete at bar 4, shifted one bar
    assert not sig.entries_long.iloc[:5].any()
    assert not sig.exits_long.any()


# --- stops, targets, trailing -------------------------------------------------------------------


def test_stop_and_target_levels_come_from_the_signal_bar_close(goog: pd.DataFrame) -> None:
    strategy = make_strategy(
        "sma_cross", allow_short=True, stop_loss_pct=0.05, take_profit_pct=0.10, trailing_pct=0.03
    )
    sig = strategy.signals(goog)
    close = goog["close"]
    longs, shorts = sig.entries_long, sig.entries_short
    assert longs.any() and shorts.any()
    np.testing.assert_allclose(sig.stop_loss[longs], close[longs] * 0.95)
    np.testing.assert_allclose(sig.take_profit[longs], close[longs] * 1.10)
    np.testing.assert_allclose(sig.stop_loss[shorts], close[shorts] * 1.05)
    np.testing.assert_allclose(sig.take_profit[shorts], close[shorts] * 0.90)
    assert sig.stop_loss[~(longs | shorts)].isna().all()
    assert sig.trailing_pct == pytest.approx(0.03)
    assert math.isclose(sig.stop_loss[longs].iloc[0] / close[longs].iloc[0], 0.95)


def test_rank_strength_is_a_trailing_percentile() -> None:
    values = pd.Series([-1.0, 2.0, -3.0, 4.0] * 10)
    ranked = rank_strength(values, window=4)
    assert ranked.iloc[:3].isna().all()  # needs a full window of history here
    # window at bar 3 holds |values| 1, 2, 3, 4 with 4 last: the largest, so 1.0
    assert ranked.iloc[3] == 1.0 and ranked.iloc[19] == 1.0
    assert ranked.iloc[20] == 0.25  # |-1| is the smallest of 2, 3, 4, 1
    assert rank_strength(values).iloc[:19].isna().all() and rank_strength(values).notna().iloc[19]


def test_zero_risk_params_mean_off(goog: pd.DataFrame) -> None:
    sig = make_strategy("ema_cross", stop_loss_pct=0.05).signals(goog)
    assert sig.stop_loss is not None and sig.take_profit is None and sig.trailing_pct is None


# --- causality ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTINS)
def test_changing_future_bars_leaves_past_signals_alone(goog: pd.DataFrame, name: str) -> None:
    params = {} if name == "buy_hold" else {"allow_short": True, "stop_loss_pct": 0.02}
    strategy = make_strategy(name, **params)
    cut = 1500
    rng = np.random.default_rng(7)
    shocked = goog.copy()
    factor = rng.uniform(0.5, 1.5, len(goog) - cut)
    for col in ("open", "high", "low", "close", "adj_close"):
        shocked.iloc[cut:, shocked.columns.get_loc(col)] *= factor
    shocked.iloc[cut:, shocked.columns.get_loc("volume")] *= rng.uniform(0.1, 5.0, len(goog) - cut)
    base, moved = strategy.signals(goog), strategy.signals(shocked)
    for field in ("entries_long", "exits_long", "entries_short", "exits_short", "stop_loss", "strength"):
        a, b = getattr(base, field), getattr(moved, field)
        if a is None:
            assert b is None
            continue
        pd.testing.assert_series_equal(a.iloc[:cut], b.iloc[:cut], check_names=False, rtol=1e-9)
    assert not base.entries_long.iloc[cut:].equals(moved.entries_long.iloc[cut:]) or name == "buy_hold"


def test_rank_strength_equals_pandas_rolling_rank() -> None:
    rng = np.random.default_rng(7)
    values = pd.Series(rng.normal(size=900).round(1))  # rounding makes ties
    values.iloc[[5, 40, 41, 300]] = np.nan
    for window in (4, 30, 250):
        expected = values.abs().rolling(window, min_periods=min(20, window)).rank(pct=True)
        pd.testing.assert_series_equal(rank_strength(values, window), expected, check_names=False, rtol=1e-12)
