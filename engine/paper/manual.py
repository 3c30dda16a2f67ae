"""Manual paper orders: market, limit, stop and stop-limit, placed from the UI or CLI and filled by ticks.

An order placed at time T may fill from the first bar that opens after T (a daily bar labelled
after T; an intraday bar whose open time is after T). Fill rules on a bar (open, high, low), with
slippage on market and stop fills only:
- market: at the open;
- limit buy at L: at the open if open <= L, else at L if low <= L (sell: mirrored);
- stop buy at S: at the open if open >= S, else at S if high >= S (sell: mirrored);
- stop-limit buy (S, L): triggers like a stop, then fills like a limit at L on the same bar when
  the bar's range reaches L after the trigger (open if it already is).
Manual orders open a position in a flat symbol or close the whole position (the book keeps one
average entry per symbol); anything else is rejected with a reason.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from engine.errors import DataError
from engine.paper.clock import as_utc
from storage import paper as store
from storage.db import transaction

ORDER_TYPES = ("market", "limit", "stop", "stop_limit")


def match_price(order: dict[str, Any], bar_open: float, high: float, low: float) -> tuple[float, bool] | None:
    """(price before slippage, is_limit_fill) if `order` fills on this bar, else None.

    Market and stop fills get slippage from the caller (`engine.execution.fill_price`); limit fills
    are at their price. See the module docstring for the rules.
    """
    buy = order["side"] == "buy"
    kind, lim, stop = order["order_type"], order.get("limit_price"), order.get("stop_price")
    if kind == "market":
        return bar_open, False
    if kind == "stop" or kind == "stop_limit":
        gapped = bar_open >= stop if buy else bar_open <= stop
        touched = gapped or (high >= stop if buy else low <= stop)
        if not touched:
            return None
        if kind == "stop":
            return (bar_open if gapped else stop), False
        start = bar_open if gapped else stop  # price when the stop triggered
        if (start <= lim) if buy else (start >= lim):
            return start, True
        return (lim, True) if ((low <= lim) if buy else (high >= lim)) else None
    if (bar_open <= lim) if buy else (bar_open >= lim):
        return bar_open, True
    return (lim, True) if ((low <= lim) if buy else (high >= lim)) else None


def _check(order_type: str, side: str, qty: float, limit_price: float | None, stop_price: float | None) -> None:
    if order_type not in ORDER_TYPES:
        raise DataError(f"order type must be one of {list(ORDER_TYPES)}, got {order_type!r}")
    if side not in ("buy", "sell"):
        raise DataError(f"order side must be 'buy' or 'sell', got {side!r}")
    if not (qty > 0 and float(qty).is_integer()):
        raise DataError(f"order quantity must be a whole number of shares above zero, got {qty}")
    if order_type in ("limit", "stop_limit") and not (limit_price and limit_price > 0):
        raise DataError(f"a {order_type} order needs a limit price above zero")
    if order_type in ("stop", "stop_limit") and not (stop_price and stop_price > 0):
        raise DataError(f"a {order_type} order needs a stop price above zero")


def _refusal(dep: dict[str, Any], symbol: str, side: str, qty: float, price: float | None,
             now: pd.Timestamp) -> str:
    """Why the book or the risk limits refuse this order ("" if they allow it)."""
    from engine.backtest.config import BacktestConfig

    saved = json.loads(dep["state_json"]) if dep["state_json"] else None
    s = dep["symbols"].index(symbol)
    held = float(saved["book"]["qty"][s]) if saved else 0.0
    after = held + (qty if side == "buy" else -qty)
    if held and after:
        return (f"{symbol} holds {held:g}; manual orders open a new position or close the whole position "
                f"(order {abs(held):g} to close)")
    if not held and side == "sell" and not BacktestConfig.from_dict(dep["config"]).allow_short:
        return "short selling is off for this deployment; enable allow_short to sell without a position"
    risk = dep.get("risk") or {}
    if held or not (risk.get("limits") or risk.get("breaker")) or price is None:
        return ""
    from engine.risk import BreakerState, Holding, OrderIntent, PortfolioState, RiskLimits, check_order

    limits = RiskLimits.from_dict(dict(risk.get("limits") or {}) | {"trading_hours_only": False})
    breaker = BreakerState.from_dict(saved["breaker"]) if saved and saved.get("breaker") else None
    holdings = tuple(Holding(dep["symbols"][j], float(q), price) for j, q in enumerate(saved["book"]["qty"]) if q) \
        if saved else ()
    reasons = check_order(OrderIntent(symbol, side, qty, price), PortfolioState(dep["cash"], holdings), limits,
                          now, breaker)
    return "; ".join(reasons)


def place_order(db: Engine, deployment_id: int, symbol: str, side: str, qty: float, order_type: str = "market",
                limit_price: float | None = None, stop_price: float | None = None,
                now: pd.Timestamp | str | None = None) -> dict[str, Any]:
    """Place a manual order; returns {"id", "key", "status" ("OPEN" or "REJECTED"), "reason"}.

    Passes the deployment's risk limits and circuit breaker like a signal entry. Raises DataError
    for a malformed order, an unknown deployment, a symbol it does not trade, or a stopped deployment.
    """
    _check(order_type, side, qty, limit_price, stop_price)
    now = as_utc(now)
    with transaction(db) as session:
        dep = store.get_deployment(session, deployment_id)
        symbol = symbol.strip().upper()
        if symbol not in dep["symbols"]:
            raise DataError(f"deployment {deployment_id} trades {dep['symbols']}, not {symbol}")
        if dep["status"] == "stopped":
            raise DataError(f"deployment {deployment_id} is stopped; resume it before placing orders")
        ref = limit_price or stop_price or _last_close(session, dep, symbol)
        reason = _refusal(dep, symbol, side, float(qty), ref, now)
        key = f"{deployment_id}:{symbol}:{int(now.timestamp())}:manual-{uuid.uuid4().hex[:8]}"
        status = "REJECTED" if reason else "OPEN"
        order_id = store.add_order(session, deployment_id, {
            "key": key, "symbol": symbol, "side": side, "intent": "manual", "order_type": order_type,
            "qty": float(qty), "limit_price": limit_price, "stop_price": stop_price, "status": status,
            "reason": reason or "waiting for the next bar", "signal_ts": int(now.timestamp())})
    return {"id": order_id, "key": key, "status": status, "reason": reason}


def _last_close(session: Any, dep: dict[str, Any], symbol: str) -> float | None:
    from storage.candles import tail_candles

    tail = tail_candles(session, symbol, dep["interval"], 1)
    return None if tail.empty else float(tail["close"].iloc[-1])


def cancel_order(db: Engine, deployment_id: int, order_id: int) -> bool:
    """Cancel an OPEN manual order; True if it was open."""
    with transaction(db) as session:
        return store.cancel_order(session, deployment_id, order_id)
