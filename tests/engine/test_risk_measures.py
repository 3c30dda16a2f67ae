"""Risk measures: VaR/CVaR against empyrical/quantstats, Monte Carlo convergence, portfolio VaR, beta, exposure."""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pandas as pd
import pytest
import quantstats as qs
from scipy.stats import norm

from engine.errors import DataError, ParameterError
from engine.risk.measures import (
    RISK_METHODS,
    beta,
    correlation_matrix,
    cvar,
    equal_weights,
    exposure_by_sector,
    monte_carlo_var,
    portfolio_returns,
    portfolio_var,
    returns_frame,
    value_at_risk,
    var_table,
)


@pytest.fixture(scope="module")
def normal_returns() -> pd.Series:
    rng = np.random.default_rng(7)
    index = pd.date_range("2015-01-01", periods=2000, freq="B", tz="UTC", name="ts")
    return pd.Series(rng.normal(0.0004, 0.012, len(index)), index=index)


@pytest.fixture(scope="module")
def goog_returns(goog) -> pd.Series:
    return goog["close"].pct_change().dropna()


@pytest.mark.parametrize("level", [0.95, 0.99])
def test_historical_matches_empyrical(goog_returns, level):
    assert value_at_risk(goog_returns, level, "historical") == pytest.approx(
        empyrical.value_at_risk(goog_returns, cutoff=1 - level), rel=1e-12)
    # empyrical's CVaR averages the k = ⌊(n−1)·α⌋+1 lowest returns; ours the returns at or below the
    # interpolated quantile — the same set whenever that quantile is not between two tied values
    assert cvar(goog_returns, level, "historical") == pytest.approx(
        empyrical.conditional_value_at_risk(goog_returns, cutoff=1 - level), rel=1e-9)


@pytest.mark.parametrize("level", [0.95, 0.99])
def test_parametric_matches_quantstats(goog_returns, level):
    assert value_at_risk(goog_returns, level, "parametric") == pytest.approx(
        qs.stats.value_at_risk(goog_returns, confidence=level, prepare_returns=False), rel=1e-12)
    assert cvar(goog_returns, level, "parametric") == pytest.approx(
        qs.stats.conditional_value_at_risk(goog_returns, confidence=level, prepare_returns=False,
                                           method="parametric"), rel=1e-12)


@pytest.mark.parametrize("level", [0.95, 0.99])
def test_monte_carlo_converges_to_parametric(normal_returns, level):
    mc_var, mc_cvar = monte_carlo_var(normal_returns, level, n_sims=400_000, seed=1)
    assert mc_var == pytest.approx(value_at_risk(normal_returns, level, "parametric"), rel=0.01)
    assert mc_cvar == pytest.approx(cvar(normal_returns, level, "parametric"), rel=0.01)
    # and, the sample being normal, all three methods roughly agree
    assert value_at_risk(normal_returns, level, "historical") == pytest.approx(mc_var, rel=0.08)


def test_monte_carlo_is_seeded_and_cvar_beyond_var(normal_returns):
    a = monte_carlo_var(normal_returns, 0.95, n_sims=10_000, seed=3)
    assert a == monte_carlo_var(normal_returns, 0.95, n_sims=10_000, seed=3)
    assert a != monte_carlo_var(normal_returns, 0.95, n_sims=10_000, seed=4)
    assert a[1] < a[0] < 0


def test_var_table_layout(goog_returns):
    table = var_table(goog_returns, n_sims=20_000)
    assert list(table.columns) == list(RISK_METHODS)
    assert list(table.index) == ["VaR 95%", "CVaR 95%", "VaR 99%", "CVaR 99%"]
    assert table.loc["VaR 99%", "historical"] == value_at_risk(goog_returns, 0.99)
    assert (table.loc["CVaR 99%"] < table.loc["VaR 95%"]).all()


def test_bad_method_and_too_few_sims(goog_returns):
    with pytest.raises(ParameterError, match="method"):
        value_at_risk(goog_returns, 0.95, "garch")
    with pytest.raises(ParameterError, match="n_sims"):
        monte_carlo_var(goog_returns, 0.95, n_sims=10)
    assert math.isnan(monte_carlo_var(goog_returns.iloc[:1])[0])


