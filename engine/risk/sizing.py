"""Position sizing: how many shares (whole lots) to buy or sell short for one trade, and what is at risk.

Every method returns a `SizeResult`; the plain methods (fixed quantity, fixed amount, % of equity,
% risk to stop) go through `engine.execution.size_order`, the same code the backtester sizes with.
Amounts are in the instrument's currency; percentages are percent (2 = 2 %); volatilities and Kelly
inputs are decimals (0.2 = 20 %). A position never costs more than `capital × max_leverage` (1 = a cash
account): a larger size is cut down and the note says so.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import asdict, dataclass
from typing import Any

from engine.errors import ParameterError
from engine.execution import round_to_lot, size_order

SIZING_METHODS = ("fixed_qty", "fixed_amount", "pct_equity", "risk_pct", "kelly", "atr", "vol_target")
METHOD_LABELS = {
    "risk_pct": "Risk % of capital to the stop",
    "fixed_qty": "Fixed quantity",
    "fixed_amount": "Fixed amount",
    "pct_equity": "% of capital",
    "kelly": "Kelly fraction (capped)",
    "atr": "Risk % per ATR multiple",
    "vol_target": "Volatility target",
}


@dataclass(frozen=True)
class SizeResult:
    """A sized position: `qty` shares (whole lots, >= 0) worth `amount` at the entry price.

    `risk_amount` is what is lost if the stop is hit (qty × |entry − stop|; for "atr" the stop is
    entry ∓ atr × atr_mult), None when no stop is known. `note` explains caps and zero sizes.
    """

    qty: float
    amount: float
    risk_amount: float | None
    method: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(name: str, value: float | None, *, required: bool = True) -> float | None:
    if value is None:
        if required:
            raise ParameterError(f"{name} is required for this sizing method")
        return None
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(out):
        raise ParameterError(f"{name} must be a finite number, got {value!r}")
    return out


def _positive(name: str, value: float | None, hint: str = "") -> float:
    out = _number(name, value)
    if not out > 0:  # type: ignore[operator]
        raise ParameterError(f"{name} must be above zero{hint}, got {value!r}")
    return out  # type: ignore[return-value]


def _percent(name: str, value: float | None) -> float:
    out = _number(name, value)
    if not 0 < out <= 100:  # type: ignore[operator]
        raise ParameterError(f"{name} must be a percentage in (0, 100] (2 = 2 %), got {value!r}")
    return out  # type: ignore[return-value]


def _check_method(method: str) -> str:
    if method in SIZING_METHODS:
        return method
    close = difflib.get_close_matches(str(method), SIZING_METHODS, n=1)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    raise ParameterError(f"unknown sizing method {method!r}{hint} Use one of {', '.join(SIZING_METHODS)}.")


def _check_stop(stop: float | None, price: float, side: str) -> float | None:
    """The stop as a float (None if not set); raises ParameterError if it sits on the wrong side of entry."""
    level = _number("stop", stop, required=False)
    if level is None:
        return None
    if side == "long" and not level < price:
        raise ParameterError(f"the stop ({level:g}) must be below the entry ({price:g}) for a long position")
    if side == "short" and not level > price:
        raise ParameterError(f"the stop ({level:g}) must be above the entry ({price:g}) for a short position")
    if level < 0:
        raise ParameterError(f"the stop must not be negative, got {level:g}")
    return level


def kelly_fraction(win_rate: float, payoff: float) -> float:
    """Full Kelly fraction of capital, W − (1 − W) / R, for win rate W (decimal) and payoff R = avg win / avg loss.

    Negative when the edge is negative. Raises ParameterError for W outside [0, 1] or R <= 0.
    """
    w = _number("win_rate", win_rate)
    if not 0 <= w <= 1:  # type: ignore[operator]
        raise ParameterError(f"win_rate must be a decimal in [0, 1] (0.55 = 55 % winners), got {win_rate!r}")
    r = _positive("payoff", payoff, " (average win / average loss, e.g. 1.5)")
    return w - (1.0 - w) / r  # type: ignore[operator]


def position_size(
    method: str, *, capital: float, price: float, stop: float | None = None, risk_pct: float | None = None,
    amount: float | None = None, qty: float | None = None, equity_pct: float | None = None,
    win_rate: float | None = None, payoff: float | None = None, kelly_cap: float = 0.25,
    atr: float | None = None, atr_mult: float = 2.0, target_vol: float | None = None,
    realised_vol: float | None = None, lot_size: int = 1, side: str = "long", max_leverage: float = 1.0,
) -> SizeResult:
    """Size one position with `method` (one of SIZING_METHODS); all keyword inputs, see the module docstring.

    - fixed_qty: `qty` shares; fixed_amount: `amount` currency; pct_equity: `equity_pct` % of `capital`;
    - risk_pct: lose `risk_pct` % of `capital` if `stop` is hit (budget / |entry − stop| shares);
    - kelly: `capital` × min(Kelly(win_rate, payoff), kelly_cap) worth of shares (0 with no edge);
    - atr: lose `risk_pct` % of `capital` over a move of `atr_mult` × `atr` (price units);
    - vol_target: `capital` × target_vol / realised_vol worth (both annualised decimals).
    `side` is "long" or "short"; quantities are rounded down to whole `lot_size` lots.
    Raises ParameterError with the fix for an unknown method, a missing or out-of-range input, or a stop
    on the wrong side of the entry.
    """
    _check_method(method)
    if side not in ("long", "short"):
        raise ParameterError(f"side must be 'long' or 'short', got {side!r}")
    capital = _positive("capital", capital)
    price = _positive("entry price", price)
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 1:
        raise ParameterError(f"lot size must be a whole number >= 1, got {lot_size!r}")
    leverage = _positive("max_leverage", max_leverage, " (1 = no borrowing)")
    stop_level = _check_stop(stop, price, side)
    raw_qty, risk_per_share, note = _raw_qty(method, capital=capital, price=price, stop=stop_level, risk_pct=risk_pct,
                                             amount=amount, qty=qty, equity_pct=equity_pct, win_rate=win_rate,
                                             payoff=payoff, kelly_cap=kelly_cap, atr=atr, atr_mult=atr_mult,
                                             target_vol=target_vol, realised_vol=realised_vol, lot_size=lot_size)
    limit = round_to_lot(capital * leverage / price, lot_size)
    if raw_qty > limit:
        raw_qty = limit
        note = _join(note, f"capped at {leverage:g}× capital ({limit:g} shares)")
    shares = round_to_lot(raw_qty, lot_size)
    if shares == 0 and not note:
        note = f"capital allows less than one lot of {lot_size} at this price"
    risk = None if risk_per_share is None else shares * risk_per_share
    return SizeResult(qty=shares, amount=shares * price, risk_amount=risk, method=method, note=note)


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second


def _raw_qty(method: str, *, capital: float, price: float, stop: float | None, lot_size: int,
             **inputs: Any) -> tuple[float, float | None, str]:
    """(quantity before the leverage cap, loss per share at the stop or None, note)."""
    per_share = None if stop is None else abs(price - stop)
    if method == "fixed_qty":
        n = _positive("qty", inputs["qty"], " (number of shares)")
        return size_order("fixed_qty", n, capital, price, lot_size=lot_size), per_share, ""
    if method == "fixed_amount":
        value = _positive("amount", inputs["amount"], " (currency to invest)")
        return size_order("fixed_amount", value, capital, price, lot_size=lot_size), per_share, ""
    if method == "pct_equity":
        pct = _percent("equity_pct", inputs["equity_pct"])
        return size_order("pct_equity", pct, capital, price, lot_size=lot_size), per_share, ""
    if method == "risk_pct":
        pct = _percent("risk_pct", inputs["risk_pct"])
        if stop is None:
            raise ParameterError("risk_pct sizing needs a stop price: the loss is measured from entry to stop")
        return size_order("risk_pct", pct, capital, price, stop=stop, lot_size=lot_size), per_share, ""
    if method == "kelly":
        return _kelly_qty(capital, price, inputs, per_share)
    if method == "atr":
        pct = _percent("risk_pct", inputs["risk_pct"])
        distance = _positive("atr", inputs["atr"], " (average true range in price units)") * \
            _positive("atr_mult", inputs["atr_mult"], " (e.g. 2 = stop two ATRs away)")
        return capital * pct / 100.0 / distance, distance, ""
    target = _positive("target_vol", inputs["target_vol"], " (annualised decimal, 0.15 = 15 %)")
    realised = _positive("realised_vol", inputs["realised_vol"], " (annualised decimal, 0.25 = 25 %)")
    return capital * target / realised / price, per_share, ""


def _kelly_qty(capital: float, price: float, inputs: dict[str, Any],
               per_share: float | None) -> tuple[float, float | None, str]:
    cap = _number("kelly_cap", inputs["kelly_cap"])
    if not 0 < cap <= 1:  # type: ignore[operator]
        raise ParameterError(f"kelly_cap must be a fraction in (0, 1] (0.25 = quarter of capital), got {cap!r}")
    full = kelly_fraction(_number("win_rate", inputs["win_rate"]), _number("payoff", inputs["payoff"]))  # type: ignore[arg-type]
    if full <= 0:
        return 0.0, per_share, f"no edge: Kelly fraction {full:.3f} ≤ 0, so no position"
    used = min(full, cap)  # type: ignore[type-var]
    note = f"Kelly {full:.3f}" + (f", capped at {cap:g}" if full > cap + 1e-12 else "")  # type: ignore[operator]
    return capital * used / price, per_share, note
