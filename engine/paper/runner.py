"""Paper tick: for each running deployment, step the bars that closed since its last tick and commit.

One tick of one deployment = load its bars up to the last *closed* bar, run the strategy on that
history (the same `prepare` as the backtester), step the new bars through the resumable bar loop,
then write orders, fills, trades, positions, equity and the new book in one transaction guarded by
an optimistic version check. The scheduler calls `tick_all` every minute.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from engine.backtest.config import BacktestConfig
from engine.backtest.runner import prepare
from engine.errors import QuantdeskError
from engine.paper.broker import epochs_of, run_tick
from engine.paper.clock import as_utc, bar_close_time, last_closed_bar
from engine.strategies.registry import make_strategy
from storage import paper as store
from storage.candles import load_candles
from storage.db import transaction

log = logging.getLogger(__name__)


def _cutoffs(dep: dict[str, Any], now: pd.Timestamp) -> dict[str, int]:
    """Epoch second of the newest closed bar label per symbol at `now`."""
    return {s: int(last_closed_bar(s, dep["interval"], now).timestamp()) for s in dep["symbols"]}


def is_due(dep: dict[str, Any], now: pd.Timestamp) -> bool:
    """True if a bar of the deployment closed after its last processed bar (and it is running)."""
    if dep["status"] != "running":
        return False
    newest = max(_cutoffs(dep, now).values())
    return dep["last_bar_ts"] is None or newest > dep["last_bar_ts"]


BarCache = dict[tuple[str, str, int, int], pd.DataFrame]
BAR_COLUMNS = ["open", "high", "low", "close", "adj_close", "volume"]


def _load(db: Engine, dep: dict[str, Any], cutoffs: dict[str, int], cache: BarCache | None) -> dict[str, pd.DataFrame]:
    """Each symbol's bars from the deployment's history start to its last closed bar (shared within a tick)."""
    cache = {} if cache is None else cache
    start = pd.Timestamp(dep["history_start"], unit="s", tz="UTC")
    bars = {}
    for sym in dep["symbols"]:
        key = (sym, dep["interval"], dep["history_start"], cutoffs[sym])
        if key not in cache:
            frame = load_candles(db, sym, dep["interval"], start=start,
                                 end=pd.Timestamp(cutoffs[sym], unit="s", tz="UTC"))
            cache[key] = frame[BAR_COLUMNS]
        bars[sym] = cache[key]
    return bars


def _guard(dep: dict[str, Any], saved: dict[str, Any] | None) -> Any:
    risk = dep.get("risk") or {}
    if not (risk.get("limits") or risk.get("breaker")):
        return None
    from engine.paper.guard import RiskGuard

    return RiskGuard(risk, (saved or {}).get("breaker"), dep["symbols"])


def _square_off(dep: dict[str, Any]) -> Any:
    """The intraday square-off of a deployment (risk["square_off"] = "HH:MM" local), None for daily bars."""
    at = (dep.get("risk") or {}).get("square_off")
    if not at or dep["interval"] in ("1d", "1wk"):
        return None
    from engine.data.instruments import instrument_for
    from engine.data.providers.base import INTERVALS
    from engine.paper.broker import SquareOff

    seconds = int(INTERVALS[dep["interval"]].total_seconds())
    return SquareOff(at, instrument_for(dep["symbols"][0]).timezone, seconds)


def tick_deployment(db: Engine, deployment_id: int, now: pd.Timestamp | str | None = None,
                    cache: BarCache | None = None, dep: dict[str, Any] | None = None) -> dict[str, Any]:
    """Tick one deployment at `now` (default: the current time; a replay passes its clock).
    `cache` shares loaded bars between the deployments of one `tick_all`, which also passes the
    deployment row it read (`dep`); the version check at commit catches any change since.

    Returns {"id", "status": "ok" | "idle" | "stale" | "failed", "bars", "orders", "error"}. Never
    raises for a deployment's own problems: they are stored as its last_error and reported.
    """
    now = as_utc(now)
    summary: dict[str, Any] = {"id": deployment_id, "status": "idle", "bars": 0, "orders": 0, "error": ""}
    if dep is None:
        with transaction(db) as session:
            dep = store.get_deployment(session, deployment_id)
    try:
        if not is_due(dep, now):
            return summary
        result = _compute(db, dep, now, cache)
        if result is None:
            return summary
        with transaction(db) as session:
            store.commit_tick(session, deployment_id, dep["version"], result)
    except store.StaleDeployment as exc:
        return summary | {"status": "stale", "error": str(exc)}
    except QuantdeskError as exc:
        log.warning("paper tick of deployment %s failed: %s", deployment_id, exc)
        with transaction(db) as session:
            store.record_error(session, deployment_id, str(exc))
        return summary | {"status": "failed", "error": str(exc)}
    return summary | {"status": "ok", "bars": result.bars, "orders": len(result.orders)}


def _compute(db: Engine, dep: dict[str, Any], now: pd.Timestamp,
             cache: BarCache | None = None) -> store.TickWrite | None:
    bars = _load(db, dep, _cutoffs(dep, now), cache)
    if any(len(frame) == 0 for frame in bars.values()):
        return None
    index = bars[dep["symbols"][0]].index
    for frame in list(bars.values())[1:]:
        index = index.union(frame.index)
    epochs = epochs_of(index)
    last = dep["last_bar_ts"]
    start = int(np.searchsorted(epochs, last, side="right")) if last is not None \
        else int(np.searchsorted(epochs, dep["start_ts"], side="left"))
    if start >= len(index):
        return None
    config = BacktestConfig.from_dict(dep["config"])
    strategy = make_strategy(dep["strategy"], **dep["params"])
    prep = prepare(bars, strategy, index)
    saved = json.loads(dep["state_json"]) if dep["state_json"] else None
    guard = _guard(dep, saved)
    with transaction(db) as session:
        manual = store.open_manual_orders(session, dep["id"])
    result = run_tick(dep["id"], prep, config, saved, start, guard, manual, _square_off(dep))
    if guard is not None and guard.state() is not None:
        result.state["breaker"] = guard.state()
    write = store.TickWrite(state_json=json.dumps(result.state), last_bar_ts=result.last_bar_ts, cash=result.cash,
                            equity=result.equity, orders=result.orders, open_keys=result.open_keys,
                            fills=result.fills, trades=result.trades, positions=result.positions,
                            equity_rows=result.equity_rows, had_open=bool((saved or {}).get("pending")),
                            bars=len(index) - start)
    return write


def _sync_due(db: Engine, due: list[dict[str, Any]], settings: Any = None) -> None:
    """Fetch the latest bars of the due deployments' symbols (provider failures are recorded, not raised)."""
    from engine.data.providers import make_provider
    from engine.data.sync import sync_symbols

    options: dict[str, Any] = {}
    if settings is not None:
        options = {"provider": make_provider(settings.provider, settings.provider_min_interval_s),
                   "demo_fallback": settings.demo_fallback, "overlap_bars": settings.sync_overlap_bars}
    by_interval: dict[str, set[str]] = {}
    for dep in due:
        by_interval.setdefault(dep["interval"], set()).update(dep["symbols"])
    for interval, symbols in by_interval.items():
        sync_symbols(db, sorted(symbols), interval, **options)