def two_assets(n: int = 3000, rho: float = 0.6, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cov = np.array([[0.01**2, rho * 0.01 * 0.02], [rho * 0.01 * 0.02, 0.02**2]])
    index = pd.date_range("2012-01-02", periods=n, freq="B", tz="UTC", name="ts")
    return pd.DataFrame(rng.multivariate_normal([0.0005, 0.0002], cov, n), index=index, columns=["A.NS", "B.NS"])


def test_portfolio_var_historical_is_value_weighted_pnl_quantile():
    rets = two_assets()
    values = {"A.NS": 60_000.0, "B.NS": 40_000.0}
    var, es = portfolio_var(values, rets, 0.95, "historical")
    port = portfolio_returns(rets, equal_weights(["A.NS", "B.NS"]) | {"A.NS": 0.6, "B.NS": 0.4})
    assert var == pytest.approx(100_000 * empyrical.value_at_risk(port, 0.05), rel=1e-9)
    assert es == pytest.approx(100_000 * cvar(port, 0.95), rel=1e-9)


def test_portfolio_parametric_uses_the_covariance_and_monte_carlo_agrees():
    rets = two_assets()
    values = {"A.NS": 60_000.0, "B.NS": -20_000.0}  # a short leg
    v = np.array([60_000.0, -20_000.0])
    sd = math.sqrt(v @ rets.cov().to_numpy() @ v)
    expected = float(v @ rets.mean().to_numpy()) + norm.ppf(0.01) * sd
    var, _ = portfolio_var(values, rets, 0.99, "parametric")
    assert var == pytest.approx(expected, rel=1e-9)
    mc_var, mc_es = portfolio_var(values, rets, 0.99, "monte_carlo", n_sims=400_000, seed=5)
    assert mc_var == pytest.approx(expected, rel=0.015)
    assert mc_es == pytest.approx(portfolio_var(values, rets, 0.99, "parametric")[1], rel=0.015)


def test_portfolio_var_needs_history_for_every_position():
    with pytest.raises(DataError, match="no return history"):
        portfolio_var({"C.NS": 1.0}, two_assets(100), 0.95)


def test_beta_matches_empyrical():
    rets = two_assets()
    assert beta(rets["B.NS"], rets["A.NS"]) == pytest.approx(empyrical.beta(rets["B.NS"], rets["A.NS"]), rel=1e-9)
    assert beta(rets["B.NS"], rets["A.NS"]) == pytest.approx(0.6 * 0.02 / 0.01, rel=0.06)  # ρ·σb/σa = 1.2


def test_correlation_matrix():
    corr = correlation_matrix(two_assets())
    assert corr.shape == (2, 2) and corr.loc["A.NS", "A.NS"] == pytest.approx(1.0)
    assert corr.loc["A.NS", "B.NS"] == pytest.approx(0.6, abs=0.03)
    short = correlation_matrix(two_assets(10), min_periods=20)
    assert short.isna().all().all()


def test_returns_frame_aligns_on_shared_dates():
    idx = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    a = pd.Series([100, 110, 99, 99, 108.9], index=idx)
    b = pd.Series([50, 55, 60], index=idx[[0, 1, 3]])
    frame = returns_frame({"A": a, "B": b})
    assert list(frame.index) == [idx[1], idx[3]]
    assert frame.loc[idx[3], "A"] == pytest.approx(99 / 110 - 1)
    assert frame.loc[idx[3], "B"] == pytest.approx(60 / 55 - 1)
    with pytest.raises(DataError, match="sync it"):
        returns_frame({"A": a, "C": pd.Series(dtype=float)})


def test_exposure_by_sector():
    table = exposure_by_sector({"INFY.NS": 30_000, "TCS.NS": 20_000, "SBIN.NS": -25_000, "ZZZZ.NS": 25_000})
    assert list(table["sector"]) == ["Information Technology", "Financial Services", "Unclassified"]
    assert list(table["value"]) == [50_000, 25_000, 25_000]
    assert list(table["net"]) == [50_000, -25_000, 25_000]
    assert list(table["pct"]) == [50.0, 25.0, 25.0]
    assert list(exposure_by_sector({"ZZZZ.NS": 1}, {"ZZZZ.NS": "Metals"})["sector"]) == ["Metals"]
