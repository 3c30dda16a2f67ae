"""Black-Litterman: market-implied prior, absolute and relative views with Idzorek confidences (PyPortfolioOpt)."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pypfopt import black_litterman as bl

from engine.errors import OptimizationError

DEFAULT_DELTA = 2.5  # market risk aversion used without a benchmark (He & Litterman's customary value)
_VIEW_TEXT = re.compile(r"^\s*([^=>@\s]+)\s*(?:>\s*([^=>@\s]+)\s*)?=\s*([-+]?[\d.]+%?)\s*(?:@\s*([\d.]+%?))?\s*$")


@dataclass(frozen=True)
class View:
    """An opinion on annual returns (decimal): `asset` returns `value`, or beats `versus` by `value`.

    `confidence` (0–1) sets the view's uncertainty by Idzorek's method; leave it None on every view
    to use He-Litterman's default (uncertainty proportional to the view portfolio's variance).
    """

    asset: str
    value: float
    versus: str | None = None
    confidence: float | None = None

    @property
    def is_relative(self) -> bool:
        return self.versus is not None

    def describe(self) -> str:
        conf = "" if self.confidence is None else f" (confidence {self.confidence:.0%})"
        if self.is_relative:
            return f"{self.asset} outperforms {self.versus} by {self.value:.1%}{conf}"
        return f"{self.asset} returns {self.value:.1%}{conf}"


@dataclass(frozen=True)
class BlackLittermanSpec:
    """Views plus the prior's inputs: market caps (equal when None) and delta (None: from the benchmark)."""

    views: tuple[View, ...] = ()
    market_caps: Mapping[str, float] | None = None
    risk_aversion: float | None = None
    tau: float = 0.05


@dataclass(frozen=True)
class Posterior:
    """Prior and posterior annual returns, posterior covariance, and how delta and omega were set."""

    prior: pd.Series
    returns: pd.Series
    cov: pd.DataFrame
    delta: float
    delta_source: str
    omega: str
    views: tuple[View, ...] = field(default_factory=tuple)


def parse_view(text: str) -> View:
    """'TCS.NS=0.10@0.6' (absolute) or 'INFY.NS>TCS.NS=2%@0.5' (relative); '@confidence' is optional."""
    match = _VIEW_TEXT.match(str(text))
    if not match:
        raise OptimizationError(f"cannot read the view {text!r}: write SYMBOL=RETURN[@CONFIDENCE] such as "
                                "TCS.NS=0.10@0.6, or A>B=0.02 for 'A outperforms B by 2%'")
    asset, versus, value, conf = match.groups()
    return View(asset.upper(), _number(value), versus.upper() if versus else None,
                None if conf is None else _number(conf))


def _number(text: str) -> float:
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def view_matrices(views: Sequence[View], tickers: Sequence[str]) -> tuple[pd.DataFrame, pd.Series]:
    """The picking matrix P (views × assets) and view returns Q; raises OptimizationError for unknown assets."""
    names = list(tickers)
    rows = []
    for view in views:
        row = pd.Series(0.0, index=names)
        row[_known(view.asset, names)] = 1.0
        if view.is_relative:
            other = _known(str(view.versus), names)
            if other == view.asset:
                raise OptimizationError(f"the view on {view.asset} compares it with itself; pick another asset")
            row[other] = -1.0
        if not math.isfinite(view.value):
            raise OptimizationError(f"the view on {view.asset} needs a finite return, got {view.value!r}")
        rows.append(row)
    labels = [v.describe() for v in views]
    return pd.DataFrame(rows, index=labels, columns=names), pd.Series([v.value for v in views], index=labels)


def _known(asset: str, names: list[str]) -> str:
    if asset in names:
        return asset
    close = difflib.get_close_matches(asset, names, n=1)
    hint = f"did you mean {close[0]}?" if close else "add it to the symbols or drop the view"
    raise OptimizationError(f"a view names {asset}, which is not among the optimised symbols: {hint}")


