"""Return-based performance figures, following quantstats/empyrical conventions."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from scipy.stats import norm

from engine.errors import DataError, ParameterError
from engine.metrics import _core
from engine.metrics._inputs import (
    check_choice,
    check_level,
    check_periods_per_year,
    clean_equity,
    clean_returns,
    per_period_rf,
)

VAR_METHODS = ("historical", "parametric")
_CRYPTO_CLASSES = {"crypto", "cryptocurrency", "crypto_currency", "digital_asset", "coin"}
_CRYPTO_PAIR = re.compile(r"^[A-Z0-9]{2,12}[-/](USD|USDT|USDC|BUSD|DAI|EUR|GBP|INR|JPY|AUD|CAD|BTC|ETH)$")


def periods_per_year_for(symbol_or_asset_class: str) -> int:
    """Bars per year for annualising daily figures: 365 for crypto (e.g. "BTC-USD", "crypto"), else 252.

    Raises ParameterError for an empty string.
    """
    text = str(symbol_or_asset_class).strip()
    if not text:
        raise ParameterError("pass a symbol (e.g. 'BTC-USD', 'AAPL') or an asset class (e.g. 'crypto')")
    if text.lower() in _CRYPTO_CLASSES or _CRYPTO_PAIR.match(text.upper()):
        return 365
    return 252


def _excess(returns: pd.Series, periods_per_year: int, rf: float) -> np.ndarray:
    """Cleaned returns minus the per-period risk-free rate, as an array."""
    rf_p = per_period_rf(rf, periods_per_year)
    return clean_returns(returns).to_numpy() - rf_p


def returns_from_equity(equity: pd.Series) -> pd.Series:
    """Simple decimal returns per bar, r_t = E_t / E_{t-1} - 1, one fewer than the observed bars.

    NaN bars are dropped first, so a return spans any gap. Raises DataError for empty,
    non-numeric, non-positive or unsorted equity.
    """
    values = clean_equity(equity)
    out = (values / values.shift(1) - 1.0).iloc[1:]
    return out.rename("returns")


def total_return(equity: pd.Series) -> float:
    """Total return over the curve as a decimal: last / first - 1. Raises DataError for unusable equity."""
    return _core.total_return(clean_equity(equity).to_numpy())


def cagr(equity: pd.Series, periods_per_year: int = 252) -> float:
    """Compound annual growth rate (decimal), empyrical `annual_return` convention.

    Years = number of returns / periods_per_year (not calendar time); NaN with fewer than two bars.
    Raises DataError for unusable equity, ParameterError for bad periods_per_year.
    """
    check_periods_per_year(periods_per_year)
    return _core.cagr(clean_equity(equity).to_numpy(), periods_per_year)


def annual_volatility(returns: pd.Series, periods_per_year: int = 252) -> float:
    """Annualised volatility (decimal): std of returns (ddof=1) × √periods_per_year; NaN if < 2 returns."""
    check_periods_per_year(periods_per_year)
    return _core.annual_volatility(clean_returns(returns).to_numpy(), periods_per_year)


def sharpe(returns: pd.Series, periods_per_year: int = 252, rf: float = 0.0) -> float:
    """Annualised Sharpe ratio: mean(r - rf_p) / std(r - rf_p, ddof=1) × √periods_per_year.

    `rf` is annual (decimal), de-annualised geometrically to rf_p. NaN with < 2 returns or zero
    dispersion (a flat curve), never inf. Raises ParameterError for bad rf or periods_per_year.
    """
    return _core.sharpe(_excess(returns, periods_per_year, rf), periods_per_year)


def downside_risk(returns: pd.Series, periods_per_year: int = 252, rf: float = 0.0) -> float:
    """Annualised downside deviation: √mean(min(r - rf_p, 0)²) over ALL periods × √periods_per_year."""
    return _core.downside_risk(_excess(returns, periods_per_year, rf), periods_per_year)


def sortino(returns: pd.Series, periods_per_year: int = 252, rf: float = 0.0) -> float:
    """Annualised Sortino ratio: mean(r - rf_p) × periods_per_year / annualised downside deviation.

    NaN with < 2 returns or no period below rf (zero downside), never inf.
    """
    return _core.sortino(_excess(returns, periods_per_year, rf), periods_per_year)


def skew(returns: pd.Series) -> float:
    """Sample skewness (bias-corrected, as pandas/quantstats); NaN with < 3 returns or zero dispersion."""
    return _core.skew(clean_returns(returns).to_numpy())


def kurtosis(returns: pd.Series) -> float:
    """Excess kurtosis (bias-corrected, as pandas/quantstats); NaN with < 4 returns or zero dispersion."""
    return _core.kurtosis(clean_returns(returns).to_numpy())


def value_at_risk(returns: pd.Series, level: float = 0.95, method: str = "historical") -> float:
    """One-period Value at Risk as a (usually negative) decimal return at confidence `level`.

    "historical": the (1 - level) quantile with linear interpolation (empyrical `value_at_risk`);
    "parametric": normal quantile with the sample mean and std (ddof=1) (quantstats `value_at_risk`).
    NaN without enough returns. Raises ParameterError for a bad level or method.
    """
    check_level(level)
    check_choice(method, VAR_METHODS, "method")
    r = clean_returns(returns)
    if method == "historical":
        return _core.historical_var(r.to_numpy(), level)
    if len(r) < 2:
        return math.nan
    return float(norm.ppf(1.0 - level, r.mean(), r.std(ddof=1)))


def cvar(returns: pd.Series, level: float = 0.95, method: str = "historical") -> float:
    """Conditional VaR / expected shortfall as a (usually negative) decimal return.

    "historical": mean of the returns at or below the historical VaR (quantstats, method="historical");
    "parametric": normal expected shortfall mu - sd·φ(Φ⁻¹(α))/α with α = 1 - level (quantstats default).
    NaN without enough returns. Raises ParameterError for a bad level or method.
    """
    check_level(level)
    check_choice(method, VAR_METHODS, "method")
    r = clean_returns(returns)
    alpha = 1.0 - level
    if method == "historical":
        return _core.historical_cvar(r.to_numpy(), level)
    if len(r) < 2:
        return math.nan
    mu, sd = float(r.mean()), float(r.std(ddof=1))
    if sd == 0:
        return mu
    return mu - sd * float(norm.pdf(norm.ppf(alpha))) / alpha


def alpha_beta(
    returns: pd.Series,
    benchmark_returns: pd.Series,
    periods_per_year: int = 252,
    rf: float = 0.0,
) -> tuple[float, float]:
    """(annualised alpha, beta) against a benchmark, as empyrical `alpha_beta`.

    The series are aligned on their index; only bars where both are present count.
    beta = cov(r, b) / var(b); alpha = (1 + mean((r - rf_p) - beta·(b - rf_p))) ** periods_per_year - 1.
    (NaN, NaN) with fewer than two paired returns or a constant benchmark. Raises DataError when
    one index is tz-aware and the other naive.
    """
    rf_p = per_period_rf(rf, periods_per_year)
    r_all, b_all = clean_returns(returns), clean_returns(benchmark_returns, "benchmark_returns")
    _check_same_tz_kind(r_all.index, b_all.index)
    if r_all.index.equals(b_all.index):
        r, b = r_all.to_numpy(), b_all.to_numpy()
    else:
        paired = pd.concat([r_all, b_all], axis=1, join="inner").dropna()
        r, b = paired.iloc[:, 0].to_numpy(), paired.iloc[:, 1].to_numpy()
    return _core.alpha_beta(r, b, periods_per_year, rf_p)


def _check_same_tz_kind(left: pd.Index, right: pd.Index) -> None:
    """Raise DataError if one index is tz-aware and the other naive: they would never align."""
    if isinstance(left, pd.DatetimeIndex) and isinstance(right, pd.DatetimeIndex):
        if (left.tz is None) != (right.tz is None):
            raise DataError(
                "returns and benchmark mix tz-aware and naive timestamps; localize both to UTC first"
            )
