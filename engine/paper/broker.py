"""Paper broker: step new closed bars through the backtest's Stepper and turn the result into records.

Pure: no storage. The book is saved with bar *times* (epoch seconds) instead of bar numbers, so a
tick on a longer history (new bars appended) restores it exactly. Orders get an idempotency key
"<deployment>:<symbol>:<bar epoch>:<intent>" where the bar is the one whose close produced the order
(the fill bar for stop, trailing-stop and target exits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import time
from typing import Any

import numpy as np
import pandas as pd

from engine.backtest.config import BacktestConfig
from engine.backtest.kernel import EntryGate, Stepper
from engine.backtest.runner import Prepared
from engine.errors import DataError
from engine.execution import fill_price

ORDER_TYPES = {"exit_stop": "stop", "exit_trailing": "stop", "exit_target": "limit"}


@dataclass
class TickResult:
    """What one tick produced: the new saved state and the rows to write (see storage.paper.TickWrite)."""

    state: dict[str, Any]
    last_bar_ts: int | None
    cash: float
    equity: float
    orders: list[dict[str, Any]] = field(default_factory=list)
    open_keys: set[str] = field(default_factory=set)
    fills: list[dict[str, Any]] = field(default_factory=list)
    trades: list[dict[str, Any]] = field(default_factory=list)
    positions: list[dict[str, Any]] = field(default_factory=list)
    equity_rows: list[dict[str, Any]] = field(default_factory=list)


def epochs_of(index: pd.DatetimeIndex) -> np.ndarray:
    """Bar times as int64 epoch seconds."""
    return index.as_unit("s").asi8


def _bar_of(epochs: np.ndarray, ts: int) -> int:
    i = int(np.searchsorted(epochs, ts))
    if i >= len(epochs) or epochs[i] != ts:
        raise DataError(f"bar {pd.Timestamp(ts, unit='s', tz='UTC')} of the paper book is no longer stored; "
                        "re-sync the symbol or reset the deployment")
    return i


def restore_state(saved: dict[str, Any] | None, epochs: np.ndarray, symbols: list[str]) -> dict[str, Any] | None:
    """Stepper state (bar numbers) from a saved book (bar times); None for a fresh book."""
    if not saved:
        return None
    if saved["symbols"] != symbols:
        raise DataError("the deployment's symbols changed since its book was saved; reset the deployment")
    book = dict(saved["book"])
    book["entry_bar"] = [_bar_of(epochs, ts) if ts is not None else 0 for ts in book.pop("entry_ts")]
    pending = {str(symbols.index(sym)): _bar_of(epochs, ts) for sym, ts in saved["pending"].items()}
    return {"book": book, "pending": pending}


def save_state(state: dict[str, Any], epochs: np.ndarray, symbols: list[str]) -> dict[str, Any]:
    """The Stepper's state with bar numbers replaced by bar times (JSON-able)."""
    book = dict(state["book"])
    bars = book.pop("entry_bar")
    book["entry_ts"] = [int(epochs[b]) if q else None for b, q in zip(bars, book["qty"], strict=True)]
    pending = {symbols[int(s)]: int(epochs[t]) for s, t in state["pending"].items()}
    return {"symbols": symbols, "book": book, "pending": pending}


