"""Implied volatility: no-arbitrage bound checks, then Brent's method on log-vol over the out-of-the-money leg.

Why the out-of-the-money leg: an in-the-money option's price is mostly discounted intrinsic value; its time
value (price − lower bound) equals, by put-call parity, the price of the out-of-the-money option of the
other type. Solving on that small number keeps full precision deep in and out of the money, and solving
log(price) against log-vol keeps the function well scaled from a 1-day expiry to 1,000 days.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from engine.errors import DataError
from engine.options.bsm import _Inputs, _inputs, _price, parse_kind, price_bounds

VOL_LOW, VOL_HIGH = 1e-6, 10.0  # search bracket: 0.0001 % to 1,000 % a year
_TINY = 1e-300  # floor before taking logs: a price that underflowed to zero


def _money(value: float) -> str:
    return f"{value:,.6g}"


def _check_bounds(price: float, lower: float, upper: float, is_call: bool) -> float:
    """Time value (price − lower bound) after checking lower ≤ price < upper; raises DataError otherwise."""
    what = "call" if is_call else "put"
    slack = 64 * np.finfo(float).eps * max(price, lower)  # rounding, not arbitrage
    if price < lower - slack:
        raise DataError(
            f"{what} price {_money(price)} is below its discounted intrinsic value {_money(lower)}: no volatility "
            "gives it; check the price, spot, strike, days, rate and dividend yield")
    if price >= upper - slack:
        bound = "S·e^(−qT)" if is_call else "K·e^(−rT)"
        raise DataError(
            f"{what} price {_money(price)} is at or above its upper bound {_money(upper)} ({bound}): no finite "
            "volatility gives it; check the price and the inputs")
    time_value = price - lower
    if time_value <= slack:
        raise DataError(
            f"{what} price {_money(price)} equals its discounted intrinsic value {_money(lower)}: it has no time "
            "value, so the implied volatility is undefined")
    return time_value


def _otm(x: _Inputs) -> _Inputs:
    """The same contract terms as the out-of-the-money type (call when the forward is at or below the strike)."""
    is_call = x.s * x.df_q <= x.k * x.df_r
    return _Inputs(x.s, x.k, x.t, x.r, x.q, np.asarray(is_call), x.vol)


def _solve_otm(x: _Inputs, target: float) -> float:
    log_target = math.log(target)

    def gap(log_vol: float) -> float:
        priced = _price(_Inputs(x.s, x.k, x.t, x.r, x.q, x.is_call, np.asarray(math.exp(log_vol))))
        return math.log(max(float(priced), _TINY)) - log_target

    lo, hi = math.log(VOL_LOW), math.log(VOL_HIGH)
    if gap(hi) < 0:
        raise DataError(f"the price implies a volatility above {VOL_HIGH:.0%} a year; check the price and the inputs")
    if gap(lo) > 0:
        raise DataError(f"the price implies a volatility below {VOL_LOW:.4%} a year; check the price and the inputs")
    return math.exp(brentq(gap, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=300))


def implied_vol(price: float, spot: float, strike: float, years: float, rate: float, div: float = 0.0,
                kind: str = "call") -> float:
    """Black-Scholes-Merton implied volatility (annualised decimal) of one European option price.

    Same units as bsm_price. Raises DataError for invalid inputs, for a price outside the no-arbitrage
    bounds (below discounted intrinsic value, at or above S·e^(−qT) for a call / K·e^(−rT) for a put), for a
    price with no time value, and for a volatility outside 0.0001 %–1,000 %.
    """
    value = float(np.asarray(price, dtype=float)) if np.ndim(price) == 0 else math.nan
    if not math.isfinite(value) or value < 0:
        raise DataError(f"option price must be a finite number ≥ 0 (got {price!r})")
    x = _inputs(spot, strike, years, rate, div, kind)
    if x.s.ndim:
        raise DataError("implied_vol takes one option; use implied_vols for arrays")
    lower, upper = price_bounds(spot, strike, years, rate, div, kind)
    time_value = _check_bounds(value, float(lower), float(upper), bool(x.is_call))
    return _solve_otm(_otm(x), time_value)


def implied_vols(prices: ArrayLike, spot: ArrayLike, strike: ArrayLike, years: ArrayLike, rate: ArrayLike,
                 div: ArrayLike = 0.0, kind: str | ArrayLike = "call") -> NDArray[np.float64]:
    """implied_vol over broadcast arrays, NaN where the price has no implied volatility (e.g. a chain's stale quote)."""
    p, s, k, t, r, q = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (prices, spot, strike, years,
                                                                                  rate, div)))
    kinds = np.broadcast_to(parse_kind(kind), p.shape)
    out = np.full(p.shape, np.nan)
    for i in np.ndindex(p.shape):
        try:
            out[i] = implied_vol(p[i], s[i], k[i], t[i], r[i], q[i], "call" if kinds[i] else "put")
        except DataError:
            pass
    return out
