"""Manual paper orders: fill rules by hand, then market/limit/stop orders through ticks, rejections, cancel."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.errors import DataError
from engine.execution import fill_price
from engine.paper.clock import bar_close_time
from engine.paper.deployments import DeploymentSpec, create_deployment
from engine.paper.manual import cancel_order, match_price, place_order
from engine.paper.runner import tick_deployment
from storage import paper as store
from storage.candles import upsert_candles
from storage.db import transaction

QUIET = {"period": 14, "lower": 5.0, "upper": 95.0}  # never signals on this stretch of GOOG
CONFIG = {"cash": 100_000.0, "costs": 0.001, "slippage_bps": 10.0}


def order(kind: str, side: str = "buy", limit: float | None = None, stop: float | None = None) -> dict:
    return {"order_type": kind, "side": side, "limit_price": limit, "stop_price": stop}


@pytest.mark.parametrize(("o", "bar", "expected"), [
    (order("market"), (100, 105, 95), (100, False)),
    (order("limit", limit=98), (100, 105, 95), (98, True)),  # touched inside the bar
    (order("limit", limit=101), (100, 105, 95), (100, True)),  # opens better than the limit
    (order("limit", limit=94), (100, 105, 95), None),
    (order("limit", "sell", limit=104), (100, 105, 95), (104, True)),
    (order("stop", stop=103), (100, 105, 95), (103, False)),
    (order("stop", stop=99), (100, 105, 95), (100, False)),  # gapped through the stop: the open
    (order("stop", "sell", stop=96), (100, 105, 95), (96, False)),
    (order("stop", stop=106), (100, 105, 95), None),
    (order("stop_limit", stop=103, limit=104), (100, 105, 95), (103, True)),  # triggers at 103 <= limit
    (order("stop_limit", stop=99, limit=98), (100, 105, 95), (98, True)),  # gap to 100, then back to 98
    (order("stop_limit", stop=99, limit=98), (100, 105, 99), None),  # never comes back to 98
])
def test_fill_rules(o: dict, bar: tuple, expected) -> None:
    assert match_price(o, *bar) == expected


@pytest.fixture
def setup(db_engine, goog):
    bars = goog.iloc[:150]
    with transaction(db_engine) as s:
        upsert_candles(s, "GOOG", "1d", bars, "csv")
    dep = create_deployment(db_engine, DeploymentSpec("rsi_reversion", ["GOOG"], QUIET, config=CONFIG,
                                                      start=bars.index[0], history_start=bars.index[0]))
    return db_engine, dep, bars


def at_close(bars: pd.DataFrame, i: int) -> pd.Timestamp:
    return bar_close_time("GOOG", "1d", bars.index[i])


def test_market_then_limit_round_trip(setup) -> None:
    db, dep, bars = setup
    tick_deployment(db, dep, at_close(bars, 50))
    placed = place_order(db, dep, "GOOG", "buy", 10, now=at_close(bars, 50))
    assert placed["status"] == "OPEN"
    tick_deployment(db, dep, at_close(bars, 51))
    orders = store.orders_frame(db, dep).set_index("key")
    buy_px = fill_price(bars["open"].iloc[51], "buy", 10.0)
    assert orders.loc[placed["key"], "status"] == "FILLED"
    assert orders.loc[placed["key"], "fill_price"] == pytest.approx(buy_px, rel=1e-12)
    cost = 10 * buy_px * 0.001
    assert store.list_deployments(db)["cash"].iloc[0] == pytest.approx(100_000 - 10 * buy_px - cost, rel=1e-12)
    assert store.positions_frame(db, dep)["qty"].tolist() == [10.0]
    limit = float(bars["high"].iloc[52:70].max()) - 0.01
    sell = place_order(db, dep, "GOOG", "sell", 10, "limit", limit_price=limit, now=at_close(bars, 51))
    tick_deployment(db, dep, at_close(bars, 80))
    hit = next(j for j in range(52, 80) if bars["high"].iloc[j] >= limit)
    filled = store.orders_frame(db, dep).set_index("key").loc[sell["key"]]
    assert filled["status"] == "FILLED" and filled["fill_ts"] == bars.index[hit]
    assert filled["fill_price"] == pytest.approx(max(limit, bars["open"].iloc[hit]), rel=1e-12)
    trades = store.trades_frame(db, dep)
    assert trades["exit_reason"].tolist() == ["manual"] and trades["qty"].tolist() == [10.0]
    assert store.positions_frame(db, dep).empty
    assert len(store.fills_frame(db, dep)) == 2


def test_rejections_and_cancel(setup) -> None:
    db, dep, bars = setup
    tick_deployment(db, dep, at_close(bars, 50))
    short = place_order(db, dep, "GOOG", "sell", 5, now=at_close(bars, 50))
    assert short["status"] == "REJECTED" and "short selling is off" in short["reason"]
    place_order(db, dep, "GOOG", "buy", 10, now=at_close(bars, 50))
    tick_deployment(db, dep, at_close(bars, 51))
    partial = place_order(db, dep, "GOOG", "sell", 3, now=at_close(bars, 51))
    assert partial["status"] == "REJECTED" and "close the whole position" in partial["reason"]
    far = place_order(db, dep, "GOOG", "sell", 10, "stop", stop_price=1.0, now=at_close(bars, 51))
    assert cancel_order(db, dep, far["id"]) and not cancel_order(db, dep, far["id"])
    tick_deployment(db, dep, at_close(bars, 60))
    orders = store.orders_frame(db, dep).set_index("key")
    assert orders.loc[far["key"], "status"] == "CANCELLED"
    with pytest.raises(DataError, match="not AAPL"):
        place_order(db, dep, "AAPL", "buy", 1)
    with pytest.raises(DataError, match="limit price"):
        place_order(db, dep, "GOOG", "buy", 1, "limit")


def test_manual_order_passes_the_risk_limits(db_engine, goog) -> None:
    bars = goog.iloc[:100]
    with transaction(db_engine) as s:
        upsert_candles(s, "GOOG", "1d", bars, "csv")
    dep = create_deployment(db_engine, DeploymentSpec(
        "rsi_reversion", ["GOOG"], QUIET, config=CONFIG, risk={"limits": {"max_position_value": 1000.0}},
        start=bars.index[0], history_start=bars.index[0]))
    tick_deployment(db_engine, dep, at_close(bars, 50))
    refused = place_order(db_engine, dep, "GOOG", "buy", 10, now=at_close(bars, 50))
    assert refused["status"] == "REJECTED" and ("1,000" in refused["reason"] or "1000" in refused["reason"])
    assert place_order(db_engine, dep, "GOOG", "buy", 1, now=at_close(bars, 50))["status"] == "OPEN"
