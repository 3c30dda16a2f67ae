"""Black-Scholes-Merton prices, Greeks, no-arbitrage bounds and put-call parity (continuous dividend yield)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from engine.errors import DataError

DAYS_PER_YEAR = 365.0  # calendar days; theta per day = theta per year / 365 (py_vollib's convention)
KINDS = {"call": True, "c": True, "put": False, "p": False}

Number = float | NDArray[np.float64]


def years_from_days(days: ArrayLike) -> Number:
    """Time to expiry in years from calendar days (days / 365); raises DataError unless days > 0."""
    d = _positive("days to expiry", days)
    return _out(d / DAYS_PER_YEAR)


def parse_kind(kind: str | ArrayLike) -> NDArray[np.bool_]:
    """True for a call, False for a put ("call"/"put", also "c"/"p", any case); raises DataError otherwise."""
    arr = np.asarray(kind, dtype=object)
    flat = [str(k).strip().lower() for k in arr.ravel()]
    bad = [k for k in flat if k not in KINDS]
    if bad:
        raise DataError(f"option type must be 'call' or 'put' (got {bad[0]!r})")
    return np.array([KINDS[k] for k in flat], dtype=bool).reshape(arr.shape)


def _out(x: NDArray[np.float64]) -> Number:
    """A float for scalar inputs, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


def _finite(name: str, value: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a number (got {value!r})") from None
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} must be a finite number (got {arr.ravel()[~np.isfinite(arr.ravel())][0]})")
    return arr


def _positive(name: str, value: ArrayLike) -> NDArray[np.float64]:
    arr = _finite(name, value)
    if np.any(arr <= 0):
        raise DataError(f"{name} must be greater than 0 (got {arr.ravel()[arr.ravel() <= 0][0]:g})")
    return arr


@dataclass(frozen=True)
class _Inputs:
    """Validated, broadcast inputs and the pieces every formula shares."""

    s: NDArray[np.float64]
    k: NDArray[np.float64]
    t: NDArray[np.float64]
    r: NDArray[np.float64]
    q: NDArray[np.float64]
    is_call: NDArray[np.bool_]
    vol: NDArray[np.float64]

    @property
    def df_r(self) -> NDArray[np.float64]:
        return np.exp(-self.r * self.t)

    @property
    def df_q(self) -> NDArray[np.float64]:
        return np.exp(-self.q * self.t)


def _inputs(spot: ArrayLike, strike: ArrayLike, years: ArrayLike, rate: ArrayLike, div: ArrayLike,
            kind: str | ArrayLike, vol: ArrayLike = 1.0) -> _Inputs:
    s, k = _positive("spot", spot), _positive("strike", strike)
    t = _positive("time to expiry (years)", years)
    r, q = _finite("rate", rate), _finite("dividend yield", div)
    sigma = _positive("volatility", vol)
    is_call = parse_kind(kind)
    try:
        return _Inputs(*np.broadcast_arrays(s, k, t, r, q, is_call, sigma))
    except ValueError:
        raise DataError("spot, strike, time, rate, vol, dividend and type arrays must have matching shapes") from None


def _d1_d2(x: _Inputs) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    sd = x.vol * np.sqrt(x.t)
    d1 = (np.log(x.s / x.k) + (x.r - x.q + 0.5 * x.vol * x.vol) * x.t) / sd
    return d1, d1 - sd


def _price(x: _Inputs) -> NDArray[np.float64]:
    d1, d2 = _d1_d2(x)
    call = x.s * x.df_q * ndtr(d1) - x.k * x.df_r * ndtr(d2)
    put = x.k * x.df_r * ndtr(-d2) - x.s * x.df_q * ndtr(-d1)
    return np.where(x.is_call, call, put)


def bsm_price(spot: ArrayLike, strike: ArrayLike, years: ArrayLike, rate: ArrayLike, vol: ArrayLike,
              div: ArrayLike = 0.0, kind: str | ArrayLike = "call") -> Number:
    """Black-Scholes-Merton price of a European call or put.

    Units: years to expiry, rate, vol and dividend yield as annualised decimals (0.07 = 7 %), continuous
    compounding. Array inputs broadcast. Raises DataError for spot, strike, years or vol ≤ 0, non-finite
    values or an unknown type.
    """
    return _out(_price(_inputs(spot, strike, years, rate, div, kind, vol)))


