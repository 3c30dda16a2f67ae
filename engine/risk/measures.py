"""Portfolio risk measures: VaR/CVaR (historical, parametric, Monte Carlo), beta, correlations, sector exposure.

Returns are simple decimal returns per bar (daily here); VaR and CVaR are one-period figures with the
sign of a return or P&L, so a loss is negative (-0.021 = a 2.1 % loss). Historical and parametric
figures come from `engine.metrics.returns` (empyrical / quantstats conventions); Monte Carlo draws
normal returns with the sample mean and covariance from a seeded generator, so it converges to the
parametric figure and is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from engine.errors import DataError, ParameterError
from engine.metrics import returns as metric_returns
from engine.metrics._inputs import check_choice, check_level, clean_returns
from engine.risk.checks import sector_of

RISK_METHODS = ("historical", "parametric", "monte_carlo")
LEVELS = (0.95, 0.99)
DEFAULT_SIMULATIONS = 100_000


def _simulate(returns: pd.DataFrame, n_sims: int, seed: int) -> np.ndarray:
    """n_sims × assets normal draws with the sample mean and covariance (ddof=1) of `returns`."""
    if not (isinstance(n_sims, int) and n_sims >= 100):
        raise ParameterError(f"n_sims must be a whole number >= 100, got {n_sims!r}")
    rng = np.random.default_rng(seed)
    values = returns.to_numpy(dtype=float)
    mean = values.mean(axis=0)
    cov = np.atleast_2d(np.cov(values, rowvar=False, ddof=1))
    return rng.multivariate_normal(mean, cov, size=n_sims, method="eigh")


def _tail(sample: np.ndarray, level: float) -> tuple[float, float]:
    var = float(np.quantile(sample, 1.0 - level))
    return var, float(sample[sample <= var].mean())


def monte_carlo_var(returns: pd.Series, level: float = 0.95, n_sims: int = DEFAULT_SIMULATIONS,
                    seed: int = 0) -> tuple[float, float]:
    """(VaR, CVaR) of one period from `n_sims` normal draws with the sample mean and std, seeded.

    NaN, NaN with fewer than two returns. Raises ParameterError for a bad level or n_sims.
    """
    check_level(level)
    r = clean_returns(returns)
    if len(r) < 2:
        return math.nan, math.nan
    return _tail(_simulate(r.to_frame(), n_sims, seed)[:, 0], level)


def value_at_risk(returns: pd.Series, level: float = 0.95, method: str = "historical", *,
                  n_sims: int = DEFAULT_SIMULATIONS, seed: int = 0) -> float:
    """One-period VaR (decimal return, negative = loss) by "historical", "parametric" or "monte_carlo"."""
    check_choice(method, RISK_METHODS, "method")
    if method == "monte_carlo":
        return monte_carlo_var(returns, level, n_sims, seed)[0]
    return metric_returns.value_at_risk(returns, level, method)


def cvar(returns: pd.Series, level: float = 0.95, method: str = "historical", *,
         n_sims: int = DEFAULT_SIMULATIONS, seed: int = 0) -> float:
    """One-period CVaR / expected shortfall (decimal return, negative = loss), methods as `value_at_risk`."""
    check_choice(method, RISK_METHODS, "method")
    if method == "monte_carlo":
        return monte_carlo_var(returns, level, n_sims, seed)[1]
    return metric_returns.cvar(returns, level, method)


def var_table(returns: pd.Series, levels: Iterable[float] = LEVELS, methods: Iterable[str] = RISK_METHODS, *,
              n_sims: int = DEFAULT_SIMULATIONS, seed: int = 0) -> pd.DataFrame:
    """VaR and CVaR for every level × method: rows "VaR 95%", "CVaR 95%", …; columns the methods (decimals)."""
    methods = list(methods)
    rows: dict[str, dict[str, float]] = {}
    for level in levels:
        label = f"{level * 100:g}%"
        rows[f"VaR {label}"] = {m: value_at_risk(returns, level, m, n_sims=n_sims, seed=seed) for m in methods}
        rows[f"CVaR {label}"] = {m: cvar(returns, level, m, n_sims=n_sims, seed=seed) for m in methods}
    return pd.DataFrame.from_dict(rows, orient="index")[methods]


def returns_frame(closes: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Simple returns per symbol from close prices, on the dates every symbol traded (inner join).

    Raises DataError if a series is empty or the symbols share fewer than two dates.
    """
    if not closes:
        raise DataError("pick at least one symbol to measure risk on")
    for symbol, series in closes.items():
        if series is None or series.dropna().empty:
            raise DataError(f"no prices for {symbol}; sync it on the Data page first")
    prices = pd.concat({s: c.astype(float) for s, c in closes.items()}, axis=1, join="inner").dropna()
    if len(prices) < 3:
        raise DataError("the symbols share fewer than three trading days; pick symbols with overlapping history")
    return (prices / prices.shift(1) - 1.0).iloc[1:]


