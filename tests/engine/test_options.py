"""Options pricing: Black-Scholes-Merton price and Greeks against py_vollib and Hull, implied-vol round trips.

Mapping to py_vollib (black_scholes_merton.greeks.analytical): its theta is per calendar day (our
theta_per_day = theta / 365), its vega is per 1 % of vol (our vega_pct = vega / 100) and its rho is per
1 % of rate (our rho_pct = rho / 100); delta and gamma are the same quantities.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from engine.errors import DataError
from engine.options import (
    bsm_greeks,
    bsm_price,
    implied_vol,
    implied_vols,
    parity_gap,
    parity_price,
    price_bounds,
    years_from_days,
)

with warnings.catch_warnings():  # py_vollib announces on import that it is a shim over vollib
    warnings.simplefilter("ignore", DeprecationWarning)
    from py_vollib.black_scholes_merton import black_scholes_merton as pv_price
    from py_vollib.black_scholes_merton.greeks import analytical as pv
    from py_vollib.black_scholes_merton.implied_volatility import implied_volatility as pv_iv

GRID = list(itertools.product(
    [60.0, 95.0, 100.0, 130.0],  # spot (strike 100)
    [1 / 365, 30 / 365, 0.5, 2.0],  # years
    [0.0, 0.07, -0.01],  # rate
    [0.05, 0.2, 0.8],  # vol
    [0.0, 0.03],  # dividend yield
    ["call", "put"],
))


def test_price_and_greeks_match_py_vollib():
    # one test over the grid (576 cases): per-test setup would cost more than the maths
    def close(ours: float, ref: float) -> bool:
        return math.isclose(ours, ref, rel_tol=1e-8, abs_tol=1e-10)

    for spot, years, rate, vol, div, kind in GRID:
        case = (spot, years, rate, vol, div, kind)
        args = (kind[0], spot, 100.0, years, rate, vol, div)
        g = bsm_greeks(spot, 100.0, years, rate, vol, div, kind)
        assert close(g.price, pv_price(*args)), case
        assert close(g.price, bsm_price(spot, 100.0, years, rate, vol, div, kind)), case
        assert close(g.delta, pv.delta(*args)), case
        assert close(g.gamma, pv.gamma(*args)), case
        assert close(g.theta_per_day, pv.theta(*args)) and close(g.theta, pv.theta(*args) * 365), case
        assert close(g.vega_pct, pv.vega(*args)) and close(g.vega, pv.vega(*args) * 100), case
        assert close(g.rho_pct, pv.rho(*args)) and close(g.rho, pv.rho(*args) * 100), case


def test_hull_textbook_cases():
    # Hull, Options, Futures and Other Derivatives: S=42, K=40, r=10 %, σ=20 %, T=0.5 → c = 4.76, p = 0.81
    assert round(bsm_price(42, 40, 0.5, 0.10, 0.20, kind="call"), 2) == 4.76
    assert round(bsm_price(42, 40, 0.5, 0.10, 0.20, kind="put"), 2) == 0.81
    # Hull ch. 19 (Greeks): S=49, K=50, r=5 %, σ=20 %, T=20 weeks (0.3846) call
    g = bsm_greeks(49, 50, 0.3846, 0.05, 0.20, kind="call")
    assert (round(g.delta, 3), round(g.gamma, 3), round(g.theta, 2)) == (0.522, 0.066, -4.31)
    assert (round(g.vega, 1), round(g.rho, 2)) == (12.1, 8.91)


def test_greeks_are_the_derivatives_of_the_price():
    s, k, t, r, v, q, h = 103.0, 100.0, 0.4, 0.05, 0.3, 0.02, 1e-4
    for kind in ("call", "put"):
        g = bsm_greeks(s, k, t, r, v, q, kind)

        def p(kind: str = kind, **kw: float) -> float:
            return bsm_price(**{"spot": s, "strike": k, "years": t, "rate": r, "vol": v, "div": q, "kind": kind,
                                **kw})

        assert g.delta == pytest.approx((p(spot=s + h) - p(spot=s - h)) / (2 * h), rel=1e-6)
        assert g.gamma == pytest.approx((p(spot=s + h) - 2 * p() + p(spot=s - h)) / h**2, rel=1e-4)
        assert g.theta == pytest.approx(-(p(years=t + h) - p(years=t - h)) / (2 * h), rel=1e-6)
        assert g.vega == pytest.approx((p(vol=v + h) - p(vol=v - h)) / (2 * h), rel=1e-6)
        assert g.rho == pytest.approx((p(rate=r + h) - p(rate=r - h)) / (2 * h), rel=1e-6)


def test_vectorised_inputs_match_scalar_calls():
    spots = np.array([80.0, 100.0, 120.0])
    vols = np.array([0.1, 0.25, 0.6])
    kinds = np.array(["call", "put", "c"])
    g = bsm_greeks(spots, 100.0, 0.25, 0.05, vols, 0.01, kinds)
    for i in range(3):
        one = bsm_greeks(spots[i], 100.0, 0.25, 0.05, vols[i], 0.01, kinds[i])
        for name, value in one.as_dict().items():
            assert getattr(g, name)[i] == pytest.approx(value, rel=1e-12, abs=1e-14), name
    assert isinstance(bsm_price(100, 100, 1, 0.05, 0.2), float)


def test_put_call_parity_and_days():
    assert years_from_days(30) == pytest.approx(30 / 365)
    c = bsm_price(100, 95, 0.75, 0.06, 0.3, 0.02, "call")
    p = bsm_price(100, 95, 0.75, 0.06, 0.3, 0.02, "put")
    assert abs(parity_gap(c, p, 100, 95, 0.75, 0.06, 0.02)) < 1e-12
    assert parity_price(c, 100, 95, 0.75, 0.06, 0.02, "call") == pytest.approx(p, abs=1e-12)
    assert parity_price(p, 100, 95, 0.75, 0.06, 0.02, "put") == pytest.approx(c, abs=1e-12)
    assert parity_gap(c + 0.5, p, 100, 95, 0.75, 0.06, 0.02) == pytest.approx(0.5)
    lower, upper = price_bounds(100, 95, 0.75, 0.06, 0.02, "call")
    assert lower == pytest.approx(100 * math.exp(-0.015) - 95 * math.exp(-0.045)) and upper == pytest.approx(
        100 * math.exp(-0.015))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"spot": 0}, "spot must be greater than 0"),
    ({"strike": -5}, "strike must be greater than 0 (got -5)"),
    ({"years": 0}, "time to expiry (years) must be greater than 0"),
    ({"vol": 0}, "volatility must be greater than 0"),
    ({"rate": float("nan")}, "rate must be a finite number"),
    ({"kind": "straddle"}, "option type must be 'call' or 'put' (got 'straddle')"),
    ({"spot": "abc"}, "spot must be a number"),
])
def test_bad_inputs_give_a_clear_error(kwargs, message):
    args = {"spot": 100.0, "strike": 100.0, "years": 0.5, "rate": 0.05, "vol": 0.2, "div": 0.0, "kind": "call",
            **kwargs}
    with pytest.raises(DataError) as info:
        bsm_greeks(**args)
    assert message in str(info.value)
    with pytest.raises(DataError, match="days to expiry must be greater than 0"):
        years_from_days(-1)


# ---- implied volatility ---------------------------------------------------------------------------

IV_GRID = list(itertools.product(
    [0.01, 0.05, 0.2, 0.5, 1.0, 2.0, 5.0],  # vol, 1 % to 500 %
    [1, 7, 30, 365, 1000],  # days
    [0.3, 0.5, 0.8, 0.95, 1.0, 1.05, 1.25, 2.0, 3.0],  # moneyness S/K
    ["call", "put"],
    [0.0, 0.03],  # dividend yield
))


def _case(vol: float, days: int, m: float, kind: str, div: float) -> tuple[float, tuple]:
    args = (100.0 * m, 100.0, days / 365, 0.05)
    return bsm_price(*args, vol, div, kind), args


def _identifiable(price: float, args: tuple, div: float, kind: str) -> bool:
    """Whether the price still carries its time value in double precision (else every low vol fits it)."""
    lower, _ = price_bounds(*args, div, kind)
    return price - lower > 1e-9 * price and price > 1e-250


def test_iv_round_trip_over_the_whole_grid():
    solved = undefined = 0
    for vol, days, m, kind, div in IV_GRID:
        price, args = _case(vol, days, m, kind, div)
        if _identifiable(price, args, div, kind):
            assert implied_vol(price, *args, div, kind) == pytest.approx(vol, rel=1e-6), (vol, days, m, kind, div)
            solved += 1
            continue
        # the price equals its bound to the last bit: a clear error, or a vol that reprices it exactly
        try:
            found = implied_vol(price, *args, div, kind)
        except DataError as exc:
            assert "no time value" in str(exc)
            undefined += 1
        else:
            assert bsm_price(*args, found, div, kind) == pytest.approx(price, rel=1e-9, abs=1e-250)
    assert solved > 900 and undefined > 0


@pytest.mark.parametrize(("vol", "days", "m", "kind"), [
    (0.2, 1, 1.0, "call"), (0.2, 1, 1.02, "put"), (0.05, 1, 1.0, "put"),  # 1-day expiry
    (0.5, 30, 2.0, "call"), (0.3, 30, 1.5, "call"), (0.6, 30, 0.5, "put"),  # deep in the money
    (0.3, 30, 0.6, "call"), (0.25, 60, 1.6, "put"),  # deep out of the money
    (5.0, 1000, 0.3, "call"), (0.01, 1000, 1.0, "call"),  # extremes of vol
])
def test_iv_deep_itm_otm_and_near_expiry(vol, days, m, kind):
    price, args = _case(vol, days, m, kind, 0.02)
    assert implied_vol(price, *args, 0.02, kind) == pytest.approx(vol, rel=1e-7)


def test_iv_matches_py_vollib():
    checked = 0
    for vol, days, m, kind, div in IV_GRID[::7]:
        price, args = _case(vol, days, m, kind, div)
        if not _identifiable(price, args, div, kind):
            continue
        ours = implied_vol(price, *args, div, kind)
        ref = pv_iv(price, *args, div, kind[0])
        assert ours == pytest.approx(ref, rel=1e-6), (vol, days, m, kind, div)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize(("price", "kind", "message"), [
    (1.0, "call", "below its discounted intrinsic value"),  # call worth ≥ 120 − 100·e^(−0.05·0.5)
    (121.0, "call", "at or above its upper bound 120"),  # a call can never be worth more than the share
    (98.0, "put", "at or above its upper bound"),  # put ≤ K·e^(−rT) = 97.53
    (-1.0, "put", "option price must be a finite number ≥ 0"),
    (float("nan"), "put", "option price must be a finite number ≥ 0"),
])
def test_iv_rejects_prices_outside_the_no_arbitrage_bounds(price, kind, message):
    with pytest.raises(DataError) as info:
        implied_vol(price, 120.0, 100.0, 0.5, 0.05, 0.0, kind)
    assert message in str(info.value)


def test_iv_of_a_price_equal_to_intrinsic_is_undefined_and_arrays_give_nan():
    lower, _ = price_bounds(120.0, 100.0, 0.5, 0.05, 0.0, "call")
    with pytest.raises(DataError, match="no time value"):
        implied_vol(lower, 120.0, 100.0, 0.5, 0.05, 0.0, "call")
    good = bsm_price(120.0, 100.0, 0.5, 0.05, 0.35, 0.0, "call")
    vols = implied_vols([good, lower, 500.0], 120.0, 100.0, 0.5, 0.05, 0.0, "call")
    assert vols[0] == pytest.approx(0.35, rel=1e-8) and np.isnan(vols[1:]).all()
