"""Benchmark: max-Sharpe weights for 100 and 500 synthetic assets (Ledoit-Wolf), vs PyPortfolioOpt called directly."""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 500)
DAYS = 756  # three years of daily closes
REPEATS = 3
GOAL_500_S = 2.0


def synthetic_prices(n: int, days: int = DAYS, seed: int = 0) -> pd.DataFrame:
    """Seeded GBM closes: one market factor plus idiosyncratic noise, annual vols 15–45%, drifts 0–25%."""
    rng = np.random.default_rng(seed)
    vols, drifts = rng.uniform(0.15, 0.45, n), rng.uniform(0.0, 0.25, n)
    shocks = 0.5 * rng.standard_normal((days, 1)) + np.sqrt(0.75) * rng.standard_normal((days, n))
    log_returns = (drifts - vols**2 / 2) / 252 + vols / np.sqrt(252) * shocks
    index = pd.bdate_range("2021-01-01", periods=days, tz="UTC")
    return pd.DataFrame(100 * np.exp(np.cumsum(log_returns, axis=0)), index=index,
                        columns=[f"SYM{i}.NS" for i in range(n)])


def best_s(func: Callable[[], object], repeats: int = REPEATS) -> tuple[float, object]:
    """Best wall time of `repeats` calls (after one warm-up) and the last result; failures are returned."""
    out: object = None
    try:
        func()
    except Exception as exc:  # noqa: BLE001 - a failing peer is a result to report, not a crash
        return float("nan"), exc
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def _pypfopt(mu: pd.Series, cov: pd.DataFrame, solver: str | None) -> np.ndarray:
    from pypfopt import EfficientFrontier

    ef = EfficientFrontier(mu, cov, solver=solver)
    ef.max_sharpe()
    return np.asarray(ef.weights)


def run_size(n: int) -> dict[str, object]:
    from pypfopt import expected_returns, risk_models

    from engine.optimizer import OptimizeSpec, estimates, optimise, optimise_estimates

    prices = synthetic_prices(n)
    spec = OptimizeSpec(objective="max_sharpe", returns_method="mean", risk_method="ledoit_wolf")
    mu, cov, _, _ = estimates(prices, spec)
    ours_s, ours = best_s(lambda: optimise_estimates(mu, cov, spec))
    clarabel_s, clarabel = best_s(lambda: _pypfopt(mu, cov, "CLARABEL"))
    osqp_s, osqp = best_s(lambda: _pypfopt(mu, cov, None), repeats=1)  # cvxpy's default: OSQP
    e2e_s, _ = best_s(lambda: optimise(prices, spec), repeats=1)
    peer_e2e_s, _ = best_s(lambda: _pypfopt(expected_returns.mean_historical_return(prices),
                                            risk_models.CovarianceShrinkage(prices).ledoit_wolf(), "CLARABEL"),
                           repeats=1)
    weights = ours.raw_weights.to_numpy() if not isinstance(ours, Exception) else None
    same = (weights is not None and not isinstance(clarabel, Exception)
            and float(np.abs(weights - clarabel).max()) < 1e-6)
    return {"n": n, "ours_s": ours_s, "clarabel_s": clarabel_s, "osqp_s": osqp_s,
            "osqp": "ok" if not isinstance(osqp, Exception) else _reason(osqp),
            "e2e_s": e2e_s, "peer_e2e_s": peer_e2e_s, "same_weights": same,
            "held": int((weights > 1e-4).sum()) if weights is not None else 0}


def _reason(exc: Exception) -> str:
    text = " ".join(str(a) for a in exc.args) if exc.args else type(exc).__name__
    return text.replace("Please check your objectives/constraints or use a different solver. ", "")[:60]


def main(sizes: tuple[int, ...] = SIZES) -> list[dict[str, object]]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    warnings.filterwarnings("ignore")
    from engine.optimizer import OptimizeSpec, optimise

    optimise(synthetic_prices(5, 100), OptimizeSpec())  # import and compile warm-up
    results = [run_size(n) for n in sizes]
    for r in results:
        _print(r)
    return results


def _print(r: dict[str, object]) -> None:
    n = r["n"]
    ratio = r["ours_s"] / r["clarabel_s"]
    print(f"max_sharpe {n} assets x {DAYS} days, Ledoit-Wolf (best of {REPEATS}); {r['held']} assets held")
    print(f"  optimise_estimates (CLARABEL)   {r['ours_s']:7.3f} s   pypfopt EfficientFrontier CLARABEL "
          f"{r['clarabel_s']:7.3f} s   ratio {ratio:.2f}   same weights: {r['same_weights']}")
    osqp = f"{r['osqp_s']:.3f} s" if r["osqp"] == "ok" else f"FAILED ({r['osqp']})"
    print(f"  pypfopt default solver (OSQP)   {osqp}")
    goal = "" if n != 500 else f"   goal < {GOAL_500_S:.0f} s: {'ok' if r['e2e_s'] < GOAL_500_S else 'SLOW'}"
    print(f"  from prices (estimates + solve) {r['e2e_s']:7.3f} s   pypfopt from prices {r['peer_e2e_s']:7.3f} s   "
          f"ratio {r['e2e_s'] / r['peer_e2e_s']:.2f}{goal}")


if __name__ == "__main__":
    main()
