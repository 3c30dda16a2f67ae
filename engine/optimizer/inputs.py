"""Optimiser inputs: aligned price frames, annualisation, expected-return and risk-model estimates (PyPortfolioOpt)."""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from pypfopt import expected_returns, risk_models

from engine.errors import DataError, OptimizationError

RETURN_METHODS: dict[str, str] = {
    "mean": "Mean historical return (CAGR)",
    "ema": "Exponentially weighted mean return",
    "capm": "CAPM return (beta to the benchmark)",
}
RISK_METHODS: dict[str, str] = {
    "sample": "Sample covariance",
    "ledoit_wolf": "Ledoit-Wolf shrinkage",
    "exp": "Exponentially weighted covariance",
}
MIN_ROWS = 30  # fewer shared days than this make any covariance estimate noise
EMA_SPAN = 500  # bars, PyPortfolioOpt's default for ema_historical_return
EXP_COV_SPAN = 180  # bars, PyPortfolioOpt's default for exp_cov
_CRYPTO = re.compile(r"-(USD|USDT|USDC|INR|EUR|BTC|ETH)$", re.IGNORECASE)


def choice(value: str, options: Iterable[str], what: str) -> str:
    """`value` if it is one of `options`, else OptimizationError with a "did you mean" hint."""
    known = list(options)
    if value in known:
        return value
    close = difflib.get_close_matches(str(value), known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"choose one of {', '.join(known)}"
    raise OptimizationError(f"unknown {what} {value!r}: {hint}")


def is_crypto(symbol: str) -> bool:
    """True for crypto pairs such as BTC-USD (they trade 365 days a year)."""
    return bool(_CRYPTO.search(str(symbol)))


def frequency_for(symbols: Iterable[str]) -> int:
    """Return periods per year of the aligned daily frame: 365 when every column is crypto, else 252.

    A mixed frame keeps only the dates every column traded, i.e. the equity calendar, so 252 is right.
    """
    names = list(symbols)
    return 365 if names and all(is_crypto(s) for s in names) else 252


def prices_frame(closes: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Adjusted daily closes per symbol (columns) on the dates every symbol traded (inner join).

    Raises DataError for an empty or non-positive series, or fewer than MIN_ROWS shared dates.
    """
    if len(closes) < 2:
        raise DataError("pick at least two symbols to optimise a portfolio")
    for symbol, series in closes.items():
        if series is None or series.dropna().empty:
            raise DataError(f"no prices for {symbol}; sync it first with `python -m engine sync --symbols {symbol}`")
    prices = pd.concat({s: c.astype(float) for s, c in closes.items()}, axis=1, join="inner").dropna()
    return check_prices(prices)


def check_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """`prices` as float64 with sorted dates; raises DataError when it cannot feed an optimiser."""
    if not isinstance(prices, pd.DataFrame) or prices.shape[1] < 2:
        raise DataError("pass a prices DataFrame with one column per symbol and at least two symbols")
    if prices.columns.duplicated().any():
        raise DataError(f"duplicate symbols in the prices: {sorted(set(prices.columns[prices.columns.duplicated()]))}")
    values = prices.astype(float).sort_index()
    if values.isna().any().any():
        missing = [str(c) for c in values.columns if values[c].isna().any()]
        raise DataError(f"prices have gaps for {', '.join(missing)}; align the series on shared dates first")
    if not np.isfinite(values.to_numpy()).all() or (values <= 0).any().any():
        raise DataError("prices must be positive, finite numbers (adjusted closes)")
    if len(values) < MIN_ROWS:
        raise DataError(f"only {len(values)} shared trading days; use at least {MIN_ROWS} "
                        "(a longer lookback, or symbols with overlapping history)")
    return values


def estimate_returns(
    prices: pd.DataFrame, method: str = "mean", *, frequency: int = 252,
    benchmark: pd.Series | None = None, risk_free_rate: float = 0.0,
) -> pd.Series:
    """Annualised expected returns (decimal) per symbol.

    mean: compounded historical (CAGR); ema: exponentially weighted (span EMA_SPAN bars); capm:
    rf + beta × (market - rf) with `benchmark` prices as the market (equal-weight proxy without one).
    Raises OptimizationError for an unknown method, DataError for a benchmark without shared dates.
    """
    choice(method, RETURN_METHODS, "expected-return method")
    prices = check_prices(prices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "mean":
            mu = expected_returns.mean_historical_return(prices, frequency=frequency)
        elif method == "ema":
            mu = expected_returns.ema_historical_return(prices, frequency=frequency, span=EMA_SPAN)
        else:
            market = None if benchmark is None else align_benchmark(prices, benchmark).to_frame("market")
            mu = expected_returns.capm_return(prices, market_prices=market, frequency=frequency,
                                              risk_free_rate=risk_free_rate)
    return _finite(mu.astype(float).rename("expected_return"), "expected returns")


def estimate_risk(prices: pd.DataFrame, method: str = "ledoit_wolf", *, frequency: int = 252) -> pd.DataFrame:
    """Annualised covariance matrix of daily simple returns: sample, Ledoit-Wolf (constant variance) or EW.

    Raises OptimizationError for an unknown method.
    """
    choice(method, RISK_METHODS, "risk model")
    prices = check_prices(prices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "matrix is not PSD, fixing" is handled by pypfopt
        if method == "sample":
            cov = risk_models.sample_cov(prices, frequency=frequency)
        elif method == "ledoit_wolf":
            cov = risk_models.CovarianceShrinkage(prices, frequency=frequency).ledoit_wolf()
        else:
            cov = risk_models.exp_cov(prices, frequency=frequency, span=EXP_COV_SPAN)
    cov = cov.astype(float)
    flat = [str(s) for s in cov.columns if not cov.loc[s, s] > 0]
    if flat:
        raise DataError(f"{', '.join(flat)} never moved in the window (zero variance); drop it or widen the lookback")
    return _finite(cov, "covariance")


def align_benchmark(prices: pd.DataFrame, benchmark: pd.Series) -> pd.Series:
    """Benchmark prices on the frame's dates (forward-filled over a missing day); DataError if they barely overlap."""
    bench = benchmark.astype(float).sort_index().reindex(prices.index).ffill()
    if bench.isna().any():
        bench = bench.bfill(limit=1)
    if bench.isna().sum() > 0 or len(bench.dropna()) < MIN_ROWS:
        raise DataError("the benchmark does not cover the optimisation window; sync it for the same dates")
    return bench


def _finite(value: pd.Series | pd.DataFrame, what: str) -> pd.Series | pd.DataFrame:
    array = np.asarray(value, dtype=float)
    if not np.isfinite(array).all():
        raise DataError(f"{what} came out non-finite; check the prices for flat or broken series")
    return value


def annualised_volatility(cov: pd.DataFrame) -> pd.Series:
    """Per-asset annualised volatility (decimal) from an annualised covariance matrix."""
    return pd.Series(np.sqrt(np.diag(cov.to_numpy())), index=cov.index, name="volatility")


__all__ = ["EMA_SPAN", "EXP_COV_SPAN", "MIN_ROWS", "RETURN_METHODS", "RISK_METHODS", "align_benchmark",
           "annualised_volatility", "check_prices", "choice", "estimate_returns",
           "estimate_risk", "frequency_for", "is_crypto", "prices_frame"]
