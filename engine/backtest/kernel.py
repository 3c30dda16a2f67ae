"""The bar loop: signal fills, stops and bookkeeping over plain Python lists (no pandas inside the loop).

Order of events on a bar with fill="next_open" (signals from the symbol's previous bar):
  1. at the open: exits (signal, reversal, or a gap through a stop/target), then entries
     (strongest `strength` first while position slots and buying power last);
  2. inside the bar: stop / trailing stop / target checks (`engine.execution.check_exit`), then the
     trailing stop moves from the bar's extreme.
With fill="close": intrabar checks first, then exits and entries at this bar's close.
A symbol without a bar (NaN) gets no fills; its pending signal waits for its next bar.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.backtest.config import BacktestConfig
from engine.errors import BacktestError
from engine.execution import (
    affordable_qty,
    check_exit,
    check_gap,
    fill_price,
    initial_trailing_stop,
    order_budget,
    size_order,
    update_trailing_stop,
)

CostFn = Callable[[str, float, float], float]
# (symbol index, long?, qty, fill price, equity) -> None to allow the entry, or the reason it is refused
EntryGate = Callable[[int, bool, float, float, float], "str | None"]
_STATE_LISTS = ("qty", "entry_px", "entry_bar", "entry_cost", "stop", "target", "trail", "trail_pct")


@dataclass
class MarketData:
    """Per-symbol arrays (numpy or lists) aligned on one bar index; NaN prices and valid=False mark
    missing bars. The loop reads single elements only, so numpy arrays need no conversion to lists."""

    open: list[Sequence[float]]
    high: list[Sequence[float]]
    low: list[Sequence[float]]
    close: list[Sequence[float]]
    close_ff: list[Sequence[float]]  # last known close (forward-filled), for marking and sizing
    valid: list[Sequence[bool]]


@dataclass
class SignalData:
    """Per-symbol signals on the same index (lists or numpy arrays: the loop reads them only on the
    bars in `flagged`, which maps bar -> symbols with any flag there)."""

    entries_long: list[Sequence[bool]]
    exits_long: list[Sequence[bool]]
    entries_short: list[Sequence[bool]]
    exits_short: list[Sequence[bool]]
    stop: list[Sequence[float]]
    target: list[Sequence[float]]
    strength: list[Sequence[float]]
    trailing_pct: list[float | None]
    flagged: dict[int, list[int]]


@dataclass
class LoopOutput:
    """Trades as tuples (symbol index, side, entry bar, exit bar, entry px, exit px, qty, pnl, pnl_pct,
    costs, bars held, reason), state snapshots (bar, cash, signed qty per symbol) after each change,
    fills (bar, signal bar, symbol index, "buy"/"sell", qty, px, cost, intent) and refused entries
    (bar, signal bar, symbol index, "long"/"short", qty, px, reason)."""

    trades: list[tuple] = field(default_factory=list)
    snapshots: list[tuple[int, float, tuple[float, ...]]] = field(default_factory=list)
    qty_before_end: tuple[float, ...] = ()
    fills: list[tuple] = field(default_factory=list)
    refusals: list[tuple] = field(default_factory=list)


class _Book:
    """Cash and open positions; every fill goes through `open` / `close` so the books always balance."""

    def __init__(self, m: int, cfg: BacktestConfig, cost_fn: CostFn, md: MarketData) -> None:
        self.cash = float(cfg.cash)
        self.cfg, self.cost_fn, self.md = cfg, cost_fn, md
        self.slip = float(cfg.slippage_bps)
        self.qty = [0.0] * m
        self.entry_px = [0.0] * m
        self.entry_bar = [0] * m
        self.entry_cost = [0.0] * m
        self.stop = [math.nan] * m
        self.target = [math.nan] * m
        self.trail = [math.nan] * m
        self.trail_pct: list[float | None] = [None] * m
        self.watch: set[int] = set()  # symbols whose open position has a stop, target or trailing stop
        self.n_open = 0
        self.dirty = False
        self.gate: EntryGate | None = None
        self.out = LoopOutput()

    def ref_price(self, s: int, i: int, px: list[Sequence[float]]) -> float:
        p = px[s][i]
        return p if p == p else self.md.close_ff[s][i]

    def equity_and_power(self, i: int, px: list[Sequence[float]]) -> tuple[float, float]:
        """Equity marked at `px` (last close where a symbol has no bar) and buying power (margin 1)."""
        equity, gross = self.cash, 0.0
        for s, q in enumerate(self.qty):
            if q:
                value = q * self.ref_price(s, i, px)
                equity += value
                gross += abs(value)
        return equity, equity - gross

    def open(self, s: int, long: bool, qty: float, px: float, i: int, stop: float, target: float,
             trailing_pct: float | None, t: int | None = None) -> None:
        side = "buy" if long else "sell"
        cost = self.cost_fn(side, qty, px)
        self.out.fills.append((i, i if t is None else t, s, side, qty, px, cost, "entry_long" if long else "entry_short"))
        signed = qty if long else -qty
        self.cash -= signed * px + cost
        self.qty[s], self.entry_px[s], self.entry_bar[s], self.entry_cost[s] = signed, px, i, cost
        self.stop[s], self.target[s], self.trail_pct[s] = stop, target, trailing_pct
        self.trail[s] = initial_trailing_stop(px, "long" if long else "short", trailing_pct)
        if stop == stop or target == target or trailing_pct:
            self.watch.add(s)
        self.n_open += 1
        self.dirty = True

    def close(self, s: int, price: float, i: int, reason: str, t: int | None = None, limit: bool = False) -> None:
        q = self.qty[s]
        side = "sell" if q > 0 else "buy"
        limit = limit or reason == "target"  # targets are limit orders: no slippage
        px = price if limit else fill_price(price, side, self.slip)
        cost = self.cost_fn(side, abs(q), px)
        self.out.fills.append((i, i if t is None else t, s, side, abs(q), px, cost, f"exit_{reason}"))
        self.cash += q * px - cost
        entry = self.entry_px[s]
        costs = self.entry_cost[s] + cost
        pnl = q * (px - entry) - costs
        self.out.trades.append((s, "long" if q > 0 else "short", self.entry_bar[s], i, entry, px, abs(q), pnl,
                                pnl / (abs(q) * entry), costs, i - self.entry_bar[s], reason))
        self.qty[s] = 0.0
        self.watch.discard(s)
        self.n_open -= 1
        self.dirty = True

    def snapshot(self, i: int) -> None:
        self.out.snapshots.append((i, self.cash, tuple(self.qty)))
        self.dirty = False

    def to_state(self) -> dict[str, Any]:
        """Cash and open positions as plain JSON-able values (NaN levels become None)."""
        state: dict[str, Any] = {"cash": self.cash}
        for name in _STATE_LISTS:
            state[name] = [None if isinstance(v, float) and v != v else v for v in getattr(self, name)]
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore `to_state()` output (positions, levels, cash); derived sets are rebuilt."""
        self.cash = float(state["cash"])
        for name in _STATE_LISTS:
            values = state[name]
            if len(values) != len(self.qty):
                raise BacktestError(f"saved book has {len(values)} symbols, the market data {len(self.qty)}")
            if name == "entry_bar":
                self.entry_bar = [int(v) for v in values]
            elif name == "trail_pct":
                self.trail_pct = [None if v is None else float(v) for v in values]
            else:
                setattr(self, name, [math.nan if v is None else float(v) for v in values])
        self.watch = {s for s, q in enumerate(self.qty) if q and (
            self.stop[s] == self.stop[s] or self.target[s] == self.target[s] or self.trail_pct[s])}
        self.n_open = sum(1 for q in self.qty if q)


