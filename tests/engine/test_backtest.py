"""Backtester behaviour on hand-worked bars: fills, costs, equity per bar, stops, shorts, lots, sizing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.backtest import TRADE_COLUMNS, BacktestConfig, BacktestResult, run_backtest
from engine.costs import NSECharges, PercentCost
from engine.errors import BacktestError, DataError, StrategyError
from tests.engine.backtest_helpers import make_bars, random_walk, scripted

TEN_BARS = make_bars([
    (100, 101, 99, 100),
    (101, 103, 100, 102),  # 1: entry signal at the close
    (103, 105, 102, 104),  # 2: bought at the open, 103
    (104, 106, 103, 105),
    (106, 108, 105, 107),  # 4: exit signal
    (106, 107, 104, 105),  # 5: sold at the open, 106
    (104, 105, 102, 103),
    (102, 104, 101, 103),  # 7: entry signal
    (104, 106, 103, 105),  # 8: bought at 104
    (105, 107, 104, 106),  # 9: last bar: closed at 106, reason "end"
])


def test_ten_bar_example_worked_by_hand() -> None:
    # cash 10,000, 0.1 % per order, 50 % of equity per position (costs included in the budget).
    # Bar 2: budget 5,000 → qty = floor(5,000 / (103 × 1.001)) = 48; cost 4.944; cash 5,051.056
    # Bar 5: sell 48 @ 106, cost 5.088 → cash 10,133.968; trade pnl 144 − 10.032 = 133.968
    # Bar 8: budget 5,066.984 → qty = floor(5,066.984 / (104 × 1.001)) = 48; cost 4.992; cash 5,136.976
    # Bar 9: end: sell 48 @ 106, cost 5.088 → cash 10,219.888; trade pnl 96 − 10.08 = 85.92
    cfg = BacktestConfig(cash=10_000, costs=0.001, sizing="pct_equity", size_value=50)
    result = run_backtest(TEN_BARS, scripted(entries_long=[1, 7], exits_long=[4]), cfg, symbol="TEST")

    expected_cash = [10_000, 10_000, 5_051.056, 5_051.056, 5_051.056, 10_133.968, 10_133.968, 10_133.968,
                     5_136.976, 10_219.888]
    expected_qty = [0, 0, 48, 48, 48, 0, 0, 0, 48, 0]
    expected_equity = [10_000, 10_000, 10_043.056, 10_091.056, 10_187.056, 10_133.968, 10_133.968,
                       10_133.968, 10_176.976, 10_219.888]
    np.testing.assert_allclose(result.cash.to_numpy(), expected_cash, rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.positions["TEST"].to_numpy(), expected_qty)
    np.testing.assert_allclose(result.equity.to_numpy(), expected_equity, rtol=0, atol=1e-9)
    assert result.equity.index.equals(TEN_BARS.index)

    trades = result.trades
    assert list(trades.columns) == list(TRADE_COLUMNS)
    assert trades[["symbol", "side", "exit_reason"]].values.tolist() == [
        ["TEST", "long", "signal"], ["TEST", "long", "end"]]
    assert trades["entry_time"].tolist() == [TEN_BARS.index[2], TEN_BARS.index[8]]
    assert trades["exit_time"].tolist() == [TEN_BARS.index[5], TEN_BARS.index[9]]
    np.testing.assert_allclose(trades["entry_price"], [103, 104])
    np.testing.assert_allclose(trades["exit_price"], [106, 106])
    np.testing.assert_allclose(trades["qty"], [48, 48])
    np.testing.assert_allclose(trades["costs"], [10.032, 10.08], atol=1e-9)
    np.testing.assert_allclose(trades["pnl"], [133.968, 85.92], atol=1e-9)
    np.testing.assert_allclose(trades["pnl_pct"], [133.968 / 4944, 85.92 / 4992])
    assert trades["bars_held"].tolist() == [3, 1]
    assert result.trades["pnl"].sum() == pytest.approx(result.equity.iloc[-1] - 10_000)
    np.testing.assert_allclose(result.drawdown.to_numpy()[:6], [0, 0, 0, 0, 0, 10_133.968 / 10_187.056 - 1])
    assert result.exposure == pytest.approx(5 / 10)  # held at the close of bars 2, 3, 4, 8 and 9


def test_fill_on_close_uses_the_signal_bars_close() -> None:
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10, fill="close")
    result = run_backtest(TEN_BARS, scripted(entries_long=[1], exits_long=[4]), cfg)
    trade = result.trades.iloc[0]
    assert (trade.entry_price, trade.exit_price, trade.bars_held) == (102, 107, 3)
    assert trade.entry_time == TEN_BARS.index[1]
    assert result.equity.iloc[1] == pytest.approx(10_000)  # marked at the same close it was bought at
    assert result.equity.iloc[-1] == pytest.approx(10_050)


def test_slippage_moves_both_fills_against_us() -> None:
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10, slippage_bps=100)
    trade = run_backtest(TEN_BARS, scripted(entries_long=[1], exits_long=[4]), cfg).trades.iloc[0]
    assert trade.entry_price == pytest.approx(103 * 1.01)
    assert trade.exit_price == pytest.approx(106 * 0.99)


def test_stop_and_target_in_one_bar_exit_at_the_stop() -> None:
    bars = make_bars([(100, 100, 100, 100), (100, 101, 99, 100), (100, 112, 90, 100), (100, 100, 100, 100)])
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    strat = scripted(entries_long=[0], stop={0: 95.0}, target={0: 110.0})
    trades = run_backtest(bars, strat, cfg).trades
    assert trades[["exit_price", "exit_reason"]].values.tolist() == [[95.0, "stop"]]
    assert trades["exit_time"].iloc[0] == bars.index[2]


def test_target_hit_alone_fills_at_target_without_slippage() -> None:
    bars = make_bars([(100, 100, 100, 100), (100, 101, 99, 100), (101, 112, 100, 111), (111, 111, 111, 111)])
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10, slippage_bps=50)
    trade = run_backtest(bars, scripted(entries_long=[0], stop={0: 95.0}, target={0: 110.0}), cfg).trades.iloc[0]
    assert (trade.exit_price, trade.exit_reason) == (110.0, "target")


def test_gap_through_the_stop_fills_at_the_open() -> None:
    bars = make_bars([(100, 100, 100, 100), (100, 101, 99, 100), (90, 92, 88, 91), (91, 91, 91, 91)])
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    trade = run_backtest(bars, scripted(entries_long=[0], stop={0: 95.0}), cfg).trades.iloc[0]
    assert (trade.exit_price, trade.exit_reason, trade.pnl) == (90.0, "stop", -100.0)


def test_gap_through_the_target_fills_at_the_better_open() -> None:
    bars = make_bars([(100, 100, 100, 100), (100, 101, 99, 100), (115, 118, 113, 116), (116, 116, 116, 116)])
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    trade = run_backtest(bars, scripted(entries_long=[0], target={0: 110.0}), cfg).trades.iloc[0]
    assert (trade.exit_price, trade.exit_reason) == (115.0, "target")


def test_stop_can_hit_on_the_entry_bar() -> None:
    bars = make_bars([(100, 100, 100, 100), (100, 101, 94, 96), (96, 96, 96, 96)])
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    trade = run_backtest(bars, scripted(entries_long=[0], stop={0: 95.0}), cfg).trades.iloc[0]
    assert (trade.exit_price, trade.exit_reason, trade.bars_held) == (95.0, "stop", 0)


def test_trailing_stop_follows_highs_without_same_bar_look_ahead() -> None:
    bars = make_bars([
        (100, 100, 100, 100),
        (100, 100, 99, 100),   # 1: bought at 100; trail 90, then moved from this high: 90
        (101, 120, 100, 118),  # 2: checked with trail 90 (no exit), then trail = 108
        (117, 118, 109, 110),  # 3: low 109 > 108: holds; trail stays 108 (118 × 0.9 = 106.2 < 108)
        (110, 111, 105, 106),  # 4: low 105 ≤ 108 → exit at 108, "trailing"
        (106, 106, 106, 106),
    ])
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    trade = run_backtest(bars, scripted(entries_long=[0], trailing_pct=0.10), cfg).trades.iloc[0]
    assert (trade.exit_price, trade.exit_reason, trade.exit_time) == (
        pytest.approx(108.0), "trailing", bars.index[4])


def test_short_trade_profits_when_price_falls_and_pays_costs() -> None:
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10, allow_short=True, costs="flat:5")
    bars = make_bars([(100, 100, 100, 100), (100, 101, 99, 100), (95, 96, 90, 91), (90, 91, 89, 90),
                      (90, 90, 90, 90)])
    result = run_backtest(bars, scripted(entries_short=[0], exits_short=[2]), cfg)
    trade = result.trades.iloc[0]
    assert (trade.side, trade.entry_price, trade.exit_price, trade.costs) == ("short", 100, 90, 10)
    assert trade.pnl == pytest.approx(10 * 10 - 10)
    assert result.positions["asset"].iloc[1] == -10
    assert result.cash.iloc[1] == pytest.approx(10_000 + 1000 - 5)  # short sale proceeds in, cost out
    assert result.equity.iloc[2] == pytest.approx(10_000 - 5 + 10 * (100 - 91))
    assert result.equity.iloc[-1] == pytest.approx(10_090)


def test_short_signals_are_ignored_unless_allowed() -> None:
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    result = run_backtest(TEN_BARS, scripted(entries_short=[1], exits_short=[4]), cfg)
    assert result.trades.empty and result.equity.iloc[-1] == 10_000


def test_reversal_long_to_short_and_back() -> None:
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10, allow_short=True)
    strat = scripted(entries_long=[1, 7], entries_short=[4])
    trades = run_backtest(TEN_BARS, strat, cfg).trades
    assert trades[["side", "exit_reason"]].values.tolist() == [["long", "reverse"], ["short", "reverse"],
                                                               ["long", "end"]]
    assert trades["entry_price"].tolist() == [103, 106, 104]
    assert trades["exit_price"].tolist() == [106, 104, 106]
    assert trades["pnl"].tolist() == [30, 20, 20]


def test_exit_and_entry_on_one_bar_exit_first_and_same_side_entry_is_ignored() -> None:
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    # bar 4 says both "enter long" and "exit long": the exit wins and no new long opens
    trades = run_backtest(TEN_BARS, scripted(entries_long=[1, 3, 4], exits_long=[4]), cfg).trades
    assert len(trades) == 1 and trades["exit_reason"].iloc[0] == "signal"


def test_lot_sizes_round_down_to_whole_lots() -> None:
    cfg = BacktestConfig(cash=10_000, sizing="pct_equity", size_value=50, lot_size=25)
    result = run_backtest(TEN_BARS, scripted(entries_long=[1], exits_long=[4]), cfg)
    assert result.trades["qty"].iloc[0] == 25  # 48 shares fit, rounded down to one lot of 25
    cfg = BacktestConfig(cash=1_000, sizing="pct_equity", size_value=95, lot_size=25)
    assert run_backtest(TEN_BARS, scripted(entries_long=[1]), cfg).trades.empty  # one lot costs 2,575


@pytest.mark.parametrize(("sizing", "value", "expected_qty"), [
    ("fixed_qty", 7, 7),
    ("fixed_amount", 2_000, 19),  # 2,000 / 103 = 19.4
    ("pct_equity", 30, 29),  # 3,000 / 103 = 29.1
    ("risk_pct", 1, 33),  # risk 100 with 3 per share to the stop at 100 → 33
])
def test_sizing_modes_in_a_run(sizing: str, value: float, expected_qty: int) -> None:
    cfg = BacktestConfig(cash=10_000, sizing=sizing, size_value=value)
    strat = scripted(entries_long=[1], exits_long=[4], stop={1: 100.0})
    assert run_backtest(TEN_BARS, strat, cfg).trades["qty"].iloc[0] == expected_qty


def test_cash_limits_fixed_quantity_orders() -> None:
    cfg = BacktestConfig(cash=1_000, sizing="fixed_qty", size_value=100, costs=0.001)
    qty = run_backtest(TEN_BARS, scripted(entries_long=[1]), cfg).trades["qty"].iloc[0]
    assert qty == 9  # 9 × 103 × 1.001 = 927.9; 10 would need 1,031


def test_risk_pct_without_a_stop_is_a_clear_error() -> None:
    cfg = BacktestConfig(sizing="risk_pct", size_value=1)
    with pytest.raises(BacktestError, match="stop"):
        run_backtest(TEN_BARS, scripted(entries_long=[1]), cfg)


def test_missing_bars_get_no_fills() -> None:
    bars = TEN_BARS.copy()
    bars.iloc[2, :4] = np.nan  # the bar that would fill the entry has no prices
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    result = run_backtest(bars, scripted(entries_long=[1], exits_long=[4]), cfg)
    trade = result.trades.iloc[0]
    assert trade.entry_time == bars.index[3] and trade.entry_price == 104
    assert result.equity.iloc[2] == 10_000


def test_config_and_input_validation() -> None:
    with pytest.raises(BacktestError, match="fill"):
        BacktestConfig(fill="vwap")
    with pytest.raises(BacktestError, match="sizing"):
        BacktestConfig(sizing="all_in")
    with pytest.raises(BacktestError, match="cost"):
        BacktestConfig(costs="free-ish")
    with pytest.raises(BacktestError, match="percent"):
        BacktestConfig(size_value=150)
    assert BacktestConfig(costs=PercentCost(0.001)).costs == "0.001"  # stored as a spec that rebuilds it
    with pytest.raises(BacktestError, match="spec"):
        BacktestConfig(costs=NSECharges(brokerage_flat=15.0))
    assert BacktestConfig.from_dict(BacktestConfig(costs="nse_intraday").to_dict()).costs == "nse_intraday"
    with pytest.raises(BacktestError, match="unknown backtest settings"):
        BacktestConfig.from_dict({"cash": 1.0, "leverage": 2})
    with pytest.raises(DataError, match="missing columns"):
        run_backtest(TEN_BARS.drop(columns="open"), scripted())
    with pytest.raises(DataError, match="sorted"):
        run_backtest(TEN_BARS.iloc[::-1], scripted())
    naive = TEN_BARS.tz_localize(None)
    with pytest.raises(DataError, match="timezone"):
        run_backtest(naive, scripted())


def test_malformed_signals_raise_strategy_error() -> None:
    from engine.strategies.base import Signals
    from tests.engine.backtest_helpers import Scripted

    bad = Scripted(lambda bars: Signals(pd.Series([True]), pd.Series([False])))
    with pytest.raises(StrategyError, match="index"):
        run_backtest(TEN_BARS, bad)


def test_result_json_round_trip() -> None:
    cfg = BacktestConfig(cash=10_000, costs="nse_delivery", allow_short=True, sizing="fixed_qty", size_value=5)
    result = run_backtest(random_walk(60, 3), scripted(entries_long=[3, 30], entries_short=[15, 45],
                                                       stop={3: 90.0}, trailing_pct=0.1), cfg)
    again = BacktestResult.from_json(result.to_json())
    pd.testing.assert_series_equal(again.equity, result.equity, check_freq=False)
    pd.testing.assert_series_equal(again.cash, result.cash, check_freq=False)
    pd.testing.assert_frame_equal(again.positions, result.positions, check_freq=False)
    pd.testing.assert_frame_equal(again.trades, result.trades, check_dtype=False)
    assert again.config == result.config
    assert again.stats["final_equity"] == pytest.approx(result.stats["final_equity"])
    assert again.stats["start"] == result.stats["start"]
    assert again.signals.entries_short.equals(result.signals.entries_short)  # type: ignore[union-attr]
    assert again.signals.trailing_pct == 0.1  # type: ignore[union-attr]
    with pytest.raises(DataError):
        BacktestResult.from_json('{"equity": []}')


def test_stats_use_exposure_and_periods() -> None:
    cfg = BacktestConfig(cash=10_000, costs=0.001, sizing="pct_equity", size_value=50, periods_per_year=365)
    result = run_backtest(TEN_BARS, scripted(entries_long=[1, 7], exits_long=[4]), cfg)
    stats = result.stats
    assert stats["exposure"] == pytest.approx(0.5)
    assert stats["n_trades"] == 2
    assert stats["final_equity"] == pytest.approx(10_219.888)
    assert not np.isnan(stats["beta"])  # benchmark defaults to the symbol's close


def test_stats_from_the_loops_arrays_equal_stats_read_from_the_trade_table() -> None:
    from engine.metrics import compute_stats

    cfg = BacktestConfig(cash=10_000, costs=0.001, allow_short=True, sizing="pct_equity", size_value=50)
    result = run_backtest(random_walk(300, 5), scripted(entries_long=[3, 60, 200], exits_long=[40, 150],
                                                        entries_short=[100, 250], exits_short=[130]), cfg)
    from_table = compute_stats(result.equity, result.trades, result.benchmark, exposure=result.exposure)
    assert result.stats["n_trades"] == from_table["n_trades"] == 5
    assert result.stats.keys() == from_table.keys()
    for key, value in from_table.items():
        assert result.stats[key] == (value if key in ("start", "end") else pytest.approx(value, nan_ok=True)), key
    edited = result.trades.assign(pnl=result.trades["pnl"].abs())  # replacing trades drops the loop's arrays
    result.trades = edited
    assert result.stats["win_rate"] == 1.0 != from_table["win_rate"]


def test_replacing_the_benchmark_recomputes_stats() -> None:
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    result = run_backtest(TEN_BARS, scripted(entries_long=[1], exits_long=[4]), cfg)
    beta_vs_own_close = result.stats["beta"]
    result.benchmark = pd.Series(np.linspace(100, 110, len(TEN_BARS)) ** 1.5, index=TEN_BARS.index)
    assert result.stats["beta"] != pytest.approx(beta_vs_own_close)


def test_json_stores_non_finite_indicator_values_as_null() -> None:
    from engine.strategies.base import Signals
    from tests.engine.backtest_helpers import Scripted, flags

    def make(bars: pd.DataFrame) -> Signals:
        ratio = pd.Series([np.inf, np.nan] + [1.0] * (len(bars) - 2), index=bars.index)
        return Signals(flags(bars.index, [1]), flags(bars.index, [4]), extras={"ratio": ratio})

    result = run_backtest(TEN_BARS, Scripted(make), BacktestConfig(cash=10_000))
    again = BacktestResult.from_json(result.to_json())
    extras = again.signals.extras["ratio"]  # type: ignore[union-attr]
    assert extras.iloc[:2].isna().all() and (extras.iloc[2:] == 1.0).all()
