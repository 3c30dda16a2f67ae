"""Return-based performance figures, following quantstats/empyrical conventions."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from scipy.stats import norm

from engine.errors import DataError, ParameterError
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
    values = clean_equity(equity)
    return float(values.iloc[-1] / values.iloc[0] - 1.0)


def cagr(equity: pd.Series, periods_per_year: int = 252) -> float:
    """Compound annual growth rate (decimal), empyrical `annual_return` convention.

    Years = number of returns / periods_per_year (not calendar time); NaN with fewer than two bars.
    Raises DataError for unusable equity, ParameterError for bad periods_per_year.
    """
    check_periods_per_year(periods_per_year)
    values = clean_equity(equity)
    n_returns = len(values) - 1
    if n_returns < 1:
        return math.nan
    growth = float(values.iloc[-1] / values.iloc[0])
    return growth ** (periods_per_year / n_returns) - 1.0


def annual_volatility(returns: pd.Series, periods_per_year: int = 252) -> float:
    """Annualised volatility (decimal): std of returns (ddof=1) × √periods_per_year; NaN if < 2 returns."""
    check_periods_per_year(periods_per_year)
    r = clean_returns(returns)
    if len(r) < 2:
        return math.nan
    return float(r.std(ddof=1) * math.sqrt(periods_per_year))


def sharpe(returns: pd.Series, periods_per_year: int = 252, rf: float = 0.0) -> float:
    """Annualised Sharpe ratio: mean(r - rf_p) / std(r - rf_p, ddof=1) × √periods_per_year.

    `rf` is annual (decimal), de-annualised geometrically to rf_p. NaN with < 2 returns or zero
    dispersion (a flat curve), never inf. Raises ParameterError for bad rf or periods_per_year.
    """
    excess = clean_returns(returns) - per_period_rf(rf, periods_per_year)
    if len(excess) < 2 or excess.max() == excess.min():
        return math.nan
    std = float(excess.std(ddof=1))
    if not std > 0:
        return math.nan
    return float(excess.mean() / std * math.sqrt(periods_per_year))


def downside_risk(returns: pd.Series, periods_per_year: int = 252, rf: float = 0.0) -> float:
    """Annualised downside deviation: √mean(min(r - rf_p, 0)²) over ALL periods × √periods_per_year."""
    excess = clean_returns(returns) - per_period_rf(rf, periods_per_year)
    if excess.empty:
        return math.nan
    downside = np.minimum(excess.to_numpy(), 0.0)
    return float(np.sqrt(np.mean(downside**2)) * math.sqrt(periods_per_year))


def sortino(returns: pd.Series, periods_per_year: int = 252, rf: float = 0.0) -> float:
    """Annualised Sortino ratio: mean(r - rf_p) × periods_per_year / annualised downside deviation.

    NaN with < 2 returns or no period below rf (zero downside), never inf.
    """
    excess = clean_returns(returns) - per_period_rf(rf, periods_per_year)
    if len(excess) < 2:
        return math.nan
    risk = downside_risk(returns, periods_per_year, rf)
    if not risk > 0:
        return math.nan
    return float(excess.mean() * periods_per_year / risk)


def skew(returns: pd.Series) -> float:
    """Sample skewness (bias-corrected, as pandas/quantstats); NaN with < 3 returns or zero dispersion."""
    r = clean_returns(returns)
    if len(r) < 3 or r.max() == r.min():
        return math.nan
    return float(r.skew())


def kurtosis(returns: pd.Series) -> float:
    """Excess kurtosis (bias-corrected, as pandas/quantstats); NaN with < 4 returns or zero dispersion."""
    r = clean_returns(returns)
    if len(r) < 4 or r.max() == r.min():
        return math.nan
    return float(r.kurt())


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
        return float(np.quantile(r.to_numpy(), 1.0 - level)) if len(r) else math.nan
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
        if r.empty:
            return math.nan
        tail = r[r <= np.quantile(r.to_numpy(), alpha)]
        return float(tail.mean())
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
    paired = pd.concat([r_all, b_all], axis=1, join="inner").dropna()
    if len(paired) < 2:
        return math.nan, math.nan
    r, b = paired.iloc[:, 0].to_numpy(), paired.iloc[:, 1].to_numpy()
    b_centred = b - b.mean()
    var_b = float(np.mean(b_centred**2))
    if var_b < 1e-30:
        return math.nan, math.nan
    beta = float(np.mean(b_centred * r)) / var_b
    alpha = (1.0 + float(np.mean((r - rf_p) - beta * (b - rf_p)))) ** periods_per_year - 1.0
    return float(alpha), beta


def _check_same_tz_kind(left: pd.Index, right: pd.Index) -> None:
    """Raise DataError if one index is tz-aware and the other naive: they would never align."""
    if isinstance(left, pd.DatetimeIndex) and isinstance(right, pd.DatetimeIndex):
        if (left.tz is None) != (right.tz is None):
            raise DataError(
                "returns and benchmark mix tz-aware and naive timestamps; localize both to UTC first"
            )
