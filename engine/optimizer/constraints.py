"""Portfolio constraints (weight bounds, sector caps, L2 regularisation): feasibility checks and wiring into pypfopt."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pypfopt import objective_functions
from scipy.optimize import linprog

from engine.errors import OptimizationError

_EPS = 1e-9


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Constraints:
    """Long-only weight limits per asset (decimal), caps on the summed weight of a sector, L2 gamma.

    `sector_map` maps symbol → sector (from the instruments table); symbols without a sector, or in
    a sector without a cap, are limited only by the weight bounds. `l2_gamma` > 0 adds
    gamma·‖w‖² to the objective, pulling weights towards equal (more assets held).
    """

    min_weight: float = 0.0
    max_weight: float = 1.0
    sector_map: Mapping[str, str] = field(default_factory=dict)
    sector_caps: Mapping[str, float] = field(default_factory=dict)
    l2_gamma: float = 0.0

    @property
    def is_default(self) -> bool:
        """True when nothing beyond long-only, fully invested is asked for."""
        return (self.min_weight == 0.0 and self.max_weight == 1.0 and not self.active_caps()
                and self.l2_gamma == 0.0)

    def active_caps(self) -> dict[str, float]:
        """Sector caps that bind at all (a cap of 100% or more limits nothing)."""
        return {s: float(c) for s, c in self.sector_caps.items() if float(c) < 1.0}

    def describe(self) -> str:
        parts = [f"weights {_pct(self.min_weight)}–{_pct(self.max_weight)}"]
        caps = self.active_caps()
        if caps:
            parts.append("sector caps " + ", ".join(f"{s} ≤ {_pct(c)}" for s, c in caps.items()))
        if self.l2_gamma > 0:
            parts.append(f"L2 gamma {self.l2_gamma:g}")
        return "; ".join(parts)


def check_feasible(constraints: Constraints, tickers: Sequence[str]) -> None:
    """Raise OptimizationError naming the constraint when no fully invested long-only portfolio fits.

    The checks are exact for box bounds with sector caps (sectors partition the assets).
    """
    lo, hi, n = float(constraints.min_weight), float(constraints.max_weight), len(tickers)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise OptimizationError("weight bounds must be numbers between 0 and 1")
    if lo < 0:
        raise OptimizationError(f"min weight {_pct(lo)} is negative; short positions are not supported, use 0 or more")
    if hi > 1 or hi <= 0:
        raise OptimizationError(f"max weight {_pct(hi)} must be above 0% and at most 100%")
    if lo > hi:
        raise OptimizationError(f"min weight {_pct(lo)} is above max weight {_pct(hi)}; lower the min or raise the max")
    if n * hi < 1 - _EPS:
        raise OptimizationError(
            f"max weight {_pct(hi)} × {n} assets = {_pct(n * hi)} < 100%, so the portfolio cannot be fully "
            f"invested: raise the max weight to at least {_pct(math.ceil(1000 / n) / 1000)} or add assets")
    if n * lo > 1 + _EPS:
        raise OptimizationError(
            f"min weight {_pct(lo)} × {n} assets = {_pct(n * lo)} > 100%: lower the min weight to at most "
            f"{_pct(math.floor(1000 / n) / 1000)} or remove assets")
    if constraints.l2_gamma < 0 or not math.isfinite(constraints.l2_gamma):
        raise OptimizationError(f"L2 gamma must be 0 or more, got {constraints.l2_gamma!r}")
    _check_sectors(constraints, tickers)


def _check_sectors(constraints: Constraints, tickers: Sequence[str]) -> None:
    lo, hi = constraints.min_weight, constraints.max_weight
    caps = constraints.active_caps()
    for sector, cap in caps.items():
        if not 0 <= cap:
            raise OptimizationError(f"sector cap for {sector} is {_pct(cap)}; caps are between 0% and 100%")
    counts = pd.Series([constraints.sector_map.get(t, "") for t in tickers]).value_counts()
    reachable = 0.0
    for sector, count in counts.items():
        top = count * hi
        if sector in caps:
            if count * lo > caps[sector] + _EPS:
                raise OptimizationError(
                    f"sector {sector} is capped at {_pct(caps[sector])} but its {count} assets at the min weight "
                    f"{_pct(lo)} already need {_pct(count * lo)}: raise the cap or lower the min weight")
            top = min(top, caps[sector])
        reachable += top
    if reachable < 1 - _EPS:
        capped = ", ".join(f"{s} ≤ {_pct(c)}" for s, c in caps.items() if s in counts.index)
        raise OptimizationError(
            f"the sector caps ({capped}) with max weight {_pct(hi)} leave at most {_pct(reachable)} investable, "
            "below 100%: raise a sector cap or the max weight, or add assets from other sectors")


def apply_constraints(optimiser: object, constraints: Constraints, *, l2: bool = True) -> None:
    """Add sector caps (and the L2 term when `l2`) to a pypfopt EfficientFrontier built with the bounds."""
    caps = constraints.active_caps()
    if caps:
        optimiser.add_sector_constraints(dict(constraints.sector_map), {}, caps)  # type: ignore[attr-defined]
    if l2 and constraints.l2_gamma > 0:
        optimiser.add_objective(objective_functions.L2_reg, gamma=float(constraints.l2_gamma))  # type: ignore[attr-defined]


def bounds(constraints: Constraints) -> tuple[float, float]:
    return float(constraints.min_weight), float(constraints.max_weight)


def max_return(mu: pd.Series, constraints: Constraints) -> tuple[float, pd.Series]:
    """Highest expected return (and its weights) of a fully invested portfolio within the constraints (LP)."""
    tickers = list(mu.index)
    n = len(tickers)
    if not constraints.active_caps():
        return _max_return_box(mu, constraints)
    a_ub, b_ub = [], []
    for sector, cap in constraints.active_caps().items():
        row = np.array([1.0 if constraints.sector_map.get(t) == sector else 0.0 for t in tickers])
        if row.any():
            a_ub.append(row)
            b_ub.append(cap)
    result = linprog(-mu.to_numpy(dtype=float), A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                     A_eq=np.ones((1, n)), b_eq=[1.0], bounds=[bounds(constraints)] * n, method="highs")
    if not result.success:
        raise OptimizationError(f"no fully invested portfolio fits the constraints ({constraints.describe()})")
    return float(-result.fun), pd.Series(result.x, index=tickers)


def _max_return_box(mu: pd.Series, constraints: Constraints) -> tuple[float, pd.Series]:
    """Box bounds only: every asset at the min weight, the rest poured into the best returns up to the max."""
    lo, hi = bounds(constraints)
    weights = pd.Series(lo, index=mu.index, dtype=float)
    left = 1.0 - lo * len(mu)
    for symbol in mu.sort_values(ascending=False, kind="stable").index:
        add = min(hi - lo, max(left, 0.0))
        weights[symbol] += add
        left -= add
    return float(weights @ mu), weights