def run_loop(md: MarketData, sg: SignalData, cfg: BacktestConfig, cost_fn: CostFn, n: int) -> LoopOutput:
    """Simulate every bar; open positions are closed at the last known close with reason "end"."""
    stepper = Stepper(md, sg, cfg, cost_fn)
    stepper.step(0, n)
    return stepper.finish(n)


class Stepper:
    """The bar loop made resumable: `step(i, j)` processes bars [i, j) and can be called again later
    (or on a new Stepper restored from `state()`) with the same result as one pass over all bars.

    Bars where nothing can happen (no pending signal, no stop to watch) are skipped by jumping to
    the next bar that carries a signal. `gate`, when given, may refuse an entry (risk checks).
    """

    def __init__(self, md: MarketData, sg: SignalData, cfg: BacktestConfig, cost_fn: CostFn,
                 state: dict[str, Any] | None = None, gate: EntryGate | None = None) -> None:
        self.md, self.sg, self.cfg = md, sg, cfg
        self.book = _Book(len(md.open), cfg, cost_fn, md)
        self.book.gate = gate
        self.keys = sorted(sg.flagged)
        self.pending: dict[int, int] = {}  # symbol -> bar of the signal waiting for the next open
        if state is not None:
            self.book.load_state(state["book"])
            self.pending = {int(k): int(v) for k, v in state["pending"].items()}

    def state(self) -> dict[str, Any]:
        """Book and pending signals as JSON-able values (bar numbers index this stepper's data)."""
        return {"book": self.book.to_state(), "pending": {str(k): v for k, v in self.pending.items()}}

    @property
    def out(self) -> LoopOutput:
        return self.book.out

    def step(self, start: int, stop: int) -> None:
        """Process bars [start, stop): fills, exits and snapshots are appended to `out`."""
        book, md, sg, flagged, keys = self.book, self.md, self.sg, self.sg.flagged, self.keys
        next_open = self.cfg.fill == "next_open"
        pending = self.pending
        kp, nk = bisect.bisect_left(keys, start), len(keys)
        i = start
        while i < stop:
            if not pending and not book.watch:
                if kp >= nk or keys[kp] >= stop:
                    break
                i = keys[kp]
            if next_open:
                ready = [(s, t) for s, t in pending.items() if md.valid[s][i]] if pending else []
                if ready or book.watch:
                    for s, _ in ready:
                        del pending[s]
                    _act_on_signals(book, sg, md, md.open, i, ready, at_open=True)
                if book.watch:
                    _check_intrabar(book, md, i)
            elif book.watch:
                _check_intrabar(book, md, i)
            if kp < nk and keys[kp] == i:
                kp += 1
                if next_open:
                    for s in flagged[i]:
                        pending[s] = i
                else:
                    _act_on_signals(book, sg, md, md.close, i, [(s, i) for s in flagged[i]], at_open=False)
            if book.dirty:
                book.snapshot(i)
            i += 1

    def pending_intents(self) -> list[tuple[int, int, str]]:
        """(symbol, signal bar, intent) of the orders the pending signals will place at the next open."""
        out = []
        for s, t in sorted(self.pending.items()):
            if self.book.qty[s]:
                reason = _exit_reason(self.book, self.sg, s, t)
                if reason is not None:
                    out.append((s, t, f"exit_{reason}"))
            want = _wanted_side(self.book, self.sg, s, t)
            if want is not None and not (self.book.qty[s] and (self.book.qty[s] > 0) == want):
                out.append((s, t, "entry_long" if want else "entry_short"))
        return out

    def finish(self, n: int) -> LoopOutput:
        """Close open positions at the last known close (reason "end") and return the output."""
        book, md = self.book, self.md
        book.out.qty_before_end = tuple(book.qty)
        for s, q in enumerate(book.qty):
            if q:
                book.close(s, md.close_ff[s][n - 1], n - 1, "end")
        if book.dirty:
            book.snapshot(n - 1)
        return book.out


