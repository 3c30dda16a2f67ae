"""Portfolio optimiser on PyPortfolioOpt: estimates, objectives, Black-Litterman, frontier, lot allocation, backtest."""

from engine.optimizer.allocation import ALLOCATION_METHODS, LotAllocation, allocate_lots
from engine.optimizer.backtest import (
    AllocationBacktest,
    backtest_fixed,
    backtest_reoptimised,
    month_starts,
    rebalanced_equity,
)
from engine.optimizer.black_litterman import BlackLittermanSpec, Posterior, View, parse_view, posterior
from engine.optimizer.constraints import Constraints, check_feasible, max_return
from engine.optimizer.frontier import Frontier, PortfolioPoint, efficient_frontier
from engine.optimizer.inputs import (
    RETURN_METHODS,
    RISK_METHODS,
    estimate_returns,
    estimate_risk,
    frequency_for,
    prices_frame,
)
from engine.optimizer.optimize import (
    OBJECTIVES,
    OptimizationResult,
    OptimizeSpec,
    estimates,
    min_volatility_value,
    optimise,
    optimise_estimates,
)

__all__ = [
    "ALLOCATION_METHODS",
    "OBJECTIVES",
    "RETURN_METHODS",
    "RISK_METHODS",
    "AllocationBacktest",
    "BlackLittermanSpec",
    "Constraints",
    "Frontier",
    "LotAllocation",
    "OptimizationResult",
    "OptimizeSpec",
    "PortfolioPoint",
    "Posterior",
    "View",
    "allocate_lots",
    "backtest_fixed",
    "backtest_reoptimised",
    "check_feasible",
    "efficient_frontier",
    "estimate_returns",
    "estimate_risk",
    "estimates",
    "frequency_for",
    "max_return",
    "min_volatility_value",
    "month_starts",
    "optimise",
    "optimise_estimates",
    "parse_view",
    "posterior",
    "prices_frame",
    "rebalanced_equity",
]
