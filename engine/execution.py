"""Order execution rules shared by the backtester and paper trading: fills, slippage, sizing, exits.

Pure functions on plain floats. Prices are traded prices (not adjusted); quantities are whole shares
or whole lots; slippage is in basis points (1 bp = 0.01 %).

Intrabar exit rule (conservative, documented once here and followed everywhere):
1. A gap: if the bar opens at or beyond the stop (or trailing stop) the exit fills at the open; if it
   opens at or beyond the target it fills at the open (a better price than the target).
2. Otherwise, if the stop and the target both lie inside the bar's range we cannot know which was
   touched first, so we assume the STOP was hit first.
3. The trailing stop used for a bar is the one known before the bar; it is moved from the bar's
   extreme only after the bar was checked (`update_trailing_stop`), so no same-bar look-ahead.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from engine.errors import BacktestError

SIZING_MODES = ("fixed_qty", "fixed_amount", "pct_equity", "risk_pct")


def _is_set(level: float | None) -> bool:
    return level is not None and not math.isnan(level)


def fill_price(price: float, side: str, slippage_bps: float = 0.0) -> float:
    """The price actually paid ("buy") or received ("sell"): buys pay up, sells receive less."""
    if side == "buy":
        return price * (1.0 + slippage_bps / 10_000.0)
    if side == "sell":
        return price * (1.0 - slippage_bps / 10_000.0)
    raise BacktestError(f"order side must be 'buy' or 'sell', got {side!r}")


def round_to_lot(qty: float, lot_size: int = 1) -> float:
    """Round a non-negative quantity DOWN to a whole number of lots (lot_size shares each)."""
    if lot_size < 1:
        raise BacktestError(f"lot size must be a whole number >= 1, got {lot_size}")
    if not qty > 0 or math.isinf(qty):
        return 0.0
    return float(math.floor(qty / lot_size + 1e-9) * lot_size)


def size_order(mode: str, value: float, equity: float, price: float,
               stop: float | None = None, lot_size: int = 1) -> float:
    """Quantity (>= 0, whole lots) for a new position, before costs and cash limits.

    mode "fixed_qty": `value` shares; "fixed_amount": `value` currency; "pct_equity": `value` % of
    `equity`; "risk_pct": lose `value` % of `equity` if the `stop` price is hit. Raises
    BacktestError for an unknown mode, a non-positive price or a missing stop in risk_pct mode.
    """
    if mode not in SIZING_MODES:
        raise BacktestError(f"sizing mode must be one of {list(SIZING_MODES)}, got {mode!r}")
    if not price > 0:
        raise BacktestError(f"cannot size an order at a non-positive price {price}")
    if mode == "fixed_qty":
        raw = value
    elif mode == "fixed_amount":
        raw = value / price
    elif mode == "pct_equity":
        raw = max(equity, 0.0) * value / 100.0 / price
    else:
        if not _is_set(stop) or stop == price:
            raise BacktestError("risk_pct sizing needs a stop price different from the entry price")
        raw = max(equity, 0.0) * value / 100.0 / abs(price - stop)  # type: ignore[operator]
    return round_to_lot(raw, lot_size)


def order_budget(mode: str, value: float, equity: float) -> float:
    """Most currency a new position may use including its entry costs (inf when the mode sets no limit)."""
    if mode == "fixed_amount":
        return value
    if mode == "pct_equity":
        return max(equity, 0.0) * value / 100.0
    return math.inf


def affordable_qty(qty: float, price: float, budget: float, cost_fn: Callable[[str, float, float], float],
                   side: str, lot_size: int = 1) -> float:
    """Largest multiple of `lot_size` <= `qty` whose value plus cost (`cost_fn(side, qty, price)`) fits `budget`."""
    if math.isinf(budget):
        return qty
    if budget <= 0:
        return 0.0
    qty = min(qty, round_to_lot(budget / price, lot_size))
    if qty <= 0:
        return 0.0
    cost = cost_fn(side, qty, price)
    if qty * price + cost <= budget:
        return qty
    # one proportional step (exact for costs proportional to value), then walk down lot by lot
    qty = min(qty - lot_size, round_to_lot(budget / (price + cost / qty), lot_size))
    while qty > 0 and qty * price + cost_fn(side, qty, price) > budget:
        qty -= lot_size
    return max(qty, 0.0)


def check_gap(bar_open: float, side: str, stop: float | None, target: float | None,
              trail_stop: float | None = None) -> tuple[float, str] | None:
    """Exit at the open when the bar opens through the stop, trailing stop or target; else None."""
    is_long = side == "long"
    hit_stop, reason = _binding_stop(side, stop, trail_stop)
    if hit_stop is not None and (bar_open <= hit_stop if is_long else bar_open >= hit_stop):
        return bar_open, reason
    if _is_set(target) and (bar_open >= target if is_long else bar_open <= target):  # type: ignore[operator]
        return bar_open, "target"
    return None


def check_exit(bar_open: float, high: float, low: float, side: str, stop: float | None,
               target: float | None, trail_stop: float | None = None) -> tuple[float, str] | None:
    """(exit price, reason) if this bar hits the stop / trailing stop / target, else None.

    `side` is "long" or "short"; levels are prices (None or NaN = not set). Reasons are "stop",
    "trailing" (the trailing stop was the tighter stop) or "target". See the module docstring for the
    gap and stop-before-target rules.
    """
    gap = check_gap(bar_open, side, stop, target, trail_stop)
    if gap is not None:
        return gap
    is_long = side == "long"
    hit_stop, reason = _binding_stop(side, stop, trail_stop)
    if hit_stop is not None and (low <= hit_stop if is_long else high >= hit_stop):
        return hit_stop, reason
    if _is_set(target) and (high >= target if is_long else low <= target):  # type: ignore[operator]
        return target, "target"  # type: ignore[return-value]
    return None


def _binding_stop(side: str, stop: float | None, trail_stop: float | None) -> tuple[float | None, str]:
    """The tighter of the fixed and trailing stops, with the reason it would be reported under."""
    has_stop, has_trail = _is_set(stop), _is_set(trail_stop)
    if not has_trail:
        return (stop if has_stop else None), "stop"
    if not has_stop:
        return trail_stop, "trailing"
    tighter_trail = trail_stop > stop if side == "long" else trail_stop < stop  # type: ignore[operator]
    return (trail_stop, "trailing") if tighter_trail else (stop, "stop")


def initial_trailing_stop(entry_price: float, side: str, trailing_pct: float | None) -> float:
    """The trailing stop at entry: entry × (1 − pct) for longs, × (1 + pct) for shorts; NaN if unused."""
    if not trailing_pct:
        return math.nan
    return entry_price * (1.0 - trailing_pct) if side == "long" else entry_price * (1.0 + trailing_pct)


def update_trailing_stop(trail_stop: float, high: float, low: float, side: str, trailing_pct: float | None) -> float:
    """Move the trailing stop after a bar was checked: from the bar's high (long) or low (short), never back."""
    if not trailing_pct or math.isnan(trail_stop):
        return trail_stop
    if side == "long":
        return max(trail_stop, high * (1.0 - trailing_pct))
    return min(trail_stop, low * (1.0 + trailing_pct))
