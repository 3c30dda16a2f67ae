"""Black-Litterman: prior by hand, no views = prior, confidences at 0 and 100%, wiring against PyPortfolioOpt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pypfopt import BlackLittermanModel, market_implied_prior_returns, market_implied_risk_aversion

from engine.errors import OptimizationError
from engine.optimizer import (
    BlackLittermanSpec,
    OptimizeSpec,
    View,
    estimate_risk,
    optimise,
    parse_view,
    posterior,
)
from tests.engine.optimizer_helpers import SYMBOLS, gbm_prices


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return gbm_prices(seed=5)


@pytest.fixture(scope="module")
def cov(prices: pd.DataFrame) -> pd.DataFrame:
    return estimate_risk(prices, "sample")


def test_prior_is_delta_sigma_market_weights_plus_rf(cov: pd.DataFrame) -> None:
    caps = {s: float(i + 1) for i, s in enumerate(SYMBOLS)}  # caps 1..6 → weights i/21
    post = posterior(cov, BlackLittermanSpec(market_caps=caps, risk_aversion=3.0), risk_free_rate=0.05)
    w = np.arange(1, 7) / 21
    np.testing.assert_allclose(post.prior.to_numpy(), 3.0 * cov.to_numpy() @ w + 0.05, rtol=1e-12)
    pd.testing.assert_series_equal(post.prior, market_implied_prior_returns(caps, 3.0, cov, 0.05),
                                   check_names=False)


def test_no_views_posterior_equals_prior(cov: pd.DataFrame) -> None:
    post = posterior(cov, BlackLittermanSpec())
    pd.testing.assert_series_equal(post.returns, post.prior, check_names=False)
    np.testing.assert_allclose(post.cov.to_numpy(), 1.05 * cov.to_numpy())  # (1 + tau) Σ
    assert (post.delta, post.delta_source) == (2.5, "default")
    # equal caps when unknown: every asset's weight is 1/6
    np.testing.assert_allclose(post.prior.to_numpy(), 2.5 * cov.to_numpy() @ np.full(6, 1 / 6))


def test_zero_confidence_view_leaves_the_prior(cov: pd.DataFrame) -> None:
    post = posterior(cov, BlackLittermanSpec(views=(View("TCS.NS", 0.5, confidence=0.0),)))
    np.testing.assert_allclose(post.returns.to_numpy(), post.prior.to_numpy(), atol=1e-6)


def test_full_confidence_views_are_met_exactly(cov: pd.DataFrame) -> None:
    views = (View("TCS.NS", 0.10, confidence=1.0), View("INFY.NS", 0.02, versus="SBIN.NS", confidence=1.0))
    post = posterior(cov, BlackLittermanSpec(views=views))
    assert post.returns["TCS.NS"] == pytest.approx(0.10, abs=1e-9)
    assert post.returns["INFY.NS"] - post.returns["SBIN.NS"] == pytest.approx(0.02, abs=1e-9)
    assert post.omega == "Idzorek (view confidences)"


def test_partial_confidence_moves_part_way(cov: pd.DataFrame) -> None:
    low = posterior(cov, BlackLittermanSpec(views=(View("TCS.NS", 0.30, confidence=0.25),)))
    high = posterior(cov, BlackLittermanSpec(views=(View("TCS.NS", 0.30, confidence=0.75),)))
    prior = low.prior["TCS.NS"]
    assert prior < low.returns["TCS.NS"] < high.returns["TCS.NS"] < 0.30


def test_posterior_equals_pypfopt(cov: pd.DataFrame, prices: pd.DataFrame) -> None:
    market = prices.mean(axis=1)
    caps = {s: 10.0 + i for i, s in enumerate(SYMBOLS)}
    views = (View("TCS.NS", 0.12, confidence=0.6), View("HDFCBANK.NS", 0.04, confidence=0.3))
    post = posterior(cov, BlackLittermanSpec(views=views, market_caps=caps), benchmark=market, risk_free_rate=0.02)
    delta = market_implied_risk_aversion(market, risk_free_rate=0.02)
    assert post.delta == pytest.approx(delta) and post.delta_source == "implied by the benchmark"
    ref = BlackLittermanModel(cov, pi="market", market_caps=caps, risk_aversion=delta, risk_free_rate=0.02,
                              absolute_views={"TCS.NS": 0.12, "HDFCBANK.NS": 0.04}, omega="idzorek",
                              view_confidences=[0.6, 0.3])
    pd.testing.assert_series_equal(post.returns, ref.bl_returns(), check_names=False, rtol=1e-10)
    pd.testing.assert_frame_equal(post.cov, ref.bl_cov(), rtol=1e-10)


def test_default_omega_without_confidences_equals_pypfopt(cov: pd.DataFrame) -> None:
    post = posterior(cov, BlackLittermanSpec(views=(View("INFY.NS", 0.03, versus="TCS.NS"),)))
    p = np.zeros((1, 6))
    p[0, SYMBOLS.index("INFY.NS")], p[0, SYMBOLS.index("TCS.NS")] = 1, -1
    ref = BlackLittermanModel(cov, pi=post.prior, Q=np.array([0.03]), P=p)
    pd.testing.assert_series_equal(post.returns, ref.bl_returns(), check_names=False, rtol=1e-10)
    assert post.omega == "He-Litterman default"


def test_optimise_with_views_uses_the_posterior(prices: pd.DataFrame) -> None:
    bullish = BlackLittermanSpec(views=(View("SBIN.NS", 0.40, confidence=0.9),))
    plain = optimise(prices, OptimizeSpec(risk_method="sample", black_litterman=BlackLittermanSpec()))
    tilted = optimise(prices, OptimizeSpec(risk_method="sample", black_litterman=bullish))
    assert tilted.weights["SBIN.NS"] > plain.weights["SBIN.NS"] + 0.1
    assert "Black-Litterman (1 views" in tilted.method
    pd.testing.assert_series_equal(tilted.expected_returns, tilted.posterior.returns)


@pytest.mark.parametrize(("views", "message"), [
    ((View("WIPRO.NS", 0.1),), "not among the optimised symbols"),
    ((View("TSC.NS", 0.1),), "did you mean TCS.NS?"),
    ((View("TCS.NS", 0.1, versus="TCS.NS"),), "compares it with itself"),
    ((View("TCS.NS", 0.1, confidence=0.5), View("INFY.NS", 0.1)), "every view or to none"),
    ((View("TCS.NS", 0.1, confidence=1.5),), "between 0 and 1"),
])
def test_bad_views(cov: pd.DataFrame, views: tuple[View, ...], message: str) -> None:
    with pytest.raises(OptimizationError) as info:
        posterior(cov, BlackLittermanSpec(views=views))
    assert message in str(info.value)


def test_falling_benchmark_cannot_imply_a_risk_aversion(cov: pd.DataFrame, prices: pd.DataFrame) -> None:
    falling = pd.Series(np.linspace(100, 60, len(prices)), index=prices.index)
    with pytest.raises(OptimizationError, match="set the risk aversion"):
        posterior(cov, BlackLittermanSpec(), benchmark=falling)
    with pytest.raises(OptimizationError, match="missing for"):
        posterior(cov, BlackLittermanSpec(market_caps={"TCS.NS": 1.0}))


def test_parse_view() -> None:
    assert parse_view("tcs.ns=0.10@0.6") == View("TCS.NS", 0.10, None, 0.6)
    assert parse_view("INFY.NS>TCS.NS=2%") == View("INFY.NS", 0.02, "TCS.NS", None)
    assert parse_view("INFY.NS > TCS.NS = -1.5% @ 40%") == View("INFY.NS", -0.015, "TCS.NS", 0.4)
    assert parse_view("TCS.NS=0.1").describe() == "TCS.NS returns 10.0%"
    with pytest.raises(OptimizationError, match="cannot read the view"):
        parse_view("TCS.NS up a lot")