def portfolio_returns(returns: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Σ wᵢ rᵢ per bar (weights held constant, i.e. rebalanced every bar); weights may be negative (shorts).

    Raises DataError when a weighted symbol has no return column.
    """
    missing = sorted(set(weights) - set(returns.columns))
    if missing:
        raise DataError(f"no return history for {missing}; load prices for every position")
    w = pd.Series(weights, dtype=float)
    return (returns[w.index] * w).sum(axis=1).rename("portfolio")


def equal_weights(symbols: Iterable[str]) -> dict[str, float]:
    """1/n for each of the n symbols. Raises DataError for none."""
    names = list(dict.fromkeys(symbols))
    if not names:
        raise DataError("pick at least one symbol")
    return {s: 1.0 / len(names) for s in names}


def portfolio_var(values: Mapping[str, float], returns: pd.DataFrame, level: float = 0.95,
                  method: str = "historical", *, n_sims: int = DEFAULT_SIMULATIONS,
                  seed: int = 0) -> tuple[float, float]:
    """(VaR, CVaR) of a portfolio's one-period P&L in currency (negative = loss).

    `values` are position market values by symbol (negative = short); P&L per bar = Σ valueᵢ × rᵢ.
    Historical uses the P&L history; parametric the normal P&L with mean v·μ and variance vᵀΣv;
    Monte Carlo correlated normal draws of the asset returns. Raises DataError for missing history,
    ParameterError for a bad level, method or n_sims.
    """
    check_level(level)
    check_choice(method, RISK_METHODS, "method")
    pnl = portfolio_returns(returns, values)
    if method == "monte_carlo":
        if len(returns) < 2:
            return math.nan, math.nan
        v = pd.Series(values, dtype=float)
        draws = _simulate(returns[v.index].dropna(), n_sims, seed) @ v.to_numpy()
        return _tail(draws, level)
    return (metric_returns.value_at_risk(pnl, level, method), metric_returns.cvar(pnl, level, method))


def beta(returns: pd.Series, index_returns: pd.Series) -> float:
    """Beta of `returns` against `index_returns` (cov / var on the shared dates, empyrical convention); NaN if undefined."""
    return metric_returns.alpha_beta(returns, index_returns)[1]


def correlation_matrix(returns: pd.DataFrame, min_periods: int = 20) -> pd.DataFrame:
    """Pearson correlations of the return columns (pairwise dates; NaN for pairs with < `min_periods` shared bars)."""
    if returns.shape[1] == 0:
        raise DataError("no return columns to correlate; pick at least one symbol")
    return returns.astype(float).corr(method="pearson", min_periods=min_periods)


def exposure_by_sector(values: Mapping[str, float], sectors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Gross exposure per sector: columns sector, value (Σ|value|, currency), net (Σ value), pct (% of gross).

    Sectors come from `sectors`, else the instrument table ("Unclassified" when unknown); sorted by
    value, largest first. An empty mapping gives an empty frame.
    """
    sectors = sectors or {}
    rows = pd.DataFrame({"sector": [sector_of(s, sectors.get(s)) for s in values],
                         "value": [abs(float(v)) for v in values.values()],
                         "net": [float(v) for v in values.values()]})
    table = rows.groupby("sector", as_index=False)[["value", "net"]].sum()
    gross = table["value"].sum()
    table["pct"] = table["value"] / gross * 100.0 if gross > 0 else 0.0
    return table.sort_values("value", ascending=False, ignore_index=True)