def tick_all(db_engine: Engine, now: pd.Timestamp | str | None = None, sync: bool = True,
             settings: Any = None) -> dict[str, Any]:
    """Tick every running deployment that has a newly closed bar at `now` (default: the current time).

    With `sync`, the latest bars of the due deployments' symbols are fetched first (with the
    provider of `settings`, an engine.config.Settings, when given; else yfinance). Returns a
    summary {"deployments", "due", "ok", "idle", "failed", "stale", "orders", "ms", "results"}.
    """
    started = time.perf_counter()
    now = as_utc(now)
    with transaction(db_engine) as session:
        deps = [store.get_deployment(session, i) for i in store.deployment_ids(session, "running")]
    due = []
    for dep in deps:
        try:
            if is_due(dep, now):
                due.append(dep)
        except QuantdeskError as exc:
            log.warning("paper deployment %s cannot be scheduled: %s", dep["id"], exc)
    if sync and due:
        _sync_due(db_engine, due, settings)
    cache: BarCache = {}
    results = [_tick_guarded(db_engine, dep, now, cache) for dep in due]
    counts = {k: sum(1 for r in results if r["status"] == k) for k in ("ok", "idle", "failed", "stale")}
    return {"deployments": len(deps), "due": len(due), **counts, "orders": sum(r["orders"] for r in results),
            "ms": (time.perf_counter() - started) * 1000, "results": results}


def _tick_guarded(db: Engine, dep: dict[str, Any], now: pd.Timestamp, cache: BarCache) -> dict[str, Any]:
    """One deployment's tick inside `tick_all`: an unexpected error fails that deployment, not the others."""
    try:
        return tick_deployment(db, dep["id"], now, cache, dep)
    except Exception as exc:  # noqa: BLE001 - a scheduler job must carry on with the other deployments
        log.exception("paper tick of deployment %s crashed", dep["id"])
        message = f"{type(exc).__name__}: {exc}"
        try:
            with transaction(db) as session:
                store.record_error(session, dep["id"], message)
        except Exception:  # noqa: BLE001 - the database itself may be the problem
            log.exception("could not record the error of deployment %s", dep["id"])
        return {"id": dep["id"], "status": "failed", "bars": 0, "orders": 0, "error": message}


def replay(db: Engine, deployment_id: int, start: pd.Timestamp | str, end: pd.Timestamp | str) -> dict[str, Any]:
    """Replay stored history through paper ticks: the clock stops at the close of every bar of the
    deployment's symbols labelled in [start, end]. Returns {"ticks", "orders", "failed"}."""
    with transaction(db) as session:
        dep = store.get_deployment(session, deployment_id)
    lo, hi = as_utc(start), as_utc(end)
    labels = pd.DatetimeIndex([], tz="UTC")
    for sym in dep["symbols"]:
        labels = labels.union(load_candles(db, sym, dep["interval"], start=lo, end=hi).index)
    ticks = orders = failed = 0
    for label in labels:
        sym = dep["symbols"][0]
        outcome = tick_deployment(db, deployment_id, bar_close_time(sym, dep["interval"], label))
        ticks += outcome["status"] == "ok"
        orders += outcome["orders"]
        failed += outcome["status"] == "failed"
    return {"ticks": ticks, "orders": orders, "failed": failed}
