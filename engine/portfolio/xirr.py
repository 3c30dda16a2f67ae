"""XIRR: the annual rate that sets the NPV of dated cash flows to zero (ACT/365, as Excel's XIRR)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
from scipy.optimize import brentq

from engine.errors import DataError

DAYS_PER_YEAR = 365.0
_LOWEST = -0.999999999  # a rate of -100 % makes later flows infinite
_HIGHEST = 1e9


def npv(rate: float, flows: Sequence[tuple[date, float]]) -> float:
    """Σ amount / (1 + rate) ** (days since the first flow / 365)."""
    first = min(d for d, _ in flows)
    years = np.array([(d - first).days / DAYS_PER_YEAR for d, _ in flows])
    amounts = np.array([a for _, a in flows], dtype=float)
    return float(np.sum(amounts / np.power(1.0 + rate, years)))


def xirr(flows: Sequence[tuple[date, float]]) -> float:
    """Annualised internal rate of return (decimal, 0.37 = 37 %) of (date, amount) cash flows.

    Money paid in is negative, money received positive (for a portfolio the current value is the
    last, positive flow). Solved with Brent's method on the NPV (ACT/365 from the first date).
    Returns NaN when no rate in (−100 %, 10^9) sets the NPV to zero (e.g. all flows on one day).
    Raises DataError unless there is at least one negative and one positive flow.
    """
    flows = [(d, float(a)) for d, a in flows if a and math.isfinite(float(a))]
    if not any(a < 0 for _, a in flows) or not any(a > 0 for _, a in flows):
        raise DataError("XIRR needs at least one payment (negative) and one receipt (positive) cash flow")
    if len({d for d, _ in flows}) < 2:
        return math.nan
    f = lambda r: npv(r, flows)  # noqa: E731
    # Scan upwards from the guess 10 % for a sign change next to it, then downwards: the root
    # closest to ordinary returns wins when the NPV has several.
    grid = [0.1, 0.5, 1.0, 3.0, 10.0, 100.0, 1e4, 1e6, _HIGHEST]
    low_grid = [0.1, 0.0, -0.3, -0.6, -0.9, -0.99, -0.9999, -0.999999, _LOWEST]
    for points in (grid, low_grid):
        values = [f(r) for r in points]
        for (a, fa), (b, fb) in zip(zip(points, values), zip(points[1:], values[1:])):
            if fa == 0:
                return a
            if math.isfinite(fa) and math.isfinite(fb) and fa * fb < 0:
                lo, hi = min(a, b), max(a, b)
                return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=500))
    return math.nan
