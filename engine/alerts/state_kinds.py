"""Alert kinds read from stored state: news sentiment, a deployment's P&L or drawdown, circuit breakers, sync runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.alerts.spec import AlertRuleError, Kind, empty_observations, observations
from engine.strategies.base import Param
from storage import alerts as store

if TYPE_CHECKING:
    from sqlalchemy import Engine

try:
    from engine.sentiment.index import latest_sentiment
except ImportError:  # the sentiment index is optional
    latest_sentiment = None


def _sentiment_hit(value: float, p: dict[str, Any]) -> bool:
    return value < p["threshold"] if p["direction"] == "below" else value > p["threshold"]


def sentiment(db: Engine, symbol: str, p: dict[str, Any]) -> pd.DataFrame:
    """The latest daily sentiment of `symbol` (mean score in [-1, 1]) against the threshold, on its day."""
    if latest_sentiment is None:
        raise AlertRuleError("sentiment alerts need the news sentiment index (engine.sentiment), not installed")
    reading = latest_sentiment(db, symbol)
    if reading is None:
        return empty_observations()
    if isinstance(reading, int | float):  # a bare mean score: it describes today
        day, mean = pd.Timestamp.now(tz="UTC").normalize(), float(reading)
    else:
        day, mean = pd.Timestamp(reading.day).tz_localize("UTC"), float(reading.mean)
    return observations(pd.DatetimeIndex([day]), [mean], [_sentiment_hit(mean, p)])


def _deployment_start_cash(db: Engine, deployment_id: int) -> tuple[str, float]:
    from engine.paper import deployments

    dep = deployments.get(db, deployment_id)  # DataError when it does not exist
    return dep["name"] or f"#{deployment_id}", float(dep["config"].get("cash") or dep["cash"])


def deployment_pnl(db: Engine, symbol: str | None, p: dict[str, Any]) -> pd.DataFrame:
    """A deployment's P&L % since its starting cash, or its drawdown % from the peak, after every processed bar."""
    from storage.paper import equity_series

    name, cash = _deployment_start_cash(db, p["deployment"])
    equity = equity_series(db, p["deployment"])["equity"].astype(float)
    if equity.empty:
        return empty_observations()
    if p["measure"] == "pnl":
        value = (equity / cash - 1.0) * 100.0
        hit, note = value < p["threshold"], f"{name}: P&L below {p['threshold']:g}%"
    else:
        peak = equity.cummax().clip(lower=cash)
        value = (1.0 - equity / peak) * 100.0
        hit, note = value > p["threshold"], f"{name}: drawdown beyond {p['threshold']:g}%"
    return observations(equity.index, value, hit, note)


def _check_deployment(p: dict[str, Any]) -> None:
    if p["measure"] == "drawdown" and p["threshold"] <= 0:
        raise AlertRuleError(f"a drawdown threshold is a positive percent (10 = 10 % below the peak), "
                             f"got {p['threshold']:g}")


def breaker(db: Engine, symbol: str | None, p: dict[str, Any]) -> pd.DataFrame:
    """One observation per tripped circuit breaker (of one deployment, or any with deployment 0), at its trip."""
    from engine.paper.deployments import breaker_states

    states = breaker_states(db)
    tripped = states[states["status"] == "TRIPPED"]
    if p["deployment"]:
        tripped = tripped[tripped["deployment_id"] == p["deployment"]]
    if tripped.empty:
        return empty_observations()
    now = pd.Timestamp.now(tz="UTC").floor("min")
    times = [pd.Timestamp(t).tz_convert("UTC") if t else now for t in tripped["tripped_at"]]
    notes = [f"circuit breaker of {d} tripped" + (f": {r}" if r else "")
             for d, r in zip(tripped["deployment"], tripped["reason"])]
    frame = observations(pd.DatetimeIndex(times), tripped["deployment_id"].to_numpy(), True, notes)
    return frame.sort_index()


def sync_failure(db: Engine, symbol: str, p: dict[str, Any]) -> pd.DataFrame:
    """The symbol's latest sync runs: a hit where a run failed (fires when the latest run fails after an ok one)."""
    runs = store.sync_history(db, symbol, limit=20)
    if runs.empty:
        return empty_observations()
    failed = runs["status"] == "failed"
    notes = [f"sync of {symbol} failed: {e[:300]}" if f else "" for f, e in zip(failed, runs["error"])]
    return observations(pd.DatetimeIndex(runs["started_at"]), failed.astype(float), failed.to_numpy(), notes)


DEPLOYMENT = Param("deployment", int, 1, 1, 10**9, help="Paper deployment id (see `paper list`).")
STATE_KINDS: tuple[Kind, ...] = (
    Kind("sentiment", "News sentiment", "The symbol's latest daily news sentiment (−1…1) is below/above a threshold.",
         (Param("threshold", float, -0.3, -1.0, 1.0, help="Mean sentiment score, −1 (negative) to 1 (positive)."),
          Param("direction", str, "below", choices=("below", "above"), help="Fire below or above the threshold.")),
         sentiment, lambda p, f, note: note or f"news sentiment {p['direction']} {p['threshold']:+.2f}", source="db",
         severity="warning", value_format="number", revisable=True, hit_of=_sentiment_hit),
    Kind("deployment_pnl", "Deployment P&L", "A paper deployment's P&L % falls below, or its drawdown % goes beyond, "
         "a threshold.",
         (DEPLOYMENT, Param("measure", str, "pnl", choices=("pnl", "drawdown"),
                            help="pnl: % change from the starting cash; drawdown: % below the equity peak."),
          Param("threshold", float, -5.0, -100.0, 100.0, help="Percent: P&L below it (e.g. −5) or drawdown beyond "
                                                              "it (e.g. 10).")),
         deployment_pnl, lambda p, f, note: note or f"deployment {p['deployment']} {p['measure']} past {p['threshold']:g}%",
         source="db", needs_symbol=False, severity="warning", value_format="pct", validate=_check_deployment),
    Kind("breaker", "Circuit breaker", "A paper deployment's circuit breaker trips (deployment 0 = any).",
         (Param("deployment", int, 0, 0, 10**9, help="Paper deployment id, or 0 for any deployment."),),
         breaker, lambda p, f, note: note or "circuit breaker tripped", source="db", edge="event", needs_symbol=False,
         severity="critical", value_format="number"),
    Kind("sync_failure", "Sync failure", "The latest data sync of the symbol failed.",
         (), sync_failure, lambda p, f, note: note or "data sync failed", source="db", severity="warning", value_format="number"),
)
