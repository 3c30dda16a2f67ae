"""Paper trading queries: deployments, and one tick's orders, fills, trades, positions and equity."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from engine.errors import DataError, QuantdeskError
from storage.models import PaperDeployment, PaperEquity, PaperFill, PaperOrder, PaperPosition, PaperTrade

STATUSES = ("running", "paused", "stopped")
FINAL_ORDER_STATUSES = ("FILLED", "PARTIAL", "CANCELLED", "REJECTED")


class StaleDeployment(QuantdeskError):
    """Another tick committed this deployment first (version check failed): drop this tick's work."""


@dataclass
class TickWrite:
    """Everything one tick changes, written in one transaction by `commit_tick`.

    orders: dicts with key, symbol, side, intent, order_type, qty, status, reason, signal_ts and,
    when filled, fill_ts, fill_price, filled_qty, cost. fills: dicts with order_key, symbol, side,
    qty, price, cost, ts. trades/positions/equity: column dicts of the matching tables.
    """

    state_json: str
    last_bar_ts: int | None
    cash: float
    equity: float
    orders: list[dict[str, Any]] = field(default_factory=list)
    open_keys: set[str] = field(default_factory=set)  # OPEN orders still waiting; other OPEN ones are cancelled
    had_open: bool = True  # False when the book had no waiting order (skips the cancel query)
    bars: int = 0  # bars this tick stepped (reported, not stored)
    fills: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)
    equity_rows: list[dict[str, Any]] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def create_deployment(session: Session, *, name: str, strategy: str, params: dict[str, Any], symbols: list[str],
                      interval: str, config: dict[str, Any], risk: dict[str, Any], history_start: int,
                      start_ts: int, cash: float, status: str = "running") -> int:
    """Add a deployment in the caller's transaction and return its id (times are epoch seconds)."""
    row = PaperDeployment(
        name=(name or strategy).strip()[:200], strategy=strategy, params_json=json.dumps(params),
        symbols_json=json.dumps(list(symbols)), interval=interval, config_json=json.dumps(config),
        risk_json=json.dumps(risk), history_start=int(history_start), start_ts=int(start_ts), status=status,
        version=0, state_json="", last_bar_ts=None, cash=float(cash), equity=float(cash), created_at=_now(),
        last_error="",
    )
    session.add(row)
    session.flush()
    return row.id


def _as_dict(row: PaperDeployment) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "strategy": row.strategy, "params": json.loads(row.params_json),
        "symbols": json.loads(row.symbols_json), "interval": row.interval, "config": json.loads(row.config_json),
        "risk": json.loads(row.risk_json or "{}"), "history_start": row.history_start, "start_ts": row.start_ts,
        "status": row.status, "version": row.version, "state_json": row.state_json, "last_bar_ts": row.last_bar_ts,
        "cash": row.cash, "equity": row.equity, "created_at": row.created_at, "last_tick_at": row.last_tick_at,
        "last_error": row.last_error,
    }


def get_deployment(session: Session, deployment_id: int) -> dict[str, Any]:
    """One deployment as a dict (JSON columns decoded); raises DataError if it does not exist."""
    row = session.get(PaperDeployment, deployment_id)
    if row is None:
        raise DataError(f"no paper deployment with id {deployment_id}; list them with `paper list`")
    return _as_dict(row)


def deployment_ids(session: Session, status: str | None = None) -> list[int]:
    """Ids of all deployments (or those with `status`), oldest first."""
    stmt = select(PaperDeployment.id).order_by(PaperDeployment.id)
    if status is not None:
        stmt = stmt.where(PaperDeployment.status == status)
    return list(session.scalars(stmt))


def list_deployments(engine: Engine) -> pd.DataFrame:
    """All deployments, newest first: id, name, strategy, symbols, interval, status, cash, equity, last bar."""
    with Session(engine) as session:
        rows = [_as_dict(r) for r in session.scalars(select(PaperDeployment).order_by(PaperDeployment.id.desc()))]
    cols = ["id", "name", "strategy", "symbols", "interval", "status", "cash", "equity", "last_bar_ts",
            "last_tick_at", "last_error", "params", "config"]
    frame = pd.DataFrame([{c: r[c] for c in cols} for r in rows], columns=cols)
    frame["last_bar"] = pd.to_datetime(frame["last_bar_ts"], unit="s", utc=True)
    return frame.drop(columns=["last_bar_ts"])


def set_status(session: Session, deployment_id: int, status: str) -> None:
    """Change a deployment's status; raises DataError for an unknown status or deployment."""
    if status not in STATUSES:
        raise DataError(f"status must be one of {list(STATUSES)}, got {status!r}")
    done = session.execute(update(PaperDeployment).where(PaperDeployment.id == deployment_id)
                           .values(status=status, version=PaperDeployment.version + 1))
    if not done.rowcount:
        raise DataError(f"no paper deployment with id {deployment_id}; list them with `paper list`")


