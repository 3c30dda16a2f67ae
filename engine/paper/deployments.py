"""Deployments: create one from a strategy and backtest settings, and start, pause, stop, reset or delete it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from engine.backtest.config import BacktestConfig
from engine.data.calendars import calendar_code
from engine.data.providers.base import check_interval
from engine.errors import DataError
from engine.paper.clock import as_utc
from engine.strategies.registry import make_strategy
from storage import paper as store
from storage.db import transaction


@dataclass
class DeploymentSpec:
    """What to paper trade. `config` holds the BacktestConfig fields (cash, costs, slippage_bps, fill,
    sizing, size_value, allow_short, max_positions, ...); `risk` {"limits": …, "breaker": …} (see
    engine.risk) and "square_off" ("HH:MM" local time; intraday NSE default 15:20). `history_start`: first bar the signals are computed from (default: a
    year before `start`); `start`: first bar that may trade (default: now, i.e. the next closed bar)."""

    strategy: str
    symbols: list[str]
    params: dict[str, Any] = field(default_factory=dict)
    interval: str = "1d"
    config: dict[str, Any] = field(default_factory=dict)
    risk: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    start: pd.Timestamp | str | None = None
    history_start: pd.Timestamp | str | None = None


NSE_SQUARE_OFF = "15:20"  # IST, default intraday auto square-off on NSE/BSE


def _check_time(text: str) -> None:
    try:
        hour, minute = (int(x) for x in str(text).split(":"))
        time(hour, minute)
    except ValueError:
        raise DataError(f"square_off must be a local time HH:MM such as 15:20, got {text!r}") from None


def create_deployment(db: Engine, spec: DeploymentSpec, status: str = "running") -> int:
    """Validate `spec` (strategy, params, symbols, interval, settings) and store it; returns the id.

    Raises StrategyError / ParameterError for a bad strategy, BacktestError for bad settings and
    DataError for missing symbols or an unsupported interval.
    """
    strategy = make_strategy(spec.strategy, **spec.params)
    symbols = [s.strip().upper() for s in spec.symbols if s and s.strip()]
    if not symbols:
        raise DataError("a deployment needs at least one symbol; pass e.g. symbols=['INFY.NS']")
    if len(set(symbols)) != len(symbols):
        raise DataError(f"symbols {symbols} contain duplicates; list each symbol once")
    check_interval(spec.interval)
    config = BacktestConfig.from_dict(spec.config)
    start = as_utc(spec.start)
    if spec.interval == "1d":
        start = start.normalize()
    # default history: a year, or twice the strategy's warm-up in calendar days if that is longer
    default_days = max(365, 2 * strategy.warmup())
    history = as_utc(spec.history_start) if spec.history_start is not None else start - pd.Timedelta(days=default_days)
    if history > start:
        raise DataError("history_start must not be after start; signals need history before the first trade")
    risk = dict(spec.risk)
    if spec.interval not in ("1d", "1wk") and "square_off" not in risk and all(
            calendar_code(sym) == "XBOM" for sym in symbols):
        risk["square_off"] = NSE_SQUARE_OFF  # intraday positions on NSE are closed before the session ends
    if risk.get("square_off"):
        _check_time(risk["square_off"])
    name = spec.name or f"{strategy.name} {','.join(symbols)}"
    with transaction(db) as session:
        dep_id = store.create_deployment(
            session, name=name, strategy=strategy.name, params=strategy.p, symbols=symbols,
            interval=spec.interval, config=config.to_dict(), risk=risk,
            history_start=int(history.timestamp()), start_ts=int(start.timestamp()), cash=config.cash,
            status=status)
    return dep_id


def set_status(db: Engine, deployment_id: int, status: str) -> None:
    """"running" (start / resume), "paused" (ticks skip it, positions stay) or "stopped"."""
    with transaction(db) as session:
        store.set_status(session, deployment_id, status)


def pause(db: Engine, deployment_id: int) -> None:
    set_status(db, deployment_id, "paused")


def resume(db: Engine, deployment_id: int) -> None:
    set_status(db, deployment_id, "running")


def stop(db: Engine, deployment_id: int) -> None:
    set_status(db, deployment_id, "stopped")


def delete(db: Engine, deployment_id: int) -> bool:
    """Remove a deployment and all its orders, fills, trades and snapshots; True if it existed."""
    with transaction(db) as session:
        return store.delete_deployment(session, deployment_id)


def reset(db: Engine, deployment_id: int) -> None:
    """Start the book again from its starting cash (orders, fills, trades and equity are deleted)."""
    with transaction(db) as session:
        dep = store.get_deployment(session, deployment_id)
        cash = float(dep["config"].get("cash", BacktestConfig().cash))
        store.reset_deployment(session, deployment_id, cash)


def get(db: Engine, deployment_id: int) -> dict[str, Any]:
    """One deployment as a dict; raises DataError if it does not exist."""
    with transaction(db) as session:
        return store.get_deployment(session, deployment_id)


def reset_breaker(db: Engine, deployment_id: int) -> bool:
    """Reset a tripped circuit breaker of a deployment (by the user); True if one was tripped."""
    from engine.risk import BreakerState
    from engine.risk import reset as reset_state

    with transaction(db) as session:
        dep = store.get_deployment(session, deployment_id)
        saved = json.loads(dep["state_json"]) if dep["state_json"] else {}
        if not saved.get("breaker"):
            return False
        state = BreakerState.from_dict(saved["breaker"])
        if not state.is_tripped:
            return False
        saved["breaker"] = reset_state(state, by="user", now=pd.Timestamp.now(tz="UTC")).as_dict()
        store.save_state(session, deployment_id, dep["version"], json.dumps(saved))
    return True


def breaker_status(dep: dict[str, Any]) -> dict[str, Any] | None:
    """{"status", "reason", "tripped_at"} of a deployment's circuit breaker, None without one."""
    saved = json.loads(dep["state_json"]) if dep.get("state_json") else {}
    if saved.get("breaker"):
        b = saved["breaker"]
        return {"status": b.get("status"), "reason": b.get("reason", ""), "tripped_at": b.get("tripped_at")}
    if (dep.get("risk") or {}).get("breaker"):
        return {"status": "OK", "reason": "", "tripped_at": None}
    return None


BREAKER_COLUMNS = ["deployment_id", "deployment", "status", "reason", "tripped_at", "reset_mode"]


def breaker_states(db: Engine) -> pd.DataFrame:
    """One row per deployment that has a circuit breaker: status (OK/TRIPPED), reason, when, reset mode."""
    rows = []
    with transaction(db) as session:
        for dep_id in store.deployment_ids(session):
            dep = store.get_deployment(session, dep_id)
            status = breaker_status(dep)
            if status is None:
                continue
            rules = (dep.get("risk") or {}).get("breaker") or {}
            rows.append({"deployment_id": dep_id, "deployment": dep["name"] or f"#{dep_id}",
                         "status": status["status"] or "OK", "reason": status["reason"],
                         "tripped_at": status["tripped_at"], "reset_mode": rules.get("reset_mode", "manual")})
    return pd.DataFrame(rows, columns=BREAKER_COLUMNS)
