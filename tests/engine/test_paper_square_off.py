"""Intraday auto square-off: NSE deployments close positions at 15:20 IST (the bar containing it)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.paper.broker import SquareOff
from engine.paper.deployments import DeploymentSpec, create_deployment, get
from engine.paper.runner import tick_deployment
from storage import paper as store
from storage.candles import upsert_candles
from storage.db import transaction

IST = "Asia/Kolkata"


def intraday_bars(days: list[str]) -> pd.DataFrame:
    """15-minute bars 09:15-15:15 IST (25 a session), gently rising."""
    stamps = [pd.Timestamp(f"{d} 09:15", tz=IST) + pd.Timedelta(minutes=15 * k) for d in days for k in range(25)]
    index = pd.DatetimeIndex(stamps).tz_convert("UTC")
    close = 100 + np.arange(len(index)) * 0.1
    bars = pd.DataFrame({"open": close - 0.05, "high": close + 0.2, "low": close - 0.2, "close": close,
                         "adj_close": close, "volume": 1000.0}, index=index)
    bars.index.name = "ts"
    return bars


def test_square_off_bar_is_the_one_containing_the_time() -> None:
    rule = SquareOff("15:20", IST, 15 * 60)
    at = lambda text: int(pd.Timestamp(text, tz=IST).timestamp())  # noqa: E731
    assert not rule.is_after(at("2024-01-25 15:00"))
    assert rule.is_after(at("2024-01-25 15:15"))
    assert not SquareOff("15:20", IST, 5 * 60).is_after(at("2024-01-25 15:15"))
    assert SquareOff("15:20", IST, 5 * 60).is_after(at("2024-01-25 15:20"))
    rule.after = True
    assert "square-off" in rule.wrap(None)(0, True, 1.0, 100.0, 1000.0)


def test_nse_intraday_positions_are_squared_off_at_1520(db_engine) -> None:
    bars = intraday_bars(["2024-01-24", "2024-01-25"])
    with transaction(db_engine) as s:
        upsert_candles(s, "INFY.NS", "15m", bars, "csv")
    dep_id = create_deployment(db_engine, DeploymentSpec("buy_hold", ["INFY.NS"], interval="15m",
                                                         start=bars.index[0], history_start=bars.index[0]))
    assert get(db_engine, dep_id)["risk"]["square_off"] == "15:20"
    assert tick_deployment(db_engine, dep_id, bars.index[-1] + pd.Timedelta(minutes=15))["status"] == "ok"
    trades = store.trades_frame(db_engine, dep_id)
    assert trades["exit_reason"].tolist() == ["square_off"]
    assert trades["exit_ts"].iloc[0] == pd.Timestamp("2024-01-24 15:15", tz=IST)
    assert trades["exit_price"].iloc[0] == bars["open"].loc[pd.Timestamp("2024-01-24 15:15", tz=IST)]
    assert store.positions_frame(db_engine, dep_id).empty
    orders = store.orders_frame(db_engine, dep_id)
    assert "exit_square_off" in set(orders["intent"]) and orders["key"].is_unique
