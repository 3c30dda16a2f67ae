"""Optimiser: wiring against PyPortfolioOpt on the same inputs, and hand-checkable portfolios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pypfopt import EfficientFrontier, HRPOpt, expected_returns, risk_models

from engine.errors import DataError, OptimizationError
from engine.optimizer import (
    Constraints,
    OptimizeSpec,
    efficient_frontier,
    estimate_returns,
    estimate_risk,
    estimates,
    frequency_for,
    optimise,
    optimise_estimates,
    prices_frame,
)
from tests.engine.optimizer_helpers import SECTORS, SYMBOLS, chosen_cov, gbm_prices

TARGETS = {"target_volatility": 0.2, "target_return": 0.12, "risk_aversion": 2.0}


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return gbm_prices()


@pytest.fixture(scope="module")
def mu_cov(prices: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    mu, cov, _, _ = estimates(prices, OptimizeSpec(risk_method="sample"))
    return mu, cov


# --- wiring: the same numbers PyPortfolioOpt gives on the same inputs --------------------------


def test_estimates_equal_pypfopt(prices: pd.DataFrame) -> None:
    market = prices.mean(axis=1).rename("m")
    pd.testing.assert_series_equal(estimate_returns(prices, "mean"), expected_returns.mean_historical_return(prices),
                                   check_names=False)
    pd.testing.assert_series_equal(estimate_returns(prices, "ema"),
                                   expected_returns.ema_historical_return(prices, span=500), check_names=False)
    pd.testing.assert_series_equal(
        estimate_returns(prices, "capm", benchmark=market, risk_free_rate=0.05),
        expected_returns.capm_return(prices, market_prices=market.to_frame(), risk_free_rate=0.05), check_names=False)
    pd.testing.assert_frame_equal(estimate_risk(prices, "sample"), risk_models.sample_cov(prices))
    pd.testing.assert_frame_equal(estimate_risk(prices, "ledoit_wolf"),
                                  risk_models.CovarianceShrinkage(prices).ledoit_wolf())
    pd.testing.assert_frame_equal(estimate_risk(prices, "exp"), risk_models.exp_cov(prices, span=180))
    crypto = prices.rename(columns=lambda s: s.split(".")[0] + "-USD")
    _, cov, frequency, _ = estimates(crypto, OptimizeSpec(risk_method="sample"))
    assert frequency == 365
    pd.testing.assert_frame_equal(cov, risk_models.sample_cov(crypto, frequency=365))


@pytest.mark.parametrize("objective", ["max_sharpe", "min_volatility", "efficient_risk", "efficient_return",
                                       "max_quadratic_utility"])
def test_objectives_equal_pypfopt(objective: str, mu_cov: tuple[pd.Series, pd.DataFrame]) -> None:
    mu, cov = mu_cov
    constraints = Constraints(0.02, 0.45)
    ours = optimise_estimates(mu, cov, OptimizeSpec(objective=objective, risk_free_rate=0.03,
                                                    constraints=constraints, **TARGETS))
    ef = EfficientFrontier(mu, cov, weight_bounds=(0.02, 0.45), solver="CLARABEL")
    call = {"max_sharpe": lambda: ef.max_sharpe(risk_free_rate=0.03), "min_volatility": ef.min_volatility,
            "efficient_risk": lambda: ef.efficient_risk(0.2), "efficient_return": lambda: ef.efficient_return(0.12),
            "max_quadratic_utility": lambda: ef.max_quadratic_utility(risk_aversion=2.0)}[objective]
    call()
    np.testing.assert_allclose(ours.raw_weights.to_numpy(), ef.weights, atol=1e-7)
    assert ours.weights == pytest.approx(dict(ef.clean_weights()), abs=2e-5)
    assert (ours.expected_return, ours.volatility, ours.sharpe) == pytest.approx(
        ef.portfolio_performance(risk_free_rate=0.03), rel=1e-6)
    assert ours.status == "optimal" and ours.solver == "CLARABEL"


def test_default_solver_agrees_with_pypfopt_default(mu_cov: tuple[pd.Series, pd.DataFrame]) -> None:
    mu, cov = mu_cov
    ef = EfficientFrontier(mu, cov)  # cvxpy's own choice (OSQP for this QP)
    ef.max_sharpe()
    ours = optimise_estimates(mu, cov, OptimizeSpec())
    np.testing.assert_allclose(ours.raw_weights.to_numpy(), ef.weights, atol=1e-4)


def test_l2_and_sector_caps_are_pypfopt_constraints(mu_cov: tuple[pd.Series, pd.DataFrame]) -> None:
    from pypfopt import objective_functions

    mu, cov = mu_cov
    caps = {"Financial Services": 0.3, "Information Technology": 0.4}
    ours = optimise_estimates(mu, cov, OptimizeSpec(objective="min_volatility", constraints=Constraints(
        0.0, 0.5, SECTORS, caps, l2_gamma=0.5)))
    ef = EfficientFrontier(mu, cov, weight_bounds=(0, 0.5), solver="CLARABEL")
    ef.add_sector_constraints(SECTORS, {}, caps)
    ef.add_objective(objective_functions.L2_reg, gamma=0.5)
    ef.min_volatility()
    np.testing.assert_allclose(ours.raw_weights.to_numpy(), ef.weights, atol=1e-7)


def test_hrp_equals_pypfopt_and_is_long_only(prices: pd.DataFrame) -> None:
    result = optimise(prices, OptimizeSpec(objective="hrp", risk_method="sample"))
    reference = HRPOpt(prices.pct_change().dropna()).optimize()  # returns-based: same clusters and weights
    assert result.weights == pytest.approx(dict(reference), abs=1e-5)
    assert all(w > 0 for w in result.weights.values())
    assert sum(result.weights.values()) == pytest.approx(1.0, abs=1e-4)
    assert result.status == "closed form"


# --- hand-checkable portfolios ------------------------------------------------------------------


def test_two_uncorrelated_assets_min_vol_is_inverse_variance() -> None:
    vols = np.array([0.2, 0.4])
    cov = pd.DataFrame(np.diag(vols**2), index=["A", "B"], columns=["A", "B"])
    mu = pd.Series([0.1, 0.1], index=["A", "B"])
    result = optimise_estimates(mu, cov, OptimizeSpec(objective="min_volatility"))
    # w_A = (1/0.04) / (1/0.04 + 1/0.16) = 0.8; vol = sqrt(0.8²·0.04 + 0.2²·0.16) = sqrt(0.032) ≈ 17.89%
    assert result.weights == pytest.approx({"A": 0.8, "B": 0.2}, abs=1e-5)
    assert result.volatility == pytest.approx(np.sqrt(0.032), rel=1e-6)


def test_two_uncorrelated_gbm_assets_from_prices() -> None:
    cov = np.diag([0.15**2, 0.30**2])
    prices = gbm_prices(cov, np.array([0.1, 0.1]), days=252 * 8, symbols=("A", "B"), seed=3)
    result = optimise(prices, OptimizeSpec(objective="min_volatility", risk_method="sample"))
    assert result.weights["A"] == pytest.approx(0.8, abs=0.03)  # 1/0.0225 / (1/0.0225 + 1/0.09)


def test_max_sharpe_of_uncorrelated_assets_is_excess_return_over_variance() -> None:
    vols, mu = np.array([0.2, 0.3]), pd.Series([0.10, 0.15], index=["A", "B"])
    cov = pd.DataFrame(np.diag(vols**2), index=mu.index, columns=mu.index)
    result = optimise_estimates(mu, cov, OptimizeSpec(risk_free_rate=0.04))
    raw = (mu - 0.04) / vols**2  # tangency: Σ⁻¹(μ - rf), normalised → 1.5 : 1.2222
    assert result.weights == pytest.approx((raw / raw.sum()).to_dict(), abs=1e-5)


@pytest.mark.parametrize("objective", ["max_sharpe", "min_volatility", "efficient_risk", "efficient_return",
                                       "max_quadratic_utility"])
def test_weights_sum_to_one_within_bounds_and_sector_caps(objective: str, prices: pd.DataFrame) -> None:
    caps = {"Financial Services": 0.35, "Information Technology": 0.3}
    targets = {**TARGETS, "target_return": 0.10}  # reachable under these caps (the best is 11.4%)
    spec = OptimizeSpec(objective=objective, constraints=Constraints(0.05, 0.4, SECTORS, caps), **targets)
    result = optimise(prices, spec)
    w = result.raw_weights
    assert w.sum() == pytest.approx(1.0, abs=1e-6)
    assert w.min() >= 0.05 - 1e-6 and w.max() <= 0.4 + 1e-6
    by_sector = w.groupby(pd.Series(SECTORS)).sum()
    assert by_sector["Financial Services"] <= 0.35 + 1e-6 and by_sector["Information Technology"] <= 0.3 + 1e-6
    assert sum(result.weights.values()) == pytest.approx(1.0, abs=1e-4)


def test_sector_cap_binds_when_it_should(mu_cov: tuple[pd.Series, pd.DataFrame]) -> None:
    mu, cov = mu_cov
    free = optimise_estimates(mu, cov, OptimizeSpec())
    by_sector = free.raw_weights.groupby(pd.Series(SECTORS)).sum()
    heaviest = by_sector.idxmax()
    cap = round(by_sector.max() / 2, 2)
    capped = optimise_estimates(mu, cov, OptimizeSpec(constraints=Constraints(
        sector_map=SECTORS, sector_caps={heaviest: cap})))
    members = [s for s in SYMBOLS if SECTORS[s] == heaviest]
    assert capped.raw_weights[members].sum() == pytest.approx(cap, abs=1e-6)
    assert capped.sharpe < free.sharpe


def test_demo_provider_prices() -> None:
    from engine.data.providers.demo import generate_demo_bars

    now = pd.Timestamp("2024-06-28", tz="UTC")
    closes = {s: generate_demo_bars(s, "1d", "2021-01-01", now=now, end=now)["adj_close"] for s in SYMBOLS[:4]}
    result = optimise(prices_frame(closes), OptimizeSpec(objective="min_volatility"))
    assert set(result.weights) == set(SYMBOLS[:4])
    assert sum(result.weights.values()) == pytest.approx(1.0, abs=1e-4)
    assert 0 < result.volatility < 1 and result.frequency == 252


# --- infeasible and bad input -------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "message"), [
    (OptimizeSpec(constraints=Constraints(max_weight=0.1)), "max weight 10.0% × 6 assets = 60.0% < 100%"),
    (OptimizeSpec(constraints=Constraints(min_weight=0.3, max_weight=0.2)), "min weight 30.0% is above max weight"),
    (OptimizeSpec(constraints=Constraints(min_weight=0.2)), "lower the min weight to at most 16.6%"),
    (OptimizeSpec(constraints=Constraints(max_weight=0.4, sector_map=SECTORS, sector_caps={
        "Financial Services": 0.2, "Information Technology": 0.2})), "leave at most 80.0% investable"),
    (OptimizeSpec(constraints=Constraints(min_weight=0.1, sector_map=SECTORS, sector_caps={
        "Financial Services": 0.2})), "already need 30.0%"),
    (OptimizeSpec(objective="efficient_risk", target_volatility=0.05), "below the lowest volatility reachable"),
    (OptimizeSpec(objective="efficient_return", target_return=0.9), "above the highest expected return"),
    (OptimizeSpec(risk_free_rate=0.9), "expects more than the risk-free rate 90.00%"),
    (OptimizeSpec(objective="hrp", constraints=Constraints(max_weight=0.3)), "hierarchical risk parity takes no"),
    (OptimizeSpec(objective="efficient_risk"), "needs a target volatility"),
    (OptimizeSpec(objective="max_sharp"), "did you mean 'max_sharpe'"),
    (OptimizeSpec(risk_method="ledoit"), "did you mean 'ledoit_wolf'"),
])
def test_infeasible_is_an_optimization_error_that_says_what_to_fix(
    spec: OptimizeSpec, message: str, prices: pd.DataFrame,
) -> None:
    with pytest.raises(OptimizationError, match=None) as info:
        optimise(prices, spec)
    assert message in str(info.value)


def test_target_vol_check_uses_the_constrained_minimum(mu_cov: tuple[pd.Series, pd.DataFrame]) -> None:
    mu, cov = mu_cov
    unconstrained = optimise_estimates(mu, cov, OptimizeSpec(objective="min_volatility")).volatility
    bounded = Constraints(max_weight=0.2)  # forces weight into the riskier assets
    low = optimise_estimates(mu, cov, OptimizeSpec(objective="min_volatility", constraints=bounded)).volatility
    assert low > unconstrained
    between = (low + unconstrained) / 2  # pypfopt's own unconstrained check would let this through
    with pytest.raises(OptimizationError, match="raise the target to at least"):
        optimise_estimates(mu, cov, OptimizeSpec(objective="efficient_risk", target_volatility=between,
                                                 constraints=bounded))
    ok = optimise_estimates(mu, cov, OptimizeSpec(objective="efficient_risk", target_volatility=low * 1.05,
                                                  constraints=bounded))
    assert ok.volatility <= low * 1.05 + 1e-6


def test_bad_prices_are_data_errors(prices: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="at least two symbols"):
        prices_frame({"A": prices.iloc[:, 0]})
    with pytest.raises(DataError, match="only 10 shared trading days"):
        optimise(prices.head(10))
    with pytest.raises(DataError, match="sync it first"):
        prices_frame({"A": prices.iloc[:, 0], "B": pd.Series(dtype=float)})


def test_frequency_for_crypto() -> None:
    assert frequency_for(["BTC-USD", "ETH-USD"]) == 365
    assert frequency_for(["BTC-USD", "INFY.NS"]) == 252  # shared dates follow the equity calendar
    assert frequency_for(["INFY.NS", "TCS.NS"]) == 252


# --- efficient frontier -------------------------------------------------------------------------


def test_frontier_is_monotone_and_brackets_the_landmarks(mu_cov: tuple[pd.Series, pd.DataFrame]) -> None:
    mu, cov = mu_cov
    frontier = efficient_frontier(mu, cov, Constraints(0.0, 0.5), n_points=12, risk_free_rate=0.02)
    curve = frontier.curve
    assert len(curve) == 12 and frontier.failed_points == 0
    assert curve["expected_return"].is_monotonic_increasing
    assert (np.diff(curve["volatility"]) >= -1e-7).all(), "more return never costs less risk on the frontier"
    low = optimise_estimates(mu, cov, OptimizeSpec(objective="min_volatility", constraints=Constraints(0.0, 0.5)))
    assert frontier.min_volatility.volatility == pytest.approx(low.volatility, rel=1e-5)
    assert curve["volatility"].iloc[0] == pytest.approx(low.volatility, rel=1e-5)
    tangent = optimise_estimates(mu, cov, OptimizeSpec(risk_free_rate=0.02, constraints=Constraints(0.0, 0.5)))
    assert frontier.max_sharpe.sharpe == pytest.approx(tangent.sharpe, rel=1e-5)
    assert frontier.max_sharpe.sharpe >= curve["sharpe"].max() - 1e-6
    assert curve["expected_return"].iloc[-1] <= mu.max() + 1e-9
    assert list(frontier.assets.index) == list(mu.index)
    assert frontier.assets["volatility"].to_numpy() == pytest.approx(np.sqrt(np.diag(cov)))


def test_frontier_and_chosen_portfolio_figure(mu_cov: tuple[pd.Series, pd.DataFrame]) -> None:
    from engine.optimizer.charts import frontier_figure, weights_figure
    from engine.optimizer.frontier import PortfolioPoint

    mu, cov = mu_cov
    result = optimise_estimates(mu, cov, OptimizeSpec(objective="efficient_risk", target_volatility=0.2))
    fig = frontier_figure(efficient_frontier(mu, cov, n_points=5),
                          PortfolioPoint(result.volatility, result.expected_return, result.sharpe))
    assert [t.name for t in fig.data] == ["Efficient frontier", "Assets", "Min volatility", "Max Sharpe",
                                          "Chosen portfolio"]
    bars = weights_figure(result.weights)
    assert list(bars.data[0].y)[-1] == max(result.held(), key=result.held().get)  # largest on top


def test_estimates_with_chosen_covariance_recover_it() -> None:
    prices = gbm_prices(days=252 * 12, seed=11)
    cov = estimate_risk(prices, "sample")
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), np.sqrt(np.diag(chosen_cov())), rtol=0.05)


def test_l2_spreads_weights_and_max_sharpe_says_it_is_approximate(mu_cov: tuple[pd.Series, pd.DataFrame]) -> None:
    mu, cov = mu_cov
    plain = optimise_estimates(mu, cov, OptimizeSpec(objective="max_quadratic_utility", risk_aversion=2.0))
    spread = optimise_estimates(mu, cov, OptimizeSpec(objective="max_quadratic_utility", risk_aversion=2.0,
                                                      constraints=Constraints(l2_gamma=1.0)))
    assert len(spread.held()) > len(plain.held())
    assert (spread.raw_weights**2).sum() < (plain.raw_weights**2).sum()
    sharpe = optimise_estimates(mu, cov, OptimizeSpec(constraints=Constraints(l2_gamma=0.1)))
    assert any(n.startswith("L2 with max Sharpe acts on PyPortfolioOpt's scaled weights") for n in sharpe.notes)


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (0.05, 0.3), (0.1, 0.2), (0.0, 0.17)])
def test_max_return_of_box_bounds_equals_the_lp(low: float, high: float, mu_cov: tuple[pd.Series, pd.DataFrame]) -> None:
    from scipy.optimize import linprog

    from engine.optimizer import max_return

    mu, _ = mu_cov
    best, weights = max_return(mu, Constraints(low, high))
    lp = linprog(-mu.to_numpy(), A_eq=np.ones((1, len(mu))), b_eq=[1.0], bounds=[(low, high)] * len(mu))
    assert best == pytest.approx(-lp.fun, abs=1e-12)
    assert weights.sum() == pytest.approx(1.0) and weights.min() >= low - 1e-12 and weights.max() <= high + 1e-12
