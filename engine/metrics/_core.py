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
    return float(np.quantile(r, 1.0 - level)) if r.size else math.nan


def historical_cvar(r: np.ndarray, level: float) -> float:
    if r.size == 0:
        return math.nan
    return float(r[r <= np.quantile(r, 1.0 - level)].mean())


def skew(r: np.ndarray) -> float:
    """Bias-corrected sample skewness, as pandas `Series.skew` (adjusted Fisher-Pearson G1)."""
    n = r.size
    if n < 3 or r.max() == r.min():
        return math.nan
    d = r - r.mean()
    m2, m3 = float(np.mean(d**2)), float(np.mean(d**3))
    return math.sqrt(n * (n - 1)) / (n - 2) * m3 / m2**1.5


def kurtosis(r: np.ndarray) -> float:
    """Bias-corrected excess kurtosis, as pandas `Series.kurt` (normal = 0)."""
    n = r.size
    if n < 4 or r.max() == r.min():
        return math.nan
    d = r - r.mean()
    s2, s4 = float(np.sum(d**2)), float(np.sum(d**4))
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
