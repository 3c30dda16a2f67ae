"""Crash safety: a worker process ticking a deployment is SIGKILLed at random moments and restarted;
afterwards no order is lost or duplicated and cash and positions reconcile with the fills."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import numpy as np
import pandas as pd
import pytest

from engine.paper.clock import bar_close_time
from engine.paper.deployments import DeploymentSpec, create_deployment
from storage import paper as store
from storage.candles import upsert_candles
from storage.db import transaction

TRIALS = 50
N_BARS = 260
PARAMS = {"fast": 5, "slow": 20, "allow_short": True, "stop_loss_pct": 0.03}
CONFIG = {"cash": 100_000.0, "costs": 0.001, "slippage_bps": 5.0, "allow_short": True}


def _worker(db_url: str, dep_id: int, clock: list[pd.Timestamp]) -> None:
    """A worker process: its own engine, ticking the deployment along the replay clock."""
    from engine.paper.runner import tick_deployment
    from storage.db import make_engine

    engine = make_engine(db_url)
    for now in clock:
        tick_deployment(engine, dep_id, now)
    os._exit(0)


@pytest.mark.slow
def test_sigkilled_worker_loses_and_duplicates_nothing(db_engine, db_url, goog) -> None:
    bars = goog.iloc[:N_BARS]
    with transaction(db_engine) as s:
        upsert_candles(s, "GOOG", "1d", bars, "csv")
    dep_id = create_deployment(db_engine, DeploymentSpec("sma_cross", ["GOOG"], PARAMS, config=CONFIG,
                                                         start=bars.index[0], history_start=bars.index[0]))
    clock = [bar_close_time("GOOG", "1d", ts) for ts in bars.index]
    _warm_up(db_engine, bars)  # forked workers inherit loaded modules and JIT caches, so kills land mid-tick
    db_engine.dispose()  # no pooled connection crosses the fork
    ctx = multiprocessing.get_context("fork")
    rng = np.random.default_rng(11)
    killed = 0
    for _ in range(TRIALS):
        proc = ctx.Process(target=_worker, args=(db_url, dep_id, clock))
        proc.start()
        time.sleep(float(rng.uniform(0.02, 0.25)))
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.join()
    from engine.paper.deployments import get

    progressed = get(db_engine, dep_id)["last_bar_ts"]
    assert progressed is not None, "ticks committed between the kills"
    assert progressed < int(bars.index[-1].timestamp()), "the kills landed while there was work to do"
    proc = ctx.Process(target=_worker, args=(db_url, dep_id, clock))  # the final restart runs to the end
    proc.start()
    proc.join(120)
    assert proc.exitcode == 0
    assert killed >= TRIALS * 0.8, "most trials must kill the worker mid-run"
    _assert_reconciled(db_engine, dep_id, bars)


def _warm_up(db_engine, bars: pd.DataFrame) -> None:  # noqa: ANN001
    from engine.paper.runner import tick_deployment

    warm = create_deployment(db_engine, DeploymentSpec("sma_cross", ["GOOG"], PARAMS, config=CONFIG,
                                                       start=bars.index[0], history_start=bars.index[0]))
    tick_deployment(db_engine, warm, bar_close_time("GOOG", "1d", bars.index[30]))
    from engine.paper.deployments import delete

    delete(db_engine, warm)


def _assert_reconciled(db_engine, dep_id: int, bars: pd.DataFrame) -> None:  # noqa: ANN001
    from engine.backtest.config import BacktestConfig
    from engine.backtest.runner import run_backtest
    from engine.paper.deployments import get
    from engine.strategies.registry import make_strategy

    orders, fills = store.orders_frame(db_engine, dep_id), store.fills_frame(db_engine, dep_id)
    assert orders["key"].is_unique and len(orders) > 0
    assert len(fills) == (orders["status"] == "FILLED").sum() == fills["order_id"].nunique()
    dep = get(db_engine, dep_id)
    flows = np.where(fills["side"] == "sell", 1.0, -1.0) * fills["qty"] * fills["price"] - fills["cost"]
    assert dep["cash"] == pytest.approx(CONFIG["cash"] + flows.sum(), rel=1e-12)
    signed = (np.where(fills["side"] == "buy", 1.0, -1.0) * fills["qty"]).groupby(fills["symbol"]).sum()
    positions = store.positions_frame(db_engine, dep_id).set_index("symbol")["qty"]
    assert signed[signed != 0].to_dict() == positions.to_dict()
    result = run_backtest(bars, make_strategy("sma_cross", **PARAMS), BacktestConfig(**CONFIG), symbol="GOOG")
    expected = result.trades[result.trades["exit_reason"] != "end"]
    trades = store.trades_frame(db_engine, dep_id)
    assert len(trades) == len(expected) > 3
    np.testing.assert_allclose(trades["pnl"].to_numpy(), expected["pnl"].to_numpy(), rtol=1e-12)
    assert len(store.equity_series(db_engine, dep_id)) == len(bars)