def delete_deployment(session: Session, deployment_id: int) -> bool:
    """Delete a deployment and everything it traded; True if it existed."""
    _clear(session, deployment_id)
    return bool(session.execute(delete(PaperDeployment).where(PaperDeployment.id == deployment_id)).rowcount)


def _clear(session: Session, deployment_id: int) -> None:
    for model in (PaperFill, PaperOrder, PaperTrade, PaperPosition, PaperEquity):
        session.execute(delete(model).where(model.deployment_id == deployment_id))


def reset_deployment(session: Session, deployment_id: int, cash: float) -> None:
    """Forget all orders, fills, trades, positions and equity; the book starts again with `cash`."""
    get_deployment(session, deployment_id)
    _clear(session, deployment_id)
    session.execute(update(PaperDeployment).where(PaperDeployment.id == deployment_id).values(
        state_json="", last_bar_ts=None, cash=cash, equity=cash, last_error="",
        version=PaperDeployment.version + 1))


def record_error(session: Session, deployment_id: int, message: str) -> None:
    """Remember why the last tick failed (shown on the page and by `paper list`)."""
    session.execute(update(PaperDeployment).where(PaperDeployment.id == deployment_id)
                    .values(last_error=message[:2000], last_tick_at=_now()))


def save_state(session: Session, deployment_id: int, expected_version: int, state_json: str) -> None:
    """Replace the saved book (e.g. a reset circuit breaker); raises StaleDeployment if a tick got there first."""
    done = session.execute(update(PaperDeployment).where(
        PaperDeployment.id == deployment_id, PaperDeployment.version == expected_version
    ).values(state_json=state_json, version=expected_version + 1))
    if not done.rowcount:
        raise StaleDeployment(f"paper deployment {deployment_id} changed meanwhile; try again")


def commit_tick(session: Session, deployment_id: int, expected_version: int, write: TickWrite) -> int:
    """Write one tick in the caller's transaction if the deployment is still at `expected_version`.

    The version bump comes first so that a concurrent tick blocks on (or fails) the row before any
    order is written. Orders are upserted by key: a final order is never changed again, an OPEN one
    may become final. Returns the new version; raises StaleDeployment if another tick won.
    """
    bumped = session.execute(
        update(PaperDeployment)
        .where(PaperDeployment.id == deployment_id, PaperDeployment.version == expected_version)
        .values(version=expected_version + 1, state_json=write.state_json, last_bar_ts=write.last_bar_ts,
                cash=write.cash, equity=write.equity, last_tick_at=_now(), last_error="")
    )
    if not bumped.rowcount:
        raise StaleDeployment(f"paper deployment {deployment_id} changed while ticking; the next tick retries")
    ids = _upsert_orders(session, deployment_id, write.orders)
    if write.had_open:
        _cancel_stale_open(session, deployment_id, write.open_keys)
    for fill in write.fills:
        order_id = ids.get(fill["order_key"])
        if order_id is not None:
            session.add(PaperFill(order_id=order_id, deployment_id=deployment_id,
                                  **{k: v for k, v in fill.items() if k != "order_key"}))
    session.add_all(PaperTrade(deployment_id=deployment_id, **t) for t in write.trades)
    session.execute(delete(PaperPosition).where(PaperPosition.deployment_id == deployment_id))
    session.add_all(PaperPosition(deployment_id=deployment_id, **p) for p in write.positions)
    session.add_all(PaperEquity(deployment_id=deployment_id, **e) for e in write.equity_rows)
    session.flush()
    return expected_version + 1