def _check_intrabar(book: _Book, md: MarketData, i: int) -> None:
    for s in sorted(book.watch):
        if not md.valid[s][i]:
            continue
        side = "long" if book.qty[s] > 0 else "short"
        high, low = md.high[s][i], md.low[s][i]
        hit = check_exit(md.open[s][i], high, low, side, book.stop[s], book.target[s], book.trail[s])
        if hit is not None:
            book.close(s, hit[0], i, hit[1])
        elif book.trail_pct[s]:
            book.trail[s] = update_trailing_stop(book.trail[s], high, low, side, book.trail_pct[s])


def _exit_reason(book: _Book, sg: SignalData, s: int, t: int) -> str | None:
    """Why the signals of bar t close symbol s's position: "reverse" when the opposite entry follows,
    "signal" for a plain exit, None to keep it."""
    long = book.qty[s] > 0
    if _wanted_side(book, sg, s, t) is (not long):
        return "reverse"
    exit_flag = sg.exits_long[s][t] if long else sg.exits_short[s][t]
    return "signal" if exit_flag else None


def _wanted_side(book: _Book, sg: SignalData, s: int, t: int) -> bool | None:
    """True = go long, False = go short, None = no entry; an entry with its own exit set is ignored."""
    long = sg.entries_long[s][t] and not sg.exits_long[s][t]
    short = book.cfg.allow_short and sg.entries_short[s][t] and not sg.exits_short[s][t]
    if long == short:
        return None
    return bool(long)


