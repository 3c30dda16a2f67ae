"""Portfolio backtests: shared cash, position slots by signal strength, missing bars, union of indexes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.backtest import BacktestConfig, run_portfolio_backtest
from engine.errors import DataError
from engine.strategies.base import Signals
from tests.engine.backtest_helpers import Scripted, flags, make_bars

FLAT = [(100, 101, 99, 100)] * 8


def _strength_from_volume(entries: list[int], exits: list[int] = ()) -> Scripted:
    """Same entry/exit bars for every symbol; each symbol's strength is its volume / 10,000."""

    def make(bars: pd.DataFrame) -> Signals:
        return Signals(entries_long=flags(bars.index, entries), exits_long=flags(bars.index, exits),
                       strength=bars["volume"] / 10_000)

    return Scripted(make)


def _bars(volume: float, ohlc: list[tuple] = FLAT, start: str = "2024-01-01") -> pd.DataFrame:
    bars = make_bars(ohlc, start)
    bars["volume"] = volume
    return bars


def test_scarce_slots_go_to_the_strongest_signal() -> None:
    universe = {"WEAK": _bars(2_000), "STRONG": _bars(9_000), "MID": _bars(5_000)}
    cfg = BacktestConfig(cash=30_000, sizing="pct_equity", size_value=30, max_positions=2)
    result = run_portfolio_backtest(universe, _strength_from_volume([1]), cfg)
    assert sorted(result.trades["symbol"]) == ["MID", "STRONG"]
    assert list(result.positions.columns) == ["WEAK", "STRONG", "MID"]
    assert result.positions.iloc[2].tolist() == [0, 90, 90]


def test_equal_strength_falls_back_to_symbol_order() -> None:
    universe = {"B": _bars(5_000), "A": _bars(5_000)}
    cfg = BacktestConfig(cash=30_000, sizing="pct_equity", size_value=30, max_positions=1)
    result = run_portfolio_backtest(universe, _strength_from_volume([1]), cfg)
    assert result.trades["symbol"].tolist() == ["B"]


def test_cash_is_shared_between_positions() -> None:
    universe = {"A": _bars(9_000), "B": _bars(1_000)}
    cfg = BacktestConfig(cash=10_000, sizing="pct_equity", size_value=60)
    result = run_portfolio_backtest(universe, _strength_from_volume([1]), cfg)
    # A (stronger) takes 60 % = 60 shares at 100; only 4,000 is left for B → 40 shares
    assert result.positions.iloc[2].tolist() == [60, 40]
    assert result.cash.iloc[2] == pytest.approx(0.0)
    assert (result.cash >= -1e-9).all()


def test_exits_free_slots_before_entries_on_the_same_bar() -> None:
    def make(bars: pd.DataFrame) -> Signals:
        first = bars["volume"].iloc[0] == 1.0
        return Signals(entries_long=flags(bars.index, [1] if first else [4]),
                       exits_long=flags(bars.index, [4] if first else []))

    universe = {"A": _bars(1.0), "B": _bars(2.0)}
    cfg = BacktestConfig(cash=10_000, sizing="pct_equity", size_value=50, max_positions=1)
    trades = run_portfolio_backtest(universe, Scripted(make), cfg).trades
    assert trades[["symbol", "exit_reason"]].values.tolist() == [["A", "signal"], ["B", "end"]]
    assert trades["entry_time"].iloc[1] == trades["exit_time"].iloc[0]


def test_a_missing_bar_delays_that_symbols_fill_and_keeps_its_mark() -> None:
    rising = [(100 + k, 101 + k, 99 + k, 100 + k) for k in range(8)]
    a = _bars(1.0, rising)
    b = _bars(2.0, rising).drop(index=a.index[2])  # B has no bar on day 2
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    result = run_portfolio_backtest({"A": a, "B": b}, _strength_from_volume([1]), cfg)
    trades = result.trades.set_index("symbol")
    assert trades.loc["A", "entry_time"] == a.index[2]
    assert trades.loc["B", "entry_time"] == a.index[3]  # waited for B's next bar
    assert trades.loc["B", "entry_price"] == 103
    # day 3: A held since day 2 (bought 102), B bought at 103; both marked at 103
    assert result.equity.iloc[3] == pytest.approx(10_000 + 10 * (103 - 102))


def test_symbols_with_different_histories_are_aligned_on_the_union() -> None:
    a = _bars(1.0, FLAT, "2024-01-01")
    b = _bars(1.0, FLAT, "2024-01-05")
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    result = run_portfolio_backtest({"A": a, "B": b}, _strength_from_volume([1]), cfg)
    assert len(result.equity) == 12
    assert result.trades.set_index("symbol").loc["B", "entry_time"] == b.index[2]
    assert result.positions["B"].iloc[:4].eq(0).all()
    np.testing.assert_allclose(result.equity, 10_000)


def test_delisted_symbol_is_closed_at_its_last_known_close() -> None:
    a = _bars(1.0, FLAT)
    b = _bars(1.0, [(100, 101, 99, 100)] * 4 + [(90, 91, 89, 90)]).iloc[:5]
    cfg = BacktestConfig(cash=10_000, sizing="fixed_qty", size_value=10)
    result = run_portfolio_backtest({"A": a, "B": b}, _strength_from_volume([1]), cfg)
    trade_b = result.trades.set_index("symbol").loc["B"]
    assert (trade_b.exit_price, trade_b.exit_reason, trade_b.exit_time) == (90, "end", a.index[-1])
    assert result.equity.iloc[-1] == pytest.approx(10_000 - 100)


def test_empty_universe_is_rejected() -> None:
    with pytest.raises(DataError, match="at least one symbol"):
        run_portfolio_backtest({}, _strength_from_volume([1]))
