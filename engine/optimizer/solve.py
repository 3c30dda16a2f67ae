"""One mean-variance solve on PyPortfolioOpt's EfficientFrontier: solver fallback and error translation."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import cvxpy as cp
import pandas as pd
from pypfopt import EfficientFrontier
from pypfopt import exceptions as pypfopt_errors

from engine.errors import OptimizationError
from engine.optimizer.constraints import Constraints, apply_constraints, bounds

# CLARABEL (interior point) first: OSQP, cvxpy's default for these QPs, stops at its iteration
# limit on a few hundred assets (see benchmarks/bench_optimizer.py).
SOLVERS = ("CLARABEL", "OSQP", "SCS")
SOLVER_OPTIONS: dict[str, dict[str, object]] = {"OSQP": {"max_iter": 20_000}}
# PyPortfolioOpt's warnings, said the way a Quantdesk user can act on them
WARNING_TEXT = {
    "max_sharpe transforms the optimization problem": "L2 with max Sharpe acts on PyPortfolioOpt's scaled weights, "
    "so gamma's effect is approximate; use max_quadratic_utility or min_volatility for an exact L2 penalty",
    "Solution may be inaccurate": "the solver reports an inaccurate optimum; treat small weights with care",
}
INFEASIBLE = {"infeasible", "infeasible_inaccurate", "unbounded", "unbounded_inaccurate"}


@functools.cache
def _installed() -> frozenset[str]:
    return frozenset(cp.installed_solvers())


def solver_chain(first: str) -> tuple[str, ...]:
    """`first`, then the other installed solvers of SOLVERS, in order."""
    installed = _installed()
    if first not in installed:
        raise OptimizationError(f"solver {first!r} is not installed; use one of {', '.join(sorted(installed))}")
    return (first, *(s for s in SOLVERS if s != first and s in installed))


def solve_frontier(
    mu: pd.Series, cov: pd.DataFrame, constraints: Constraints, call: Callable[[EfficientFrontier], object], *,
    label: str, solver: str = "CLARABEL", l2: bool = True,
) -> tuple[EfficientFrontier, str, tuple[str, ...]]:
    """Build a fresh EfficientFrontier with the constraints, run `call` on it; return (frontier, solver, warnings).

    A solver that stops without an answer (iteration limit, numerical trouble) hands over to the next
    one; an infeasible problem does not. Raises OptimizationError saying which objective failed.
    """
    reason = ""
    for name in solver_chain(solver):
        ef = EfficientFrontier(mu, cov, weight_bounds=bounds(constraints), solver=name,
                               solver_options=dict(SOLVER_OPTIONS.get(name, {})))
        apply_constraints(ef, constraints, l2=l2)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                call(ef)
        except pypfopt_errors.OptimizationError:
            status = getattr(ef._opt, "status", None) or "failed"
            reason = f"solver {name} ended with status {status!r}"
            if status in INFEASIBLE:
                break
            continue
        except cp.error.SolverError as exc:
            reason = f"solver {name} failed ({str(exc).splitlines()[0]})"
            continue
        except ValueError as exc:
            raise OptimizationError(f"{label}: {exc}") from None
        notes = tuple(dict.fromkeys(_note(str(w.message)) for w in caught if issubclass(w.category, UserWarning)))
        return ef, name, notes
    raise OptimizationError(
        f"{label} found no portfolio with {constraints.describe()}: {reason}; loosen the weight bounds or sector "
        "caps, or pick another objective")


def _note(message: str) -> str:
    return next((text for start, text in WARNING_TEXT.items() if message.startswith(start)), message)


def status_of(ef: EfficientFrontier) -> str:
    """The solver's final status ('optimal', 'optimal_inaccurate', …)."""
    return str(getattr(ef._opt, "status", "optimal"))