def run_tick(deployment_id: int, prep: Prepared, config: BacktestConfig, saved: dict[str, Any] | None,
             start: int, guard: Any = None, manual: list[dict[str, Any]] | None = None,
             square_off: SquareOff | None = None) -> TickResult:
    """Process bars [start, len(prep.index)) of `prep` from the `saved` book; raises DataError if the
    saved book refers to bars that are gone. `guard` (engine.paper.guard.RiskGuard) may refuse entries;
    `manual` are OPEN manual orders (storage.paper.open_manual_orders), filled at each bar's open.
    `square_off` (intraday): from the first bar at or after that local time, positions are closed at
    the open and new entries are refused until the next session."""
    epochs, symbols, n = epochs_of(prep.index), prep.symbols, len(prep.index)
    gate: EntryGate | None = guard.gate if guard is not None else None
    if square_off is not None:
        gate = square_off.wrap(gate)
    stepper = Stepper(prep.md, prep.sg, config, config.cost_model().cost,
                      state=restore_state(saved, epochs, symbols), gate=gate)
    cash0, qty0 = stepper.book.cash, list(stepper.book.qty)
    manual_rows: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    if guard is None and not manual and square_off is None:
        stepper.step(start, n)
    else:
        _step_each_bar(stepper, guard, prep, start, n, list(manual or []), manual_rows, square_off)
    out, book = stepper.out, stepper.book
    result = TickResult(state=save_state(stepper.state(), epochs, symbols), last_bar_ts=int(epochs[n - 1]),
                        cash=book.cash, equity=0.0)

    def key(s: int, t: int, intent: str) -> str:
        return f"{deployment_id}:{symbols[s]}:{int(epochs[t])}:{intent}"

    for i, t, s, side, qty, px, cost, intent in out.fills:
        k = key(s, t, intent)
        result.orders.append({"key": k, "symbol": symbols[s], "side": side, "intent": intent,
                              "order_type": ORDER_TYPES.get(intent, "market"), "qty": qty, "status": "FILLED",
                              "reason": "", "signal_ts": int(epochs[t]), "fill_ts": int(epochs[i]),
                              "fill_price": px, "filled_qty": qty, "cost": cost})
        result.fills.append({"order_key": k, "symbol": symbols[s], "side": side, "qty": qty, "price": px,
                             "cost": cost, "ts": int(epochs[i])})
    for i, t, s, direction, qty, _px, reason in out.refusals:
        intent = f"entry_{direction}"
        result.orders.append({"key": key(s, t, intent), "symbol": symbols[s], "intent": intent, "qty": qty,
                              "side": "buy" if direction == "long" else "sell", "order_type": "market",
                              "status": "REJECTED", "reason": reason, "signal_ts": int(epochs[t]),
                              "fill_ts": int(epochs[i])})
    for s, t, intent in stepper.pending_intents():
        k = key(s, t, intent)
        long_exit = intent.startswith("exit") and book.qty[s] > 0
        side = "sell" if long_exit or intent == "entry_short" else "buy"
        result.open_keys.add(k)
        result.orders.append({"key": k, "symbol": symbols[s], "side": side, "intent": intent,
                              "order_type": "market", "qty": abs(book.qty[s]) if intent.startswith("exit") else 0.0,
                              "status": "OPEN", "reason": "fills at the next bar's open",
                              "signal_ts": int(epochs[t])})
    for order, fill in manual_rows:
        result.orders.append(order)
        if fill is not None:
            result.fills.append(fill)
    result.trades = [_trade_row(tr, epochs, symbols) for tr in out.trades]
    result.equity_rows = _equity_rows(prep, out.snapshots, start, n, cash0, qty0)
    result.equity = result.equity_rows[-1]["equity"] if result.equity_rows else book.cash
    result.positions = _positions(prep, book, epochs, n)
    return result


class SquareOff:
    """Intraday auto square-off at a local time of day (e.g. 15:20 in Asia/Kolkata).

    Bars are labelled by their open time; the square-off happens at the open of the bar whose span
    contains the square-off time (with 15-minute bars and 15:20: the 15:15 bar), never later.
    """

    def __init__(self, at: str, tz: str, bar_seconds: int) -> None:
        hour, minute = (int(x) for x in at.split(":"))
        self.at, self.tz, self.bar_seconds, self.after = time(hour, minute), tz, bar_seconds, False

    def is_after(self, ts: int) -> bool:
        """True if the bar opening at `ts` (epoch s) ends after the square-off time of its day."""
        start = pd.Timestamp(ts, unit="s", tz="UTC").tz_convert(self.tz)
        cutoff = start.normalize() + pd.Timedelta(hours=self.at.hour, minutes=self.at.minute)
        return start + pd.Timedelta(seconds=self.bar_seconds) > cutoff

    def wrap(self, gate: EntryGate | None) -> EntryGate:
        def checked(s: int, long: bool, qty: float, price: float, equity: float) -> str | None:
            if self.after:
                return f"no new entries after the intraday square-off at {self.at:%H:%M}"
            return gate(s, long, qty, price, equity) if gate is not None else None
        return checked

    def apply(self, stepper: Stepper, md: Any, i: int, ts: int) -> None:
        """At and after the square-off time: close every open position at this bar's open."""
        self.after = self.is_after(ts)
        if not self.after:
            return
        book = stepper.book
        for s, q in enumerate(book.qty):
            if q and md.valid[s][i]:
                book.close(s, md.open[s][i], i, "square_off")
        if book.dirty:
            book.snapshot(i)


