"""Run history service: save a BacktestResult, reopen it, list, delete and compare saved runs."""

from __future__ import annotations

import json
import math

import pandas as pd
from sqlalchemy import Engine

from engine.backtest.result import BacktestResult, stats_from_json, stats_to_json
from engine.errors import DataError
from storage import backtests as store
from storage.db import transaction


def save_result(engine: Engine, result: BacktestResult, name: str = "") -> int:
    """Store `result` (stats computed if needed) in one transaction; returns the new run id."""
    with transaction(engine) as session:
        return store.save_run(
            session,
            name=name or f"{result.strategy_name or 'backtest'} {', '.join(result.symbols)}",
            strategy=result.strategy_name,
            params=result.params,
            symbols=result.symbols,
            config_json=json.dumps(result.config.to_dict()),
            stats_json=json.dumps(stats_to_json(result.stats), allow_nan=False),
            result_json=result.to_json(),
        )


def open_result(engine: Engine, run_id: int) -> BacktestResult:
    """The saved result of run `run_id`; raises DataError if it does not exist or cannot be read."""
    return BacktestResult.from_json(store.load_run(engine, run_id)["result_json"])


def list_results(engine: Engine) -> pd.DataFrame:
    """Saved runs, newest first (see storage.backtests.list_runs for the columns)."""
    return store.list_runs(engine)


def delete_result(engine: Engine, run_id: int) -> bool:
    """Delete one saved run; True if it existed."""
    with transaction(engine) as session:
        return store.delete_run(session, run_id)


def compare_runs(engine: Engine, run_ids: list[int]) -> pd.DataFrame:
    """Stats side by side: one row per statistic, one column per run ("#id name"), in the order given.

    Raises DataError if a run id does not exist or no ids are given.
    """
    if not run_ids:
        raise DataError("pick at least one saved run to compare")
    columns: dict[str, pd.Series] = {}
    for run_id in run_ids:
        run = store.load_run(engine, run_id)
        stats = stats_from_json(json.loads(run["stats_json"]))
        columns[f"#{run['id']} {run['name']}"] = pd.Series({k: _cell(v) for k, v in stats.items()}, dtype=object)
    return pd.DataFrame(columns)


def _cell(value: object) -> object:
    """Keep numbers as floats (NaN for missing) and timestamps as they are, for display."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, int | float) else value
