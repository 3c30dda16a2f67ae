"""Portfolio optimisation on PyPortfolioOpt: objectives, HRP and Black-Litterman behind one spec and result."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pypfopt import HRPOpt, base_optimizer

from engine.errors import OptimizationError
from engine.optimizer.black_litterman import BlackLittermanSpec, Posterior, posterior
from engine.optimizer.constraints import Constraints, check_feasible, max_return
from engine.optimizer.inputs import (
    RETURN_METHODS,
    RISK_METHODS,
    align_benchmark,
    check_prices,
    choice,
    estimate_returns,
    estimate_risk,
    frequency_for,
)
from engine.optimizer.solve import solve_frontier, status_of

OBJECTIVES: dict[str, str] = {
    "max_sharpe": "Maximum Sharpe ratio",
    "min_volatility": "Minimum volatility",
    "efficient_risk": "Maximum return at a target volatility",
    "efficient_return": "Minimum volatility for a target return",
    "max_quadratic_utility": "Maximum quadratic utility",
    "hrp": "Hierarchical risk parity",
}
CLEAN_CUTOFF, CLEAN_DECIMALS = 1e-4, 5  # PyPortfolioOpt's clean_weights defaults


@dataclass(frozen=True)
class OptimizeSpec:
    """What to optimise. Rates, targets and returns are annual decimals (0.12 = 12%)."""

    objective: str = "max_sharpe"
    returns_method: str = "mean"
    risk_method: str = "ledoit_wolf"
    risk_free_rate: float = 0.0
    target_volatility: float | None = None
    target_return: float | None = None
    risk_aversion: float = 1.0
    constraints: Constraints = field(default_factory=Constraints)
    black_litterman: BlackLittermanSpec | None = None
    frequency: int | None = None  # periods per year; None: 365 for all-crypto columns, else 252
    solver: str = "CLARABEL"


@dataclass(frozen=True)
class OptimizationResult:
    """Cleaned weights (sum ≈ 1), annual expected return, volatility and Sharpe of the raw solution."""

    weights: dict[str, float]
    expected_return: float
    volatility: float
    sharpe: float
    status: str
    method: str
    solver: str
    raw_weights: pd.Series
    expected_returns: pd.Series
    cov: pd.DataFrame
    frequency: int
    risk_free_rate: float
    posterior: Posterior | None = None
    notes: tuple[str, ...] = ()

    def held(self) -> dict[str, float]:
        """Weights above zero, largest first."""
        return dict(sorted(((k, v) for k, v in self.weights.items() if v > 0), key=lambda kv: -kv[1]))

    def as_dict(self) -> dict[str, Any]:
        return {"weights": self.weights, "expected_return": self.expected_return, "volatility": self.volatility,
                "sharpe": self.sharpe, "status": self.status, "method": self.method, "solver": self.solver,
                "frequency": self.frequency, "risk_free_rate": self.risk_free_rate, "notes": list(self.notes)}


def estimates(
    prices: pd.DataFrame, spec: OptimizeSpec, benchmark: pd.Series | None = None,
) -> tuple[pd.Series, pd.DataFrame, int, Posterior | None]:
    """(expected returns, covariance, periods per year, BL posterior or None) for `spec` on `prices`."""
    prices = check_prices(prices)
    frequency = spec.frequency or frequency_for(prices.columns)
    if benchmark is not None:
        benchmark = align_benchmark(prices, benchmark)
    cov = estimate_risk(prices, spec.risk_method, frequency=frequency)
    if spec.black_litterman is not None:
        post = posterior(cov, spec.black_litterman, benchmark=benchmark, frequency=frequency,
                         risk_free_rate=spec.risk_free_rate)
        return post.returns, post.cov, frequency, post
    mu = estimate_returns(prices, spec.returns_method, frequency=frequency, benchmark=benchmark,
                          risk_free_rate=spec.risk_free_rate)
    return mu, cov, frequency, None


def optimise(prices: pd.DataFrame, spec: OptimizeSpec | None = None, *,
             benchmark: pd.Series | None = None) -> OptimizationResult:
    """Optimise a long-only, fully invested portfolio of the columns of `prices` (adjusted daily closes).

    `benchmark` (prices) feeds CAPM returns and the Black-Litterman risk aversion. Raises
    OptimizationError for infeasible constraints or targets (saying which and how to fix it),
    DataError for unusable prices.
    """
    spec = spec or OptimizeSpec()
    _check_spec(spec)
    mu, cov, frequency, post = estimates(prices, spec, benchmark)
    return optimise_estimates(mu, cov, spec, frequency=frequency, posterior=post)


def optimise_estimates(mu: pd.Series, cov: pd.DataFrame, spec: OptimizeSpec, *, frequency: int = 252,
                       posterior: Posterior | None = None) -> OptimizationResult:
    """Optimise on given annual expected returns and covariance (same checks and result as `optimise`)."""
    _check_spec(spec)
    tickers = list(cov.columns)
    if list(mu.index) != tickers:
        mu = mu.reindex(tickers)
    check_feasible(spec.constraints, tickers)
    if spec.objective == "hrp":
        return _hrp(mu, cov, spec, frequency, posterior)
    _check_targets(mu, cov, spec)
    label = OBJECTIVES[spec.objective]
    ef, solver, notes = solve_frontier(mu, cov, spec.constraints, _call(spec), label=label, solver=spec.solver)
    raw = pd.Series(ef.weights, index=tickers, dtype=float)
    cleaned = dict(ef.clean_weights(cutoff=CLEAN_CUTOFF, rounding=CLEAN_DECIMALS))
    return _result(raw, cleaned, mu, cov, spec, frequency, posterior, status_of(ef), solver, notes)


def _call(spec: OptimizeSpec):  # noqa: ANN202 - a callable on an EfficientFrontier
    if spec.objective == "max_sharpe":
        return lambda ef: ef.max_sharpe(risk_free_rate=float(spec.risk_free_rate))
    if spec.objective == "min_volatility":
        return lambda ef: ef.min_volatility()
    if spec.objective == "efficient_risk":
        return lambda ef: ef.efficient_risk(float(spec.target_volatility))
    if spec.objective == "efficient_return":
        return lambda ef: ef.efficient_return(float(spec.target_return))
    return lambda ef: ef.max_quadratic_utility(risk_aversion=float(spec.risk_aversion))


def _check_spec(spec: OptimizeSpec) -> None:
    choice(spec.objective, OBJECTIVES, "objective")
    choice(spec.returns_method, RETURN_METHODS, "expected-return method")
    choice(spec.risk_method, RISK_METHODS, "risk model")
    if not math.isfinite(spec.risk_free_rate):
        raise OptimizationError("the risk-free rate must be a number (annual decimal, 0.07 = 7%)")
    if spec.objective == "efficient_risk" and not (spec.target_volatility or 0) > 0:
        raise OptimizationError("efficient_risk needs a target volatility above 0 (annual decimal, 0.15 = 15%)")
    if spec.objective == "efficient_return" and (spec.target_return is None or not math.isfinite(spec.target_return)):
        raise OptimizationError("efficient_return needs a target return (annual decimal, 0.12 = 12%)")
    if spec.objective == "max_quadratic_utility" and not spec.risk_aversion > 0:
        raise OptimizationError(f"risk aversion must be above 0, got {spec.risk_aversion!r}")


def _check_targets(mu: pd.Series, cov: pd.DataFrame, spec: OptimizeSpec) -> None:
    """Targets the constraints cannot reach, caught before the solver reports a bare 'infeasible'."""
    c = spec.constraints
    if spec.objective in ("max_sharpe", "efficient_return"):
        best, _ = max_return(mu, c)
        if spec.objective == "max_sharpe" and best <= spec.risk_free_rate + 1e-9:
            raise OptimizationError(
                f"no portfolio within the constraints expects more than the risk-free rate "
                f"{spec.risk_free_rate:.2%} (the best expects {best:.2%}): lower the risk-free rate or pick "
                "min_volatility")
        if spec.objective == "efficient_return" and float(spec.target_return) > best - 1e-9:
            raise OptimizationError(
                f"target return {spec.target_return:.2%} is above the highest expected return reachable with "
                f"these constraints ({best:.2%}): lower the target to at most {math.floor(best * 1e4) / 1e4:.2%}")
    if spec.objective == "efficient_risk":
        lowest = min_volatility_value(mu, cov, c, spec.solver)
        if float(spec.target_volatility) < lowest * (1 + 1e-6):
            raise OptimizationError(
                f"target volatility {spec.target_volatility:.2%} is below the lowest volatility reachable with "
                f"these constraints ({lowest:.2%}): raise the target to at least "
                f"{math.ceil(lowest * 1e4) / 1e4:.2%}")


def min_volatility_value(mu: pd.Series, cov: pd.DataFrame, constraints: Constraints,
                         solver: str = "CLARABEL") -> float:
    """Lowest annual volatility of a fully invested portfolio within the bounds and sector caps (no L2)."""
    ef, _, _ = solve_frontier(mu, cov, constraints, lambda e: e.min_volatility(), label="Minimum volatility",
                              solver=solver, l2=False)
    w = np.asarray(ef.weights, dtype=float)
    return float(np.sqrt(w @ cov.to_numpy() @ w))


def _hrp(mu: pd.Series, cov: pd.DataFrame, spec: OptimizeSpec, frequency: int,
         post: Posterior | None) -> OptimizationResult:
    c = spec.constraints
    if not c.is_default:
        raise OptimizationError(
            f"hierarchical risk parity takes no weight bounds, sector caps or L2 ({c.describe()}): reset them to "
            "0%–100% without caps, or pick a mean-variance objective")
    hrp = HRPOpt(cov_matrix=cov)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hrp.optimize()
    raw = pd.Series(hrp.weights, index=list(cov.columns), dtype=float)
    cleaned = dict(hrp.clean_weights(cutoff=CLEAN_CUTOFF, rounding=CLEAN_DECIMALS))
    return _result(raw, cleaned, mu, cov, spec, frequency, post, "closed form", "none", ())


def _result(raw: pd.Series, cleaned: dict[str, float], mu: pd.Series, cov: pd.DataFrame, spec: OptimizeSpec,
            frequency: int, post: Posterior | None, status: str, solver: str,
            notes: tuple[str, ...]) -> OptimizationResult:
    ret, vol, sharpe = base_optimizer.portfolio_performance(raw.to_numpy(), mu, cov,
                                                            risk_free_rate=float(spec.risk_free_rate))
    extra = list(notes)
    if status == "optimal_inaccurate":
        extra.append("the solver reports an inaccurate optimum; treat small weights with care")
    extra = list(dict.fromkeys(extra))
    return OptimizationResult(
        weights={str(k): float(v) for k, v in cleaned.items()}, expected_return=float(ret), volatility=float(vol),
        sharpe=float(sharpe), status=status, method=describe(spec, frequency, post), solver=solver,
        raw_weights=raw, expected_returns=mu, cov=cov, frequency=frequency,
        risk_free_rate=float(spec.risk_free_rate), posterior=post, notes=tuple(extra))


def describe(spec: OptimizeSpec, frequency: int, post: Posterior | None = None) -> str:
    """One line saying how the portfolio was built."""
    objective = OBJECTIVES[spec.objective]
    if spec.objective == "efficient_risk":
        objective += f" {spec.target_volatility:.1%}"
    elif spec.objective == "efficient_return":
        objective += f" {spec.target_return:.1%}"
    elif spec.objective == "max_quadratic_utility":
        objective += f" (risk aversion {spec.risk_aversion:g})"
    if post is not None:
        returns = (f"Black-Litterman ({len(post.views)} views, {post.omega}, delta {post.delta:.2f} "
                   f"{post.delta_source})")
    else:
        returns = RETURN_METHODS[spec.returns_method]
    return (f"{objective} · returns: {returns} · risk: {RISK_METHODS[spec.risk_method]} · "
            f"{spec.constraints.describe()} · rf {spec.risk_free_rate:.2%} · {frequency} periods/year")
