"""Efficient frontier points: target returns swept from the minimum-volatility portfolio to the maximum return."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import OptimizationError
from engine.optimizer.constraints import Constraints, check_feasible, max_return
from engine.optimizer.inputs import annualised_volatility
from engine.optimizer.solve import solve_frontier

DEFAULT_POINTS = 25


@dataclass(frozen=True)
class PortfolioPoint:
    """A portfolio on the risk/return plane (annual decimals)."""

    volatility: float
    expected_return: float
    sharpe: float


@dataclass(frozen=True)
class Frontier:
    """The frontier curve (volatility, expected_return, sharpe per row, by rising return), its two
    landmark portfolios, and each asset on its own. Built without the L2 term: it is the pure
    mean-variance frontier under the same bounds and sector caps."""

    curve: pd.DataFrame
    min_volatility: PortfolioPoint
    max_sharpe: PortfolioPoint | None
    assets: pd.DataFrame
    failed_points: int = 0


def _point(weights: np.ndarray, mu: pd.Series, cov: pd.DataFrame, rf: float) -> PortfolioPoint:
    vol = float(np.sqrt(weights @ cov.to_numpy() @ weights))
    ret = float(weights @ mu.to_numpy())
    return PortfolioPoint(vol, ret, (ret - rf) / vol if vol > 0 else float("nan"))


def efficient_frontier(
    mu: pd.Series, cov: pd.DataFrame, constraints: Constraints | None = None, *, n_points: int = DEFAULT_POINTS,
    risk_free_rate: float = 0.0, solver: str = "CLARABEL",
) -> Frontier:
    """Sweep `n_points` target returns between the min-volatility portfolio's return and the maximum
    reachable return, solving efficient_return on a fresh EfficientFrontier for each.

    Raises OptimizationError when the constraints are infeasible; single points that fail to solve
    are skipped and counted in `failed_points`.
    """
    constraints = constraints or Constraints(sector_map={})
    plain = Constraints(constraints.min_weight, constraints.max_weight, constraints.sector_map,
                        constraints.sector_caps, 0.0)
    mu = mu.reindex(cov.columns)
    check_feasible(plain, list(cov.columns))
    if n_points < 2:
        raise OptimizationError("the frontier needs at least 2 points")
    ef, _, _ = solve_frontier(mu, cov, plain, lambda e: e.min_volatility(), label="Minimum volatility",
                              solver=solver, l2=False)
    low = _point(np.asarray(ef.weights, dtype=float), mu, cov, risk_free_rate)
    top, _ = max_return(mu, plain)
    rows, failed = [low], 0
    if top - low.expected_return > 1e-9:
        # stop a hair below the maximum: exactly there the return constraint is only just feasible
        targets = np.linspace(low.expected_return, top - 1e-6 * (top - low.expected_return), n_points)[1:]
        for target in targets:
            try:
                ef, _, _ = solve_frontier(mu, cov, plain, lambda e, t=float(target): e.efficient_return(t),
                                          label="Efficient return", solver=solver, l2=False)
            except OptimizationError:
                failed += 1
                continue
            rows.append(_point(np.asarray(ef.weights, dtype=float), mu, cov, risk_free_rate))
    curve = pd.DataFrame([vars(p) for p in rows]).sort_values("expected_return", ignore_index=True)
    assets = pd.DataFrame({"volatility": annualised_volatility(cov), "expected_return": mu})
    return Frontier(curve, low, _max_sharpe(mu, cov, plain, risk_free_rate, solver), assets, failed)


def _max_sharpe(mu: pd.Series, cov: pd.DataFrame, constraints: Constraints, rf: float,
                solver: str) -> PortfolioPoint | None:
    """The tangency portfolio, or None when nothing beats the risk-free rate."""
    if max_return(mu, constraints)[0] <= rf + 1e-9:
        return None
    try:
        ef, _, _ = solve_frontier(mu, cov, constraints, lambda e: e.max_sharpe(risk_free_rate=rf),
                                  label="Maximum Sharpe ratio", solver=solver, l2=False)
    except OptimizationError:
        return None
    return _point(np.asarray(ef.weights, dtype=float), mu, cov, rf)
