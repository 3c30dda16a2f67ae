"""Deterministic synthetic prices for optimiser tests: seeded GBM with a chosen annual covariance."""

from __future__ import annotations

import numpy as np
import pandas as pd

SYMBOLS = ("RELIANCE.NS", "TCS.NS", "INFY.NS", "HDFCBANK.NS", "ICICIBANK.NS", "SBIN.NS")
SECTORS = {"RELIANCE.NS": "Energy", "TCS.NS": "Information Technology", "INFY.NS": "Information Technology",
           "HDFCBANK.NS": "Financial Services", "ICICIBANK.NS": "Financial Services", "SBIN.NS": "Financial Services"}
VOLS = np.array([0.18, 0.22, 0.26, 0.20, 0.28, 0.32])
DRIFTS = np.array([0.08, 0.12, 0.15, 0.10, 0.18, 0.14])


def chosen_cov(vols: np.ndarray = VOLS, rho: float = 0.3) -> np.ndarray:
    """Annual covariance with equal pairwise correlation `rho`."""
    corr = np.full((len(vols), len(vols)), rho)
    np.fill_diagonal(corr, 1.0)
    return np.outer(vols, vols) * corr


def gbm_prices(cov: np.ndarray | None = None, drifts: np.ndarray = DRIFTS, *, days: int = 756, seed: int = 7,
               symbols: tuple[str, ...] = SYMBOLS, start: str = "2021-01-01") -> pd.DataFrame:
    """Daily closes (UTC business days) of a GBM with annual `drifts` and annual covariance `cov`."""
    cov = chosen_cov() if cov is None else cov
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(cov / 252)
    shocks = rng.standard_normal((days, len(drifts))) @ chol.T
    log_returns = (drifts - np.diag(cov) / 2) / 252 + shocks
    index = pd.bdate_range(start, periods=days, tz="UTC", name="ts")
    prices = 100.0 * np.exp(np.cumsum(log_returns, axis=0))
    return pd.DataFrame(prices, index=index, columns=list(symbols))
