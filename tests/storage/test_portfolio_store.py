"""Portfolio storage on a real SQLite file: migration 0005 matches the models, constraints, add/list/delete."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from storage import portfolio as store
from storage.db import transaction
from storage.migrate import current_revision, upgrade
from storage.models import Base, Transaction

TABLES = {"portfolios", "transactions"}


def _row(**extra) -> dict:
    return {"trade_date": date(2024, 1, 5), "symbol": "INFY.NS", "kind": "buy", "qty": 10.0, "price": 1500.0,
            "fees": 20.0, "source": "manual"} | extra


def test_migration_matches_models_for_portfolio_tables(db_engine) -> None:
    assert current_revision(db_engine) >= "0005"
    assert TABLES <= set(inspect(db_engine).get_table_names())
    with db_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if any(t in repr(d) for t in TABLES)] == []


def test_downgrade_to_0004_and_back(db_engine) -> None:
    from alembic import command

    from storage.migrate import alembic_config

    cfg = alembic_config(db_engine.url.render_as_string(hide_password=False))
    with db_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    assert not TABLES & set(inspect(db_engine).get_table_names())
    upgrade(db_engine)
    assert TABLES <= set(inspect(db_engine).get_table_names())


def test_default_portfolio_is_created_once(db_engine) -> None:
    with transaction(db_engine) as s:
        first = store.ensure_portfolio(s)
    with transaction(db_engine) as s:
        again = store.ensure_portfolio(s, "Main")
    assert first.id == again.id and first.name == "Main" and first.base_currency == "INR"
    assert [p.name for p in store.list_portfolios(db_engine)] == ["Main"]
    with pytest.raises(IntegrityError), transaction(db_engine) as s:
        s.add(store.Portfolio(name="Main", base_currency="INR", created_at=datetime.now(UTC)))
        s.flush()


def test_add_list_delete_round_trip(db_engine) -> None:
    with transaction(db_engine) as s:
        pid = store.ensure_portfolio(s).id
        added = store.add_transactions(s, pid, [_row(), _row(kind="sell", qty=4.0, trade_date=date(2024, 2, 1),
                                                          executed_at=datetime(2024, 2, 1, 4, 0, tzinfo=UTC))])
    assert len(added.ids) == 2 and added.duplicates == 0
    frame = store.transactions_frame(db_engine, pid)
    assert list(frame.columns) == list(store.TRANSACTION_COLUMNS)
    assert frame["kind"].tolist() == ["buy", "sell"] and frame["fees"].tolist() == [20.0, 20.0]
    assert frame["trade_date"].tolist() == [date(2024, 1, 5), date(2024, 2, 1)]
    assert str(frame["executed_at"].dt.tz) == "UTC"
    assert store.data_version(db_engine, pid) == (2, max(added.ids))
    with transaction(db_engine) as s:
        assert store.delete_transactions(s, pid, [added.ids[1], 9999]) == 1
    assert store.transactions_frame(db_engine, pid)["kind"].tolist() == ["buy"]


def test_external_id_dedupes_per_source(db_engine) -> None:
    rows = [_row(source="zerodha", external_id="20240105:NSE:1"), _row(source="zerodha", external_id="20240105:NSE:2")]
    with transaction(db_engine) as s:
        pid = store.ensure_portfolio(s).id
        assert len(store.add_transactions(s, pid, rows + rows[:1]).ids) == 2  # repeat inside one batch
    with transaction(db_engine) as s:
        again = store.add_transactions(s, pid, rows + [_row(source="upstox", external_id="20240105:NSE:1")])
    assert (len(again.ids), again.duplicates) == (1, 2)  # same id from another broker is another trade
    with pytest.raises(IntegrityError), transaction(db_engine) as s:  # the constraint backs the check up
        s.add(Transaction(portfolio_id=pid, created_at=datetime.now(UTC), **rows[0]))
        s.flush()


@pytest.mark.parametrize("bad", [
    {"kind": "gift"}, {"qty": 0.0}, {"price": -1.0}, {"fees": -0.5}, {"source": "email"},
    {"kind": "split", "qty": 0.0, "ratio_from": None, "ratio_to": 5.0},
    {"kind": "bonus", "qty": 0.0, "ratio_from": 0.0, "ratio_to": 1.0},
])
def test_check_constraints_refuse_bad_rows(db_engine, bad: dict) -> None:
    with transaction(db_engine) as s:
        pid = store.ensure_portfolio(s).id
    with pytest.raises(IntegrityError), transaction(db_engine) as s:
        s.add(Transaction(portfolio_id=pid, created_at=datetime.now(UTC), **_row(**bad)))
        s.flush()
    assert store.transactions_frame(db_engine, pid).empty


def test_failed_batch_leaves_nothing(db_engine) -> None:
    with transaction(db_engine) as s:
        pid = store.ensure_portfolio(s).id
    with pytest.raises(IntegrityError), transaction(db_engine) as s:
        store.add_transactions(s, pid, [_row(), _row(qty=-3.0)])
    assert store.transactions_frame(db_engine, pid).empty


def test_deleting_a_portfolio_cascades(db_engine) -> None:
    with transaction(db_engine) as s:
        pid = store.ensure_portfolio(s, "Side").id
        store.add_transactions(s, pid, [_row()])
    with transaction(db_engine) as s:
        s.delete(s.get(store.Portfolio, pid))
    assert store.transactions_frame(db_engine, pid).empty


def test_unknown_portfolio_names_the_known_ones(db_engine) -> None:
    from engine.errors import DataError

    with transaction(db_engine) as s:
        store.ensure_portfolio(s, "Main")
    with pytest.raises(DataError, match="portfolios: Main"), transaction(db_engine) as s:
        store.get_portfolio(s, "Other")