def _step_each_bar(stepper: Stepper, guard: Any, prep: Prepared, start: int, n: int, manual: list[dict[str, Any]],
                   manual_rows: list, square_off: SquareOff | None = None) -> None:
    """Step bar by bar: manual orders fill at the open first (then the square-off); the risk guard
    sees the time and, with a breaker, the equity after each bar."""
    if guard is not None:
        guard.stepper = stepper
    epochs, book = epochs_of(prep.index), stepper.book
    for i in range(start, n):
        if square_off is not None:
            square_off.apply(stepper, prep.md, i, int(epochs[i]))
        if manual:
            manual[:] = [o for o in manual if not _try_manual(stepper, prep, o, i, int(epochs[i]), manual_rows)]
        seen = len(stepper.out.trades)
        if guard is None:
            stepper.step(i, i + 1)
            continue
        guard.bar, guard.now = i, pd.Timestamp(int(epochs[i]), unit="s", tz="UTC")
        stepper.step(i, i + 1)
        if guard.per_bar:
            equity = book.cash + sum(q * prep.marks[i][s] for s, q in enumerate(book.qty) if q)
            guard.observe(guard.now, equity, [tr[7] for tr in stepper.out.trades[seen:]])


def _try_manual(stepper: Stepper, prep: Prepared, order: dict[str, Any], i: int, ts: int, rows: list) -> bool:
    """Fill or reject a manual order on bar i; True when it is final (appends (order row, fill) to rows)."""
    from engine.paper.manual import match_price

    s = prep.symbols.index(order["symbol"])
    md, book = prep.md, stepper.book
    if ts <= order["signal_ts"] or not md.valid[s][i]:
        return False  # the bar opened before the order was placed, or the symbol has no bar
    hit = match_price(order, md.open[s][i], md.high[s][i], md.low[s][i])
    if hit is None:
        return False
    raw, is_limit = hit
    long, qty, held = order["side"] == "buy", float(order["qty"]), book.qty[s]
    final = {**order, "fill_ts": ts}
    before = len(book.out.fills)
    if held == 0:
        price = raw if is_limit else fill_price(raw, order["side"], book.slip)
        cost = book.cost_fn(order["side"], qty, price)
        if qty * price + cost > book.equity_and_power(i, md.open)[1]:
            rows.append(({**final, "status": "REJECTED", "reason": "not enough buying power at the fill"}, None))
            return True
        book.open(s, long, qty, price, i, math.nan, math.nan, None, i)
    elif (held > 0) != long and abs(held) == qty:
        book.close(s, raw, i, "manual", i, limit=is_limit)
    else:
        rows.append(({**final, "status": "REJECTED",
                      "reason": f"the position changed to {held:g} before the fill; order again"}, None))
        return True
    _, _, _, side, fqty, px, cost, _ = book.out.fills.pop(before)  # a manual fill, not a signal order
    if book.dirty:
        book.snapshot(i)
    rows.append(({**final, "status": "FILLED", "reason": "", "fill_price": px, "filled_qty": fqty, "cost": cost},
                 {"order_key": order["key"], "symbol": order["symbol"], "side": side, "qty": fqty, "price": px,
                  "cost": cost, "ts": ts}))
    return True


def _trade_row(tr: tuple, epochs: np.ndarray, symbols: list[str]) -> dict[str, Any]:
    s, side, entry_bar, exit_bar, entry_px, exit_px, qty, pnl, pnl_pct, costs, held, reason = tr
    return {"symbol": symbols[s], "side": side, "entry_ts": int(epochs[entry_bar]), "exit_ts": int(epochs[exit_bar]),
            "entry_price": entry_px, "exit_price": exit_px, "qty": qty, "pnl": pnl, "pnl_pct": pnl_pct,
            "costs": costs, "bars_held": int(held), "exit_reason": reason}


def _equity_rows(prep: Prepared, snapshots: list[tuple], start: int, n: int, cash: float,
                 qty: list[float]) -> list[dict[str, Any]]:
    """Cash and equity after every bar in [start, n), marked at the last known closes."""
    epochs, marks = epochs_of(prep.index), prep.marks
    rows, k = [], 0
    q = np.asarray(qty, dtype=float)
    for i in range(start, n):
        while k < len(snapshots) and snapshots[k][0] <= i:
            _, cash, held = snapshots[k]
            q = np.asarray(held, dtype=float)
            k += 1
        rows.append({"ts": int(epochs[i]), "cash": cash, "equity": float(cash + (q * marks[i]).sum())})
    return rows


def _level(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _positions(prep: Prepared, book: Any, epochs: np.ndarray, n: int) -> list[dict[str, Any]]:
    rows = []
    for s, q in enumerate(book.qty):
        if not q:
            continue
        last = prep.md.close_ff[s][n - 1]
        rows.append({"symbol": prep.symbols[s], "qty": q, "avg_price": book.entry_px[s],
                     "entry_ts": int(epochs[book.entry_bar[s]]), "entry_cost": book.entry_cost[s],
                     "stop": _level(book.stop[s]), "target": _level(book.target[s]),
                     "trailing_stop": _level(book.trail[s]), "last_price": last,
                     "unrealised_pnl": q * (last - book.entry_px[s]) - book.entry_cost[s]})
    return rows
