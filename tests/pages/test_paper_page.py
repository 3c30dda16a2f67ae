"""Paper Trading page through AppTest: empty state, deploy form, live view, controls, deploy from Backtest."""

from __future__ import annotations

import pandas as pd

from engine.paper.deployments import DeploymentSpec, create_deployment
from engine.paper.runner import tick_deployment
from storage import paper as store
from tests.pages.page_helpers import SYMBOLS, app, app_at, demo_env, empty_db, seeded  # noqa: F401


def test_empty_state_without_deployments(seeded) -> None:  # noqa: ANN001, F811
    at = app("paper")
    assert not at.exception, at.exception
    assert any("No paper deployments yet" in i.value for i in at.info)
    assert at.button(key="paper_deploy") is not None


def test_empty_database_points_to_data(empty_db) -> None:  # noqa: ANN001, F811
    at = app("paper")
    assert not at.exception, at.exception
    assert any("No market data stored yet" in i.value for i in at.info)


def test_deploy_from_the_form(seeded, db_engine) -> None:  # noqa: ANN001, F811
    at = app("paper")
    at.button(key="paper_deploy").click().run(timeout=60)
    assert not at.exception, at.exception
    listing = store.list_deployments(db_engine)
    assert len(listing) == 1 and listing["status"].iloc[0] == "running"
    assert listing["symbols"].iloc[0] == [SYMBOLS[0]]
    assert at.selectbox(key="paper_selected").value == int(listing["id"].iloc[0])


def test_live_view_shows_positions_orders_and_equity(seeded, db_engine) -> None:  # noqa: ANN001, F811
    spec = DeploymentSpec("sma_cross", [SYMBOLS[0]], {"fast": 5, "slow": 20}, config={"costs": 0.001},
                          start="2023-01-02", history_start="2022-01-03")
    dep_id = create_deployment(db_engine, spec)
    assert tick_deployment(db_engine, dep_id, pd.Timestamp("2024-06-27", tz="UTC"))["status"] == "ok"
    at = app("paper")
    assert not at.exception, at.exception
    assert [m.label for m in at.metric] == ["Equity", "Cash", "Unrealised P&L", "Realised P&L"]
    assert at.get("plotly_chart")[0].key == "paper_equity"
    frames = [d.value for d in at.dataframe]
    assert any({"status", "equity", "last_bar"} <= set(f.columns) for f in frames), "the deployments list"
    assert any({"exit_reason", "pnl"} <= set(f.columns) for f in frames), "the trade journal"
    assert any({"order_id", "price", "cost"} <= set(f.columns) for f in frames), "the fills"
    orders = next(f for f in frames if {"key", "intent", "status"} <= set(f.columns))
    assert len(orders) == len(store.orders_frame(db_engine, dep_id)) > 0
    held = store.positions_frame(db_engine, dep_id)
    assert held["qty"].tolist() == [27.0], "the SMA cross is long on the demo data at this date"
    at.selectbox(key=f"paper_mo_side_{dep_id}").set_value("sell")
    at.number_input(key=f"paper_mo_qty_{dep_id}").set_value(3)
    at.button(key=f"paper_mo_place_{dep_id}").click().run(timeout=60)
    assert not at.exception, at.exception
    assert any("whole position" in e.value for e in at.error), "a partial close is rejected"
    at.number_input(key=f"paper_mo_qty_{dep_id}").set_value(27)
    at.selectbox(key=f"paper_mo_type_{dep_id}").set_value("limit").run(timeout=60)
    at.number_input(key=f"paper_mo_limit_{dep_id}").set_value(99999.0)
    at.button(key=f"paper_mo_place_{dep_id}").click().run(timeout=60)
    assert any("is open" in x.value for x in at.success)
    manual = store.orders_frame(db_engine, dep_id).query("intent == 'manual'")
    assert sorted(manual["status"]) == ["OPEN", "REJECTED"] and manual["limit_price"].max() == 99999.0
    at.button(key=f"paper_pause_{dep_id}").click().run(timeout=60)
    assert not at.exception, at.exception
    assert store.list_deployments(db_engine)["status"].iloc[0] == "paused"
    at.button(key=f"paper_delete_{dep_id}").click().run(timeout=60)
    assert store.list_deployments(db_engine).empty


def test_deploy_to_paper_from_a_backtest_result(seeded, db_engine) -> None:  # noqa: ANN001, F811
    at = app_at("backtest")  # through the app's navigation, so the link to Paper Trading resolves
    at.button(key="backtest_run").click().run(timeout=60)
    assert not at.exception, at.exception
    at.button(key="backtest_deploy_paper").click().run(timeout=60)
    assert not at.exception, at.exception
    listing = store.list_deployments(db_engine)
    assert len(listing) == 1
    assert listing["strategy"].iloc[0] == "sma_cross" and listing["params"].iloc[0]["fast"] == 10
    assert any("Paper deployment" in s.value for s in at.success)


def test_tripped_breaker_is_shown_and_reset(seeded, db_engine) -> None:  # noqa: ANN001, F811
    from engine.paper.deployments import breaker_status, get

    risk = {"breaker": {"max_consecutive_losses": 1, "calendar_symbol": SYMBOLS[0]}}
    spec = DeploymentSpec("sma_cross", [SYMBOLS[0]], {"fast": 5, "slow": 20}, config={"costs": 0.01}, risk=risk,
                          start="2021-01-04", history_start="2020-01-02")
    dep_id = create_deployment(db_engine, spec)
    tick_deployment(db_engine, dep_id, pd.Timestamp("2024-06-27", tz="UTC"))
    assert breaker_status(get(db_engine, dep_id))["status"] == "TRIPPED"
    at = app("paper")
    assert not at.exception, at.exception
    assert any("Circuit breaker TRIPPED" in e.value for e in at.error)
    at.button(key=f"paper_breaker_reset_{dep_id}").click().run(timeout=60)
    assert not at.exception, at.exception
    assert breaker_status(get(db_engine, dep_id))["status"] == "OK"
    assert not any("Circuit breaker TRIPPED" in e.value for e in at.error)
    ledger = next(d.value for d in at.dataframe if "balance" in d.value.columns)
    assert len(ledger) == len(store.fills_frame(db_engine, dep_id))