def _act_on_signals(book: _Book, sg: SignalData, md: MarketData, px: list[Sequence[float]], i: int,
                    items: list[tuple[int, int]], at_open: bool) -> None:
    """Exits first (freeing cash and slots), then entries by descending strength."""
    held_before = [book.qty[s] for s, _ in items]
    for s, t in items:
        if book.qty[s]:
            reason = _exit_reason(book, sg, s, t)
            if reason is not None:
                book.close(s, px[s][i], i, reason, t)
    if at_open and book.watch:
        for s in sorted(book.watch):
            if md.valid[s][i]:
                side = "long" if book.qty[s] > 0 else "short"
                gap = check_gap(px[s][i], side, book.stop[s], book.target[s], book.trail[s])
                if gap is not None:
                    book.close(s, gap[0], i, gap[1])
    candidates = []
    for (s, t), held in zip(items, held_before, strict=True):
        want = _wanted_side(book, sg, s, t)
        if want is None or book.qty[s] or (held and (held > 0) == want):
            continue  # no entry, still holding, or the signal only confirmed the side already held
        strength = sg.strength[s][t]
        candidates.append((-(strength if strength == strength else -math.inf), s, t, want))
    if len(candidates) > 1:
        candidates.sort(key=lambda c: (c[0], c[1]))
    limit = book.cfg.max_positions
    for _, s, t, want in candidates:
        if limit is not None and book.n_open >= limit:
            book.out.refusals.append((i, t, s, "long" if want else "short", 0.0, px[s][i], "max positions open"))
            continue
        _enter(book, sg, px, i, s, t, want)


def _enter(book: _Book, sg: SignalData, px: list[Sequence[float]], i: int, s: int, t: int, long: bool) -> None:
    cfg = book.cfg
    side = "buy" if long else "sell"
    price = fill_price(px[s][i], side, book.slip)
    equity, power = book.equity_and_power(i, px)
    stop = sg.stop[s][t]
    if cfg.sizing == "risk_pct" and stop != stop:
        raise BacktestError("risk_pct sizing needs a stop-loss from the strategy; set its stop_loss_pct above 0")
    qty = size_order(cfg.sizing, cfg.size_value, equity, price, stop, cfg.lot_size)
    budget = min(order_budget(cfg.sizing, cfg.size_value, equity), power)
    qty = affordable_qty(qty, price, budget, book.cost_fn, side, cfg.lot_size)
    if qty <= 0:
        book.out.refusals.append((i, t, s, "long" if long else "short", 0.0, price, "not enough buying power"))
        return
    if book.gate is not None:
        refused = book.gate(s, long, qty, price, equity)
        if refused:
            book.out.refusals.append((i, t, s, "long" if long else "short", qty, price, refused))
            return
    book.open(s, long, qty, price, i, stop, sg.target[s][t], sg.trailing_pct[s], t)
