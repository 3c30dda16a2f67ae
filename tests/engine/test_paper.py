"""Paper trading: replaying history through paper ticks reproduces the backtest; ticks are idempotent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.backtest.config import BacktestConfig
from engine.backtest.runner import run_backtest
from engine.paper import deployments
from engine.paper.clock import bar_close_time
from engine.paper.deployments import DeploymentSpec, create_deployment
from engine.paper.runner import _compute, replay, tick_all, tick_deployment
from engine.strategies.registry import make_strategy
from storage import paper as store
from storage.candles import upsert_candles
from storage.db import make_engine, transaction

SYMBOL = "GOOG"
N_BARS = 320
COSTS = {"cash": 100_000.0, "costs": 0.001, "slippage_bps": 5.0}
CASES = [
    ("sma_cross", {"fast": 5, "slow": 20, "allow_short": True, "stop_loss_pct": 0.03}, {"allow_short": True}),
    ("rsi_reversion", {"period": 10, "lower": 35.0, "upper": 65.0, "take_profit_pct": 0.05}, {}),
    ("donchian_breakout", {"period": 15, "exit_period": 8, "allow_short": True, "trailing_pct": 0.04},
     {"allow_short": True}),
]


@pytest.fixture
def bars(goog: pd.DataFrame) -> pd.DataFrame:
    return goog.iloc[:N_BARS]


@pytest.fixture
def stored(db_engine, bars: pd.DataFrame):
    with transaction(db_engine) as s:
        upsert_candles(s, SYMBOL, "1d", bars, "csv")
    return db_engine


def _deploy(db, bars: pd.DataFrame, strategy: str, params: dict, extra: dict, risk: dict | None = None) -> int:
    spec = DeploymentSpec(strategy, [SYMBOL], params, config=COSTS | extra, risk=risk or {},
                          start=bars.index[0], history_start=bars.index[0])
    return create_deployment(db, spec)


def _backtest(bars: pd.DataFrame, strategy: str, params: dict, extra: dict):
    return run_backtest(bars, make_strategy(strategy, **params), BacktestConfig(**(COSTS | extra)), symbol=SYMBOL)


def _assert_parity(db, dep_id: int, result) -> None:
    """Closed trades equal the backtest's (its "end" exits are the paper book's open positions)."""
    expected = result.trades[result.trades["exit_reason"] != "end"].reset_index(drop=True)
    got = store.trades_frame(db, dep_id)
    assert len(got) == len(expected) > 3
    assert (got["entry_ts"].to_numpy() == expected["entry_time"].to_numpy()).all()
    assert (got["exit_ts"].to_numpy() == expected["exit_time"].to_numpy()).all()
    assert list(got["side"]) == list(expected["side"])
    assert list(got["exit_reason"]) == list(expected["exit_reason"])
    for a, b in (("entry_price", "entry_price"), ("exit_price", "exit_price"), ("qty", "qty"),
                 ("costs", "costs"), ("pnl", "pnl")):
        np.testing.assert_allclose(got[a].to_numpy(), expected[b].to_numpy(), rtol=1e-12, atol=1e-9)
    ends = result.trades[result.trades["exit_reason"] == "end"]
    pos = store.positions_frame(db, dep_id)
    assert len(pos) == len(ends)
    for (_, p), (_, e) in zip(pos.iterrows(), ends.iterrows(), strict=True):
        assert p["entry_ts"] == e["entry_time"] and p["avg_price"] == pytest.approx(e["entry_price"], rel=1e-12)
        assert abs(p["qty"]) == e["qty"] and (p["qty"] > 0) == (e["side"] == "long")
    equity = store.equity_series(db, dep_id)["equity"]
    assert len(equity) == len(result.equity)
    # the backtest closes open positions on its last bar (with costs); every earlier bar must match
    np.testing.assert_allclose(equity.to_numpy()[:-1], result.equity.to_numpy()[:-1], rtol=1e-12)


@pytest.mark.parametrize(("strategy", "params", "extra"), CASES, ids=[c[0] for c in CASES])
def test_bar_by_bar_replay_reproduces_the_backtest(stored, bars, strategy, params, extra) -> None:
    dep_id = _deploy(stored, bars, strategy, params, extra)
    outcome = replay(stored, dep_id, bars.index[0], bars.index[-1])
    assert outcome["failed"] == 0 and outcome["ticks"] > N_BARS * 0.9
    result = _backtest(bars, strategy, params, extra)
    _assert_parity(stored, dep_id, result)
    if extra.get("allow_short"):
        assert set(store.trades_frame(stored, dep_id)["side"]) == {"long", "short"}
    kinds = set(result.trades["exit_reason"])
    assert kinds - {"signal", "reverse", "end"}, "the case should exercise a stop, trailing stop or target"


@pytest.mark.parametrize(("strategy", "params", "extra"), CASES, ids=[c[0] for c in CASES])
def test_uneven_jumps_with_restarts_reproduce_the_backtest(stored, db_url, bars, strategy, params, extra) -> None:
    dep_id = _deploy(stored, bars, strategy, params, extra)
    rng = np.random.default_rng(7)
    i = 0
    while i < N_BARS - 1:
        i = min(N_BARS - 1, i + int(rng.integers(1, 40)))
        fresh = make_engine(db_url)  # a "restart": new engine objects, state only in the database
        assert tick_deployment(fresh, dep_id, bar_close_time(SYMBOL, "1d", bars.index[i]))["status"] in ("ok", "idle")
        fresh.dispose()
    _assert_parity(stored, dep_id, _backtest(bars, strategy, params, extra))


def test_repeated_tick_adds_nothing(stored, bars) -> None:
    strategy, params, extra = CASES[0]
    dep_id = _deploy(stored, bars, strategy, params, extra)
    now = bar_close_time(SYMBOL, "1d", bars.index[200])
    assert tick_deployment(stored, dep_id, now)["status"] == "ok"
    before = store.orders_frame(stored, dep_id)
    assert len(before) > 5
    assert tick_deployment(stored, dep_id, now)["status"] == "idle"
    after = store.orders_frame(stored, dep_id)
    assert after.equals(before)
    fills = store.fills_frame(stored, dep_id)
    assert len(fills) == (before["status"] == "FILLED").sum()
    assert before["key"].is_unique


def test_concurrent_tick_loses_the_version_check(stored, bars) -> None:
    strategy, params, extra = CASES[0]
    dep_id = _deploy(stored, bars, strategy, params, extra)
    now = bar_close_time(SYMBOL, "1d", bars.index[150])
    with transaction(stored) as s:
        dep = store.get_deployment(s, dep_id)
    first, second = _compute(stored, dep, now), _compute(stored, dep, now)
    with transaction(stored) as s:
        store.commit_tick(s, dep_id, dep["version"], first)
    with pytest.raises(store.StaleDeployment), transaction(stored) as s:
        store.commit_tick(s, dep_id, dep["version"], second)
    orders = store.orders_frame(stored, dep_id)
    assert len(orders) == len({o["key"] for o in first.orders}) > 5
    assert len(store.fills_frame(stored, dep_id)) == len(first.fills)


def test_pending_signal_is_an_open_order_then_filled(stored, bars) -> None:
    strategy, params, extra = CASES[0]
    dep_id = _deploy(stored, bars, strategy, params, extra)
    result = _backtest(bars, strategy, params, extra)
    entry = result.trades["entry_time"].iloc[1]
    signal_bar = bars.index[bars.index.get_loc(entry) - 1]
    tick_deployment(stored, dep_id, bar_close_time(SYMBOL, "1d", signal_bar))
    orders = store.orders_frame(stored, dep_id)
    opened = orders[orders["status"] == "OPEN"]
    assert len(opened) >= 1 and (opened["signal_ts"] == signal_bar).all()
    tick_deployment(stored, dep_id, bar_close_time(SYMBOL, "1d", entry))
    orders = store.orders_frame(stored, dep_id).set_index("key")
    assert set(orders.loc[opened["key"], "status"]) <= {"FILLED", "CANCELLED", "REJECTED"}
    assert "FILLED" in set(orders.loc[opened["key"], "status"])
    assert (orders.loc[opened["key"], "fill_ts"] == entry).all()


def test_paused_and_stopped_deployments_are_not_ticked(stored, bars) -> None:
    strategy, params, extra = CASES[0]
    a = _deploy(stored, bars, strategy, params, extra)
    b = _deploy(stored, bars, strategy, params, extra)
    deployments.pause(stored, b)
    summary = tick_all(stored, bar_close_time(SYMBOL, "1d", bars.index[100]), sync=False)
    assert summary["deployments"] == 1 and summary["ok"] == 1
    assert deployments.get(stored, b)["last_bar_ts"] is None
    assert deployments.get(stored, a)["last_bar_ts"] == int(bars.index[100].timestamp())
    deployments.resume(stored, b)
    deployments.stop(stored, a)
    summary = tick_all(stored, bar_close_time(SYMBOL, "1d", bars.index[100]), sync=False)
    assert summary["ok"] == 1 and summary["results"][0]["id"] == b


def test_reset_and_delete(stored, bars) -> None:
    strategy, params, extra = CASES[0]
    dep_id = _deploy(stored, bars, strategy, params, extra)
    tick_deployment(stored, dep_id, bar_close_time(SYMBOL, "1d", bars.index[200]))
    deployments.reset(stored, dep_id)
    assert store.orders_frame(stored, dep_id).empty and store.equity_series(stored, dep_id).empty
    dep = deployments.get(stored, dep_id)
    assert dep["last_bar_ts"] is None and dep["equity"] == COSTS["cash"]
    assert deployments.delete(stored, dep_id) and not deployments.delete(stored, dep_id)


def test_risk_limit_refusal_is_a_rejected_order(stored, bars) -> None:
    strategy, params, extra = CASES[0]
    dep_id = _deploy(stored, bars, strategy, params, extra, risk={"limits": {"max_position_value": 10_000.0}})
    tick_deployment(stored, dep_id, bar_close_time(SYMBOL, "1d", bars.index[-1]))
    orders = store.orders_frame(stored, dep_id)
    rejected = orders[orders["status"] == "REJECTED"]
    assert len(rejected) > 0 and not (orders["status"] == "FILLED").any()
    assert rejected["reason"].str.contains("position value|max", case=False).all()


def test_circuit_breaker_blocks_entries_after_losses(stored, bars) -> None:
    strategy, params, extra = CASES[0]
    risk = {"breaker": {"max_consecutive_losses": 1, "calendar_symbol": SYMBOL}}
    dep_id = _deploy(stored, bars, strategy, params, extra, risk=risk)
    tick_deployment(stored, dep_id, bar_close_time(SYMBOL, "1d", bars.index[-1]))  # the breaker sees every bar
    trades = store.trades_frame(stored, dep_id)
    orders = store.orders_frame(stored, dep_id)
    assert trades["pnl"].iloc[0] < 0 and len(trades) == 1
    assert orders["reason"].str.contains("circuit breaker").any()
    dep = deployments.get(stored, dep_id)
    assert deployments.breaker_status(dep)["status"] == "TRIPPED"
    table = deployments.breaker_states(stored)
    assert table[["deployment_id", "status", "reset_mode"]].values.tolist() == [[dep_id, "TRIPPED", "manual"]]
    assert "losing trades in a row" in table["reason"].iloc[0]
    assert deployments.reset_breaker(stored, dep_id) and not deployments.reset_breaker(stored, dep_id)
    assert deployments.breaker_status(deployments.get(stored, dep_id))["status"] == "OK"
    assert deployments.breaker_states(stored)["status"].tolist() == ["OK"]


def test_breaker_state_survives_and_reset_allows_entries_again(stored, goog) -> None:
    strategy, params, extra = CASES[0]
    bars = goog.iloc[:N_BARS + 150]
    with transaction(stored) as s:
        upsert_candles(s, SYMBOL, "1d", bars.iloc[N_BARS:], "csv")
    risk = {"breaker": {"max_consecutive_losses": 1, "calendar_symbol": SYMBOL}}
    dep_id = _deploy(stored, bars, strategy, params, extra, risk=risk)
    tick_deployment(stored, dep_id, bar_close_time(SYMBOL, "1d", bars.index[N_BARS - 1]))
    assert len(store.trades_frame(stored, dep_id)) == 1  # tripped after the first loss
    tick_deployment(make_engine(str(stored.url)), dep_id, bar_close_time(SYMBOL, "1d", bars.index[N_BARS + 60]))
    assert len(store.trades_frame(stored, dep_id)) == 1, "the tripped state was restored and still blocks"
    orders = store.orders_frame(stored, dep_id)
    late = orders[(orders["fill_ts"] > bars.index[N_BARS - 1]) & (orders["status"] == "REJECTED")]
    assert late["reason"].str.contains("circuit breaker").any()
    assert deployments.reset_breaker(stored, dep_id)
    tick_deployment(stored, dep_id, bar_close_time(SYMBOL, "1d", bars.index[-1]))
    assert len(store.trades_frame(stored, dep_id)) >= 2, "entries resume after the user reset the breaker"


def test_cash_ledger_balances_to_the_book(stored, bars) -> None:
    strategy, params, extra = CASES[2]
    dep_id = _deploy(stored, bars, strategy, params, extra)
    tick_deployment(stored, dep_id, bar_close_time(SYMBOL, "1d", bars.index[-1]))
    ledger = store.cash_ledger(stored, dep_id, COSTS["cash"])
    assert len(ledger) > 6
    assert ledger["balance"].iloc[-1] == pytest.approx(deployments.get(stored, dep_id)["cash"], rel=1e-12)


def test_tick_all_syncs_the_due_symbols_first(db_engine, monkeypatch) -> None:
    from engine.config import get_settings

    monkeypatch.setenv("QUANTDESK_PROVIDER", "demo")
    get_settings.cache_clear()
    now = pd.Timestamp.now(tz="UTC")
    spec = DeploymentSpec("sma_cross", ["INFY.NS"], {"fast": 5, "slow": 20}, start=now - pd.Timedelta(days=60),
                          history_start=now - pd.Timedelta(days=400))
    dep_id = create_deployment(db_engine, spec)
    summary = tick_all(db_engine, now, settings=get_settings())
    assert summary["due"] == 1 and summary["ok"] == 1, summary
    assert deployments.get(db_engine, dep_id)["last_bar_ts"] is not None
    assert len(store.equity_series(db_engine, dep_id)) > 30


def test_one_broken_deployment_does_not_stop_the_others(stored, bars, monkeypatch) -> None:
    from engine.paper import runner

    strategy, params, extra = CASES[0]
    a = _deploy(stored, bars, strategy, params, extra)
    b = _deploy(stored, bars, strategy, params, extra)
    real = runner.run_tick

    def flaky(deployment_id, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if deployment_id == a:
            raise ZeroDivisionError("boom")
        return real(deployment_id, *args, **kwargs)

    monkeypatch.setattr(runner, "run_tick", flaky)
    summary = tick_all(stored, bar_close_time(SYMBOL, "1d", bars.index[100]), sync=False)
    assert summary["failed"] == 1 and summary["ok"] == 1
    assert "ZeroDivisionError: boom" in deployments.get(stored, a)["last_error"]
    assert deployments.get(stored, b)["last_bar_ts"] == int(bars.index[100].timestamp())
