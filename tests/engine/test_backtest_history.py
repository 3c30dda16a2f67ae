"""Run history service: save a BacktestResult, reopen it unchanged, compare runs, delete."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.backtest import BacktestConfig, run_backtest
from engine.backtest.history import compare_runs, delete_result, list_results, open_result, save_result
from engine.errors import DataError
from tests.engine.backtest_helpers import random_walk, scripted


def _result(cost: float):
    bars = random_walk(80, 11)
    cfg = BacktestConfig(cash=50_000, costs=cost)
    return run_backtest(bars, scripted(entries_long=[5, 40], exits_long=[20, 60], trailing_pct=0.05), cfg,
                        symbol="DEMO")


def test_save_and_reopen_gives_the_same_result(db_engine) -> None:
    result = _result(0.001)
    run_id = save_result(db_engine, result, "trailing demo")
    again = open_result(db_engine, run_id)
    pd.testing.assert_series_equal(again.equity, result.equity, check_freq=False)
    pd.testing.assert_frame_equal(again.trades, result.trades, check_dtype=False)
    assert again.config == result.config
    assert again.stats["final_equity"] == pytest.approx(result.stats["final_equity"])
    runs = list_results(db_engine)
    assert runs.loc[0, "name"] == "trailing demo" and runs.loc[0, "symbols"] == ["DEMO"]


def test_compare_runs_puts_stats_side_by_side(db_engine) -> None:
    cheap, dear = _result(0.0), _result(0.005)
    a = save_result(db_engine, cheap, "no costs")
    b = save_result(db_engine, dear)
    table = compare_runs(db_engine, [a, b])
    assert list(table.columns) == [f"#{a} no costs", f"#{b} scripted DEMO"]
    assert table.loc["final_equity", f"#{a} no costs"] == pytest.approx(cheap.equity.iloc[-1])
    assert table.loc["final_equity", f"#{a} no costs"] > table.loc["final_equity", f"#{b} scripted DEMO"]
    assert "sharpe" in table.index and "n_trades" in table.index
    with pytest.raises(DataError):
        compare_runs(db_engine, [])
    with pytest.raises(DataError, match="no saved backtest run"):
        compare_runs(db_engine, [a, 999])


def test_delete_result(db_engine) -> None:
    run_id = save_result(db_engine, _result(0.0))
    assert delete_result(db_engine, run_id) is True
    assert delete_result(db_engine, run_id) is False
    with pytest.raises(DataError):
        open_result(db_engine, run_id)