def market_weights(tickers: Sequence[str], caps: Mapping[str, float] | None) -> pd.Series:
    """Market-cap weights; equal weights when no caps are known. Raises OptimizationError for partial caps."""
    names = list(tickers)
    if not caps:
        return pd.Series(1.0 / len(names), index=names)
    missing = [t for t in names if t not in caps]
    if missing:
        raise OptimizationError(f"market caps are missing for {', '.join(missing)}: give a cap for every symbol "
                                "or none (equal caps)")
    values = pd.Series({t: float(caps[t]) for t in names})
    if not (values > 0).all() or not np.isfinite(values).all():
        raise OptimizationError("market caps must be positive numbers")
    return values / values.sum()


def implied_risk_aversion(benchmark: pd.Series, frequency: int = 252, risk_free_rate: float = 0.0) -> float:
    """Delta = (annual market return - rf) / annual market variance from benchmark prices.

    Raises OptimizationError when the benchmark did not beat rf over the window (delta would be ≤ 0).
    """
    delta = float(bl.market_implied_risk_aversion(benchmark.astype(float), frequency=frequency,
                                                  risk_free_rate=risk_free_rate))
    if not math.isfinite(delta) or delta <= 0:
        raise OptimizationError(
            f"the benchmark returned less than the risk-free rate over the window, so its implied risk aversion "
            f"is {delta:.2f}; set the risk aversion (delta, e.g. {DEFAULT_DELTA}) yourself or use a longer window")
    return delta


def posterior(
    cov: pd.DataFrame, spec: BlackLittermanSpec, *, benchmark: pd.Series | None = None, frequency: int = 252,
    risk_free_rate: float = 0.0,
) -> Posterior:
    """Black-Litterman posterior returns and covariance (annual) from the market-implied prior and the views.

    Prior: pi = delta·Σ·w_mkt + rf. Without views the posterior returns equal the prior and the
    covariance is (1 + tau)·Σ, as the model gives. Raises OptimizationError for bad views or inputs.
    """
    if not 0 < spec.tau <= 1:
        raise OptimizationError(f"tau must be in (0, 1], got {spec.tau!r}")
    delta, source = _delta(spec, benchmark, frequency, risk_free_rate)
    w_mkt = market_weights(list(cov.columns), spec.market_caps)
    prior = bl.market_implied_prior_returns(w_mkt, delta, cov, risk_free_rate).rename("prior")
    if not spec.views:
        return Posterior(prior, prior.rename("posterior"), cov * (1 + spec.tau), delta, source, "no views")
    p, q = view_matrices(spec.views, list(cov.columns))
    omega, omega_label = _omega(spec.views)
    try:
        model = bl.BlackLittermanModel(cov, pi=prior, Q=q.to_numpy(), P=p.to_numpy(), omega=omega,
                                       view_confidences=[v.confidence for v in spec.views] if omega else None,
                                       tau=spec.tau, risk_aversion=delta)
        returns, post_cov = model.bl_returns(), model.bl_cov()
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise OptimizationError(f"Black-Litterman could not combine the views: {exc}") from None
    return Posterior(prior, returns.rename("posterior"), post_cov, delta, source, omega_label, tuple(spec.views))


def _delta(spec: BlackLittermanSpec, benchmark: pd.Series | None, frequency: int, rf: float) -> tuple[float, str]:
    if spec.risk_aversion is not None:
        if not spec.risk_aversion > 0:
            raise OptimizationError(f"risk aversion (delta) must be positive, got {spec.risk_aversion!r}")
        return float(spec.risk_aversion), "given"
    if benchmark is not None:
        return implied_risk_aversion(benchmark, frequency, rf), "implied by the benchmark"
    return DEFAULT_DELTA, "default"


def _omega(views: Sequence[View]) -> tuple[str | None, str]:
    given = [v.confidence is not None for v in views]
    if all(given):
        for v in views:
            if not 0 <= float(v.confidence) <= 1:  # type: ignore[arg-type]
                raise OptimizationError(f"confidence of '{v.describe()}' must be between 0 and 1")
        return "idzorek", "Idzorek (view confidences)"
    if any(given):
        raise OptimizationError("give a confidence to every view or to none (none: He-Litterman uncertainty)")
    return None, "He-Litterman default"
