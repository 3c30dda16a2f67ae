"""Backtest run storage on a real migrated SQLite file: save, list, load, delete, migration down/up."""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import inspect

from engine.errors import DataError
from storage.backtests import LIST_COLUMNS, delete_run, list_runs, load_run, save_run
from storage.db import transaction
from storage.migrate import current_revision, upgrade


def _save(engine, name: str = "run", stats: dict | None = None) -> int:
    with transaction(engine) as session:
        return save_run(session, name, "sma_cross", {"fast": 10, "slow": 30}, ["INFY.NS", "TCS.NS"],
                        json.dumps({"cash": 100000}), json.dumps(stats or {"total_return": 0.25, "n_trades": 4}),
                        json.dumps({"equity": [1, 2]}))


def test_save_then_load_round_trips(db_engine) -> None:
    run_id = _save(db_engine, "first")
    run = load_run(db_engine, run_id)
    assert run["id"] == run_id and run["name"] == "first" and run["strategy"] == "sma_cross"
    assert run["params"] == {"fast": 10, "slow": 30}
    assert run["symbols"] == ["INFY.NS", "TCS.NS"]
    assert json.loads(run["config_json"]) == {"cash": 100000}
    assert json.loads(run["result_json"]) == {"equity": [1, 2]}
    assert run["created_at"].tzinfo is not None


def test_list_runs_newest_first_with_headline_stats(db_engine) -> None:
    assert list_runs(db_engine).empty
    assert list(list_runs(db_engine).columns) == list(LIST_COLUMNS)
    first = _save(db_engine, "a")
    second = _save(db_engine, "b", {"total_return": -0.1, "sharpe": None, "n_trades": 2})
    runs = list_runs(db_engine)
    assert runs["id"].tolist() == [second, first]
    assert runs["total_return"].tolist() == [-0.1, 0.25]
    assert math.isnan(runs["sharpe"].iloc[0])
    assert str(runs["created_at"].dt.tz) == "UTC"


def test_delete_run(db_engine) -> None:
    run_id = _save(db_engine)
    with transaction(db_engine) as session:
        assert delete_run(session, run_id) is True
    with transaction(db_engine) as session:
        assert delete_run(session, run_id) is False
    with pytest.raises(DataError, match="no saved backtest run"):
        load_run(db_engine, run_id)


def test_invalid_json_is_rejected_and_nothing_is_saved(db_engine) -> None:
    with pytest.raises(DataError, match="JSON"), transaction(db_engine) as session:
        save_run(session, "bad", "sma_cross", {}, [], "{", "{}", "{}")
    assert list_runs(db_engine).empty


def test_migration_0002_downgrades_and_upgrades(db_engine) -> None:
    assert current_revision(db_engine) >= "0002"
    assert inspect(db_engine).has_table("backtest_runs")
    upgrade(db_engine, "head")  # idempotent
    from alembic import command

    from storage.migrate import alembic_config

    cfg = alembic_config(db_engine.url.render_as_string(hide_password=False))
    with db_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert not inspect(db_engine).has_table("backtest_runs")
    assert current_revision(db_engine) == "0001"
    upgrade(db_engine, "0002")
    assert inspect(db_engine).has_table("backtest_runs")
