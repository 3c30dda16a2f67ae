"""The resumable bar loop: stepping in chunks with a JSON round trip of the state equals one pass."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine.backtest import BacktestConfig, run_portfolio_backtest
from engine.backtest.kernel import Stepper, run_loop
from engine.backtest.runner import prepare
from engine.strategies.registry import make_strategy


def _universe(goog: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """GOOG plus a scaled, partly missing copy: two symbols on a union index with gaps."""
    a = goog.iloc[:400]
    b = (a * 0.5).assign(volume=a["volume"]).drop(a.index[50:60])
    b.loc[b.index[100:103], ["open", "high", "low", "close"]] = np.nan
    return {"GOOG": a, "HALF": b}


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_chunked_steps_with_saved_state_equal_one_pass(goog: pd.DataFrame, fill: str) -> None:
    universe = _universe(goog)
    strategy = make_strategy("donchian_breakout", period=12, exit_period=6, allow_short=True, stop_loss_pct=0.04,
                             trailing_pct=0.06)
    cfg = BacktestConfig(cash=50_000, costs=0.001, slippage_bps=3, fill=fill, allow_short=True, max_positions=1,
                         size_value=60)
    index = universe["GOOG"].index.union(universe["HALF"].index)
    prep = prepare(universe, strategy, index)
    n = len(index)
    whole = run_loop(prep.md, prep.sg, cfg, cfg.cost_model().cost, n)
    rng = np.random.default_rng(3)
    state, i, trades, fills, refusals = None, 0, [], [], []
    while i < n:
        j = min(n, i + int(rng.integers(1, 30)))
        stepper = Stepper(prep.md, prep.sg, cfg, cfg.cost_model().cost, state=state)
        stepper.step(i, j)
        trades += stepper.out.trades
        fills += stepper.out.fills
        refusals += stepper.out.refusals
        state = json.loads(json.dumps(stepper.state()))  # what a paper tick stores
        i = j
    last = Stepper(prep.md, prep.sg, cfg, cfg.cost_model().cost, state=state)
    out = last.finish(n)
    assert trades + out.trades == whole.trades
    assert fills + out.fills == whole.fills
    assert refusals == whole.refusals
    assert len(whole.trades) > 10 and {t[11] for t in whole.trades} & {"stop", "trailing"}
    assert any(r[6] == "max positions open" for r in whole.refusals)


def test_run_loop_result_is_unchanged_by_fill_records(goog: pd.DataFrame) -> None:
    """Every fill is recorded and the fills reconcile the cash of the backtest."""
    universe = _universe(goog)
    cfg = BacktestConfig(cash=50_000, costs=0.001, allow_short=True)
    strategy = make_strategy("sma_cross", fast=5, slow=20, allow_short=True)
    result = run_portfolio_backtest(universe, strategy, cfg)
    index = universe["GOOG"].index.union(universe["HALF"].index)
    prep = prepare(universe, strategy, index)
    out = run_loop(prep.md, prep.sg, cfg, cfg.cost_model().cost, len(index))
    cash = cfg.cash + sum((q * px if side == "sell" else -q * px) - cost for _, _, _, side, q, px, cost, _ in out.fills)
    assert cash == pytest.approx(result.cash.iloc[-1], rel=1e-12)
    assert len(out.fills) == 2 * len(result.trades)