@dataclass(frozen=True)
class Greeks:
    """Price and Greeks of one option (or arrays of them).

    theta is per year and theta_per_day = theta / 365; vega and rho are per 1.0 (100 %) change in vol or
    rate, vega_pct and rho_pct per 1 percentage point (÷ 100). py_vollib reports theta per day, vega and
    rho per 1 %: its theta = theta_per_day, vega = vega_pct, rho = rho_pct.
    """

    price: Number
    delta: Number
    gamma: Number
    theta: Number
    theta_per_day: Number
    vega: Number
    vega_pct: Number
    rho: Number
    rho_pct: Number

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in asdict(self).items()}


def bsm_greeks(spot: ArrayLike, strike: ArrayLike, years: ArrayLike, rate: ArrayLike, vol: ArrayLike,
               div: ArrayLike = 0.0, kind: str | ArrayLike = "call") -> Greeks:
    """Price, delta, gamma, theta, vega and rho (units as in `Greeks`); same inputs and errors as bsm_price."""
    x = _inputs(spot, strike, years, rate, div, kind, vol)
    sigma = x.vol
    d1, d2 = _d1_d2(x)
    pdf1 = np.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    sq, kr = x.s * x.df_q, x.k * x.df_r
    call = x.is_call
    delta = np.where(call, x.df_q * ndtr(d1), -x.df_q * ndtr(-d1))
    gamma = x.df_q * pdf1 / (x.s * sigma * np.sqrt(x.t))
    decay = -sq * pdf1 * sigma / (2 * np.sqrt(x.t))
    theta = np.where(call, decay + x.q * sq * ndtr(d1) - x.r * kr * ndtr(d2),
                     decay - x.q * sq * ndtr(-d1) + x.r * kr * ndtr(-d2))
    vega = sq * pdf1 * np.sqrt(x.t)
    rho = np.where(call, x.t * kr * ndtr(d2), -x.t * kr * ndtr(-d2))
    return Greeks(price=_out(_price(x)), delta=_out(delta), gamma=_out(gamma), theta=_out(theta),
                  theta_per_day=_out(theta / DAYS_PER_YEAR), vega=_out(vega), vega_pct=_out(vega / 100),
                  rho=_out(rho), rho_pct=_out(rho / 100))


def price_bounds(spot: ArrayLike, strike: ArrayLike, years: ArrayLike, rate: ArrayLike, div: ArrayLike = 0.0,
                 kind: str | ArrayLike = "call") -> tuple[Number, Number]:
    """No-arbitrage (lower, upper) bounds of a European option's price.

    Call: max(S·e^(−qT) − K·e^(−rT), 0) ≤ C ≤ S·e^(−qT); put: max(K·e^(−rT) − S·e^(−qT), 0) ≤ P ≤ K·e^(−rT).
    """
    x = _inputs(spot, strike, years, rate, div, kind)
    sq, kr = x.s * x.df_q, x.k * x.df_r
    lower = np.where(x.is_call, np.maximum(sq - kr, 0.0), np.maximum(kr - sq, 0.0))
    return _out(lower), _out(np.where(x.is_call, sq, kr))


def parity_gap(call: ArrayLike, put: ArrayLike, spot: ArrayLike, strike: ArrayLike, years: ArrayLike,
               rate: ArrayLike, div: ArrayLike = 0.0) -> Number:
    """C − P − (S·e^(−qT) − K·e^(−rT)): zero when a call and put of the same strike satisfy put-call parity."""
    x = _inputs(spot, strike, years, rate, div, "call")
    return _out(_finite("call price", call) - _finite("put price", put) - (x.s * x.df_q - x.k * x.df_r))


def parity_price(price: ArrayLike, spot: ArrayLike, strike: ArrayLike, years: ArrayLike, rate: ArrayLike,
                 div: ArrayLike = 0.0, kind: str | ArrayLike = "call") -> Number:
    """The other leg by put-call parity: the put price from a call price (kind="call"), or the call from a put."""
    x = _inputs(spot, strike, years, rate, div, kind)
    forward_value = x.s * x.df_q - x.k * x.df_r
    p = _finite("option price", price)
    return _out(np.where(x.is_call, p - forward_value, p + forward_value))
