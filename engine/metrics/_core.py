"""The formulas behind engine.metrics on plain numpy arrays (already cleaned: float64, no NaN).

The public Series functions validate their input and call these; `compute_stats` and the sweep call
them directly on arrays cleaned once, so every figure has exactly one implementation.
"""

from __future__ import annotations

import math

import numpy as np


def total_return(e: np.ndarray) -> float:
    return float(e[-1] / e[0] - 1.0)


def cagr(e: np.ndarray, ppy: float) -> float:
    n_returns = e.size - 1
    if n_returns < 1:
        return math.nan
    return float(e[-1] / e[0]) ** (ppy / n_returns) - 1.0


def simple_returns(e: np.ndarray) -> np.ndarray:
    return e[1:] / e[:-1] - 1.0


def annual_volatility(r: np.ndarray, ppy: float) -> float:
    if r.size < 2:
        return math.nan
    return float(r.std(ddof=1) * math.sqrt(ppy))


def sharpe(excess: np.ndarray, ppy: float) -> float:
    if excess.size < 2 or excess.max() == excess.min():
        return math.nan
    std = float(excess.std(ddof=1))
    return float(excess.mean() / std * math.sqrt(ppy)) if std > 0 else math.nan


def downside_risk(excess: np.ndarray, ppy: float) -> float:
    if excess.size == 0:
        return math.nan
    return float(np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2)) * math.sqrt(ppy))


def sortino(excess: np.ndarray, ppy: float) -> float:
    if excess.size < 2:
        return math.nan
    risk = downside_risk(excess, ppy)
    return float(excess.mean() * ppy / risk) if risk > 0 else math.nan


def max_drawdown(e: np.ndarray) -> float:
    return float((e / np.maximum.accumulate(e) - 1.0).min())


def calmar(e: np.ndarray, ppy: float) -> float:
    mdd = max_drawdown(e)
    if not mdd < 0:
        return math.nan
    ratio = cagr(e, ppy) / abs(mdd)
    return ratio if math.isfinite(ratio) else math.nan


def historical_var(r: np.ndarray, level: float) -> float:
    return _sorted_var(np.sort(r), level) if r.size else math.nan


def historical_cvar(r: np.ndarray, level: float) -> float:
    return _sorted_cvar(np.sort(r), level) if r.size else math.nan


def var_cvar(r: np.ndarray, level: float) -> tuple[float, float]:
    """(historical VaR, CVaR) from one sort of `r`."""
    if r.size == 0:
        return math.nan, math.nan
    ordered = np.sort(r)
    return _sorted_var(ordered, level), _sorted_cvar(ordered, level)


def _sorted_var(ordered: np.ndarray, level: float) -> float:
    """The (1 - level) quantile of ascending `ordered`, linear interpolation: numpy's default method,
    including its lerp (a + (b-a)t below t = 0.5, b - (b-a)(1-t) from there) so the values are equal."""
    pos = (1.0 - level) * (ordered.size - 1)
    lo = min(int(math.floor(pos)), ordered.size - 1)
    hi = min(lo + 1, ordered.size - 1)
    a, b, t = float(ordered[lo]), float(ordered[hi]), pos - lo
    diff = b - a
    return b - diff * (1.0 - t) if t >= 0.5 else a + diff * t


def _sorted_cvar(ordered: np.ndarray, level: float) -> float:
    cut = int(np.searchsorted(ordered, _sorted_var(ordered, level), side="right"))
    return float(ordered[:cut].mean())


def _moments(r: np.ndarray) -> tuple[float, float, float] | None:
    """Sums of the 2nd, 3rd and 4th powers of deviations from the mean; None for a flat series."""
    d = r - r.mean()
    d2 = d * d
    s2 = float(d2.sum())
    if s2 == 0.0 or r.max() == r.min():
        return None
    return s2, float(np.dot(d2, d)), float(np.dot(d2, d2))


def skew(r: np.ndarray) -> float:
    """Bias-corrected sample skewness, as pandas `Series.skew` (adjusted Fisher-Pearson G1)."""
    n = r.size
    sums = _moments(r) if n >= 3 else None
    return math.nan if sums is None else _skew_of(n, *sums)


def kurtosis(r: np.ndarray) -> float:
    """Bias-corrected excess kurtosis, as pandas `Series.kurt` (normal = 0)."""
    n = r.size
    sums = _moments(r) if n >= 4 else None
    return math.nan if sums is None else _kurt_of(n, *sums)


def skew_kurtosis(r: np.ndarray) -> tuple[float, float]:
    """(skew, kurtosis) from one pass over the deviations."""
    n = r.size
    sums = _moments(r) if n >= 3 else None
    if sums is None:
        return math.nan, math.nan
    return _skew_of(n, *sums), (_kurt_of(n, *sums) if n >= 4 else math.nan)


def _skew_of(n: int, s2: float, s3: float, s4: float) -> float:
    m2, m3 = s2 / n, s3 / n
    return math.sqrt(n * (n - 1)) / (n - 2) * m3 / m2**1.5


def _kurt_of(n: int, s2: float, s3: float, s4: float) -> float:
    return (n * (n + 1) * (n - 1) * s4 / ((n - 2) * (n - 3) * s2**2)
            - 3.0 * (n - 1) ** 2 / ((n - 2) * (n - 3)))


def alpha_beta(r: np.ndarray, b: np.ndarray, ppy: float, rf_p: float) -> tuple[float, float]:
    """Paired per-bar returns of the strategy and benchmark → (annualised alpha, beta), as empyrical."""
    if r.size < 2:
        return math.nan, math.nan
    b_centred = b - b.mean()
    var_b = float(np.mean(b_centred**2))
    if var_b < 1e-30:
        return math.nan, math.nan
    beta = float(np.mean(b_centred * r)) / var_b
    alpha = (1.0 + float(np.mean((r - rf_p) - beta * (b - rf_p)))) ** ppy - 1.0
    return float(alpha), beta


def trade_figures(pnl: np.ndarray, pnl_pct: np.ndarray, bars_held: np.ndarray) -> dict[str, float]:
    """Win rate, profit factor, expectancy, average win/loss, best/worst trade and average bars held."""
    n = pnl.size
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    gross_win, gross_loss = float(wins.sum()), float(-losses.sum())
    if gross_loss > 0:
        factor = gross_win / gross_loss
    else:
        factor = math.inf if gross_win > 0 else math.nan
    return {
        "win_rate": float((pnl > 0).mean()) if n else math.nan,
        "profit_factor": factor,
        "expectancy": float(pnl.mean()) if n else math.nan,
        "avg_win": float(wins.mean()) if wins.size else math.nan,
        "avg_loss": float(losses.mean()) if losses.size else math.nan,
        "best_trade": float(pnl_pct.max()) if pnl_pct.size else math.nan,
        "worst_trade": float(pnl_pct.min()) if pnl_pct.size else math.nan,
        "avg_bars_held": float(bars_held.mean()) if bars_held.size else math.nan,
    }
