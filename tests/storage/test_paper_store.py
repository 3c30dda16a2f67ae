"""Paper storage: migration 0004 matches the models; order keys are unique; final orders never change."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from storage import paper as store
from storage.db import transaction
from storage.models import Base

PAPER_TABLES = {"paper_deployments", "paper_orders", "paper_fills", "paper_positions", "paper_trades", "paper_equity"}


def _deployment(session) -> int:  # noqa: ANN001
    return store.create_deployment(session, name="t", strategy="sma_cross", params={}, symbols=["GOOG"],
                                   interval="1d", config={"cash": 1000.0}, risk={}, history_start=0, start_ts=0,
                                   cash=1000.0)


def _order(key: str, status: str, **extra) -> dict:
    return {"key": key, "symbol": "GOOG", "side": "buy", "intent": "entry_long", "order_type": "market",
            "qty": 1.0, "status": status, "reason": "", "signal_ts": 86400} | extra


def test_migration_matches_models_for_paper_tables(db_engine) -> None:
    with db_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diffs if any(t in repr(d) for t in PAPER_TABLES)]
    assert ours == []


def test_order_key_is_unique(db_engine) -> None:
    from storage.models import PaperOrder

    with transaction(db_engine) as s:
        dep = _deployment(s)
    with pytest.raises(IntegrityError), transaction(db_engine) as s:
        for _ in range(2):
            s.add(PaperOrder(deployment_id=dep, created_at=store._now(), **_order("k1", "FILLED")))
            s.flush()


def test_open_order_becomes_final_once(db_engine) -> None:
    with transaction(db_engine) as s:
        dep = _deployment(s)
    write = store.TickWrite(state_json="{}", last_bar_ts=1, cash=1000.0, equity=1000.0,
                            orders=[_order("k", "OPEN")], open_keys={"k"})
    with transaction(db_engine) as s:
        version = store.commit_tick(s, dep, 0, write)
    filled = _order("k", "FILLED", fill_ts=172800, fill_price=10.0, filled_qty=1.0)
    fill = {"order_key": "k", "symbol": "GOOG", "side": "buy", "qty": 1.0, "price": 10.0, "cost": 0.0, "ts": 172800}
    with transaction(db_engine) as s:
        version = store.commit_tick(s, dep, version, store.TickWrite("{}", 2, 990.0, 1000.0, orders=[filled],
                                                                     fills=[fill]))
    cancelled = _order("k", "CANCELLED", reason="late duplicate")
    with transaction(db_engine) as s:
        store.commit_tick(s, dep, version, store.TickWrite("{}", 3, 990.0, 1000.0, orders=[cancelled], fills=[fill]))
    orders, fills = store.orders_frame(db_engine, dep), store.fills_frame(db_engine, dep)
    assert orders["status"].tolist() == ["FILLED"] and len(fills) == 1


def test_stale_version_is_refused_and_rolled_back(db_engine) -> None:
    with transaction(db_engine) as s:
        dep = _deployment(s)
    with pytest.raises(store.StaleDeployment), transaction(db_engine) as s:
        store.commit_tick(s, dep, 5, store.TickWrite("{}", 1, 0.0, 0.0, orders=[_order("x", "FILLED")]))
    assert store.orders_frame(db_engine, dep).empty


def test_delete_cascades(db_engine) -> None:
    with transaction(db_engine) as s:
        dep = _deployment(s)
        store.commit_tick(s, dep, 0, store.TickWrite("{}", 1, 0.0, 0.0, orders=[_order("y", "FILLED")],
                                                     equity_rows=[{"ts": 1, "cash": 0.0, "equity": 0.0}]))
    with transaction(db_engine) as s:
        assert store.delete_deployment(s, dep)
    assert store.orders_frame(db_engine, dep).empty and store.equity_series(db_engine, dep).empty
