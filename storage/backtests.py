"""Backtest run history: save, list, load and delete runs (results are stored as JSON text)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from engine.errors import DataError
from storage.models import BacktestRun

LIST_COLUMNS = ("id", "created_at", "name", "strategy", "params", "symbols", "total_return", "sharpe",
                "max_drawdown", "n_trades")
_HEADLINE = ("total_return", "sharpe", "max_drawdown", "n_trades")


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def save_run(session: Session, name: str, strategy: str, params: dict[str, Any], symbols: list[str],
             config_json: str, stats_json: str, result_json: str) -> int:
    """Add one run in the caller's transaction and return its id; raises DataError for invalid JSON."""
    for label, text in (("config", config_json), ("stats", stats_json), ("result", result_json)):
        try:
            json.loads(text)
        except (TypeError, ValueError):
            raise DataError(f"backtest {label} must be JSON text; serialise it before saving") from None
    run = BacktestRun(
        created_at=datetime.now(UTC),
        name=(name or strategy).strip()[:200],
        strategy=strategy,
        params_json=json.dumps(params, default=str),
        symbols_json=json.dumps(list(symbols)),
        config_json=config_json,
        stats_json=stats_json,
        result_json=result_json,
    )
    session.add(run)
    session.flush()
    return run.id


def list_runs(engine: Engine) -> pd.DataFrame:
    """Saved runs, newest first, with headline stats (NaN when missing); the result JSON is not loaded."""
    query = select(BacktestRun.id, BacktestRun.created_at, BacktestRun.name, BacktestRun.strategy,
                   BacktestRun.params_json, BacktestRun.symbols_json, BacktestRun.stats_json
                   ).order_by(BacktestRun.id.desc())
    with Session(engine) as session:
        rows = session.execute(query).all()
    data = []
    for row in rows:
        stats = json.loads(row.stats_json or "{}")
        headline = {k: stats.get(k) if isinstance(stats.get(k), int | float) else float("nan") for k in _HEADLINE}
        data.append({"id": row.id, "created_at": _utc(row.created_at), "name": row.name, "strategy": row.strategy,
                     "params": json.loads(row.params_json), "symbols": json.loads(row.symbols_json), **headline})
    frame = pd.DataFrame(data, columns=list(LIST_COLUMNS))
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame


def load_run(engine: Engine, run_id: int) -> dict[str, Any]:
    """One run as a dict (params and symbols decoded; config/stats/result JSON text as stored).

    Raises DataError if there is no run with this id.
    """
    with Session(engine) as session:
        run = session.get(BacktestRun, run_id)
        if run is None:
            raise DataError(f"no saved backtest run with id {run_id}; pick one from the run history")
        return {
            "id": run.id, "created_at": _utc(run.created_at), "name": run.name, "strategy": run.strategy,
            "params": json.loads(run.params_json), "symbols": json.loads(run.symbols_json),
            "config_json": run.config_json, "stats_json": run.stats_json, "result_json": run.result_json,
        }


def delete_run(session: Session, run_id: int) -> bool:
    """Delete a run in the caller's transaction; True if it existed."""
    result = session.execute(delete(BacktestRun).where(BacktestRun.id == run_id))
    return bool(result.rowcount)