def _upsert_orders(session: Session, deployment_id: int, orders: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new orders, finish OPEN ones; returns key -> id for orders that became final just now."""
    if not orders:
        return {}
    keys = [o["key"] for o in orders]
    existing = {r.key: r for r in session.scalars(select(PaperOrder).where(PaperOrder.key.in_(keys)))}
    fresh: dict[str, PaperOrder] = {}
    for order in orders:
        row = existing.get(order["key"])
        if row is None:
            row = PaperOrder(deployment_id=deployment_id, created_at=_now(), **order)
            session.add(row)
            existing[order["key"]] = row
        elif row.status == "OPEN" and order["status"] != "OPEN":
            for name, value in order.items():
                setattr(row, name, value)
        else:
            continue  # already final (a repeated tick): never changed twice
        fresh[order["key"]] = row
    session.flush()
    return {k: r.id for k, r in fresh.items() if r.status in FINAL_ORDER_STATUSES}


def _cancel_stale_open(session: Session, deployment_id: int, open_keys: set[str]) -> None:
    """Signal orders that were waiting for an open and produced no fill are cancelled (manual ones wait)."""
    stmt = update(PaperOrder).where(PaperOrder.deployment_id == deployment_id, PaperOrder.status == "OPEN",
                                    PaperOrder.intent != "manual")
    if open_keys:
        stmt = stmt.where(PaperOrder.key.not_in(open_keys))
    session.execute(stmt.values(status="CANCELLED", reason="the signal needed no order at the next open"))


def add_order(session: Session, deployment_id: int, order: dict[str, Any]) -> int:
    """Insert one order (a manual order) in the caller's transaction; returns its id."""
    row = PaperOrder(deployment_id=deployment_id, created_at=_now(), **order)
    session.add(row)
    session.flush()
    return row.id


def cancel_order(session: Session, deployment_id: int, order_id: int) -> bool:
    """Cancel an OPEN manual order; True if it was open."""
    done = session.execute(update(PaperOrder).where(
        PaperOrder.id == order_id, PaperOrder.deployment_id == deployment_id, PaperOrder.status == "OPEN",
        PaperOrder.intent == "manual").values(status="CANCELLED", reason="cancelled by the user"))
    if done.rowcount:  # a tick computed before the cancel may have filled it: make that tick's commit stale
        session.execute(update(PaperDeployment).where(PaperDeployment.id == deployment_id)
                        .values(version=PaperDeployment.version + 1))
    return bool(done.rowcount)


def open_manual_orders(session: Session, deployment_id: int) -> list[dict[str, Any]]:
    """OPEN manual orders of a deployment, oldest first, as dicts."""
    rows = session.scalars(select(PaperOrder).where(
        PaperOrder.deployment_id == deployment_id, PaperOrder.status == "OPEN", PaperOrder.intent == "manual"
    ).order_by(PaperOrder.id))
    return [{"key": r.key, "symbol": r.symbol, "side": r.side, "qty": r.qty, "order_type": r.order_type,
             "limit_price": r.limit_price, "stop_price": r.stop_price, "signal_ts": r.signal_ts} for r in rows]


def _frame(engine: Engine, stmt: Any, time_cols: tuple[str, ...]) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(stmt)
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for col in time_cols:
        frame[col] = pd.to_datetime(frame[col].astype("float64"), unit="s", utc=True)
    return frame


def orders_frame(engine: Engine, deployment_id: int) -> pd.DataFrame:
    """Orders of a deployment, newest first; times are UTC Timestamps."""
    cols = [PaperOrder.id, PaperOrder.key, PaperOrder.symbol, PaperOrder.side, PaperOrder.intent,
            PaperOrder.order_type, PaperOrder.qty, PaperOrder.limit_price, PaperOrder.stop_price, PaperOrder.status, PaperOrder.reason, PaperOrder.signal_ts,
            PaperOrder.fill_ts, PaperOrder.fill_price, PaperOrder.filled_qty, PaperOrder.cost]
    stmt = select(*cols).where(PaperOrder.deployment_id == deployment_id).order_by(PaperOrder.id.desc())
    return _frame(engine, stmt, ("signal_ts", "fill_ts"))


def fills_frame(engine: Engine, deployment_id: int) -> pd.DataFrame:
    """Fills of a deployment in execution order."""
    cols = [PaperFill.id, PaperFill.order_id, PaperFill.symbol, PaperFill.side, PaperFill.qty, PaperFill.price,
            PaperFill.cost, PaperFill.ts]
    stmt = select(*cols).where(PaperFill.deployment_id == deployment_id).order_by(PaperFill.id)
    return _frame(engine, stmt, ("ts",))


def cash_ledger(engine: Engine, deployment_id: int, starting_cash: float) -> pd.DataFrame:
    """Every cash movement (one per fill: proceeds of sells minus buys, minus costs) with the running balance."""
    fills = fills_frame(engine, deployment_id)
    sign = fills["side"].map({"sell": 1.0, "buy": -1.0}).astype(float)
    ledger = pd.DataFrame({"ts": fills["ts"], "symbol": fills["symbol"], "side": fills["side"],
                           "amount": sign * fills["qty"] * fills["price"], "costs": -fills["cost"]})
    ledger["balance"] = starting_cash + (ledger["amount"] + ledger["costs"]).cumsum()
    return ledger


def trades_frame(engine: Engine, deployment_id: int) -> pd.DataFrame:
    """Closed round trips (the trade journal) in exit order."""
    cols = [c for c in PaperTrade.__table__.columns if c.name not in ("id", "deployment_id")]
    stmt = select(*cols).where(PaperTrade.deployment_id == deployment_id).order_by(PaperTrade.exit_ts, PaperTrade.id)
    return _frame(engine, stmt, ("entry_ts", "exit_ts"))


def positions_frame(engine: Engine, deployment_id: int) -> pd.DataFrame:
    """Open positions at the last tick (signed qty; unrealised P&L after entry costs)."""
    cols = [c for c in PaperPosition.__table__.columns if c.name != "deployment_id"]
    stmt = select(*cols).where(PaperPosition.deployment_id == deployment_id).order_by(PaperPosition.symbol)
    return _frame(engine, stmt, ("entry_ts",))


def equity_series(engine: Engine, deployment_id: int) -> pd.DataFrame:
    """Cash and equity after each processed bar, indexed by bar time (UTC)."""
    stmt = (select(PaperEquity.ts, PaperEquity.cash, PaperEquity.equity)
            .where(PaperEquity.deployment_id == deployment_id).order_by(PaperEquity.ts))
    frame = _frame(engine, stmt, ("ts",))
    return frame.set_index("ts")
