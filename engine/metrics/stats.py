"""One call for the full statistics table of a run, plus a one-line convention per figure."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import ParameterError
from engine.metrics import _core
from engine.metrics import drawdown as dd
from engine.metrics import returns as rt
from engine.metrics import trades as tr
from engine.metrics._inputs import check_periods_per_year, clean_equity, per_period_rf

_A = "annualised with periods_per_year (252 equities/indices, 365 crypto)"
_RF = "rf annual, de-annualised geometrically (1+rf)^(1/periods)-1"

METRIC_CONVENTIONS: dict[str, str] = {
    "start": "Start: timestamp of the first non-missing equity bar.",
    "end": "End: timestamp of the last non-missing equity bar.",
    "duration_days": "Duration: calendar days from start to end.",
    "initial_equity": "Initial equity: account value at the first bar, in account currency.",
    "final_equity": "Final equity: account value at the last bar, in account currency.",
    "total_return": "Total return: final / initial equity - 1 (decimal).",
    "cagr": "CAGR: (final/initial)^(periods/n_returns) - 1, years = number of returns / periods per year "
    "(empyrical annual_return), not calendar time.",
    "annual_volatility": f"Volatility: std of simple returns (ddof=1) × √periods; {_A}; as quantstats/empyrical.",
    "sharpe": f"Sharpe: mean excess return / std (ddof=1) × √periods; {_RF}; as quantstats/empyrical; "
    "NaN for a flat curve.",
    "sortino": "Sortino: mean excess return × periods / (√mean(min(r - rf, 0)²) over ALL periods × √periods); "
    f"{_RF}; as empyrical/quantstats; NaN with no downside.",
    "calmar": "Calmar: CAGR / |max drawdown| (empyrical calmar_ratio); NaN with no drawdown.",
    "max_drawdown": "Max drawdown: lowest equity / running peak - 1, a negative decimal; the first bar anchors "
    "the peak.",
    "max_drawdown_duration_days": "Max drawdown duration: calendar days of the longest peak-to-recovery "
    "(or to the last bar if not recovered).",
    "var_95": "VaR 95%: historical 5% quantile of per-bar returns, linear interpolation (empyrical); negative "
    "decimal, one bar.",
    "cvar_95": "CVaR 95%: mean of per-bar returns at or below the historical VaR (quantstats historical "
    "expected shortfall); negative decimal.",
    "skew": "Skew: bias-corrected sample skewness of per-bar returns (pandas/quantstats).",
    "kurtosis": "Kurtosis: bias-corrected excess kurtosis of per-bar returns, normal = 0 (pandas/quantstats).",
    "exposure": "Exposure: fraction of bars with an open position (decimal), from the backtest.",
    "n_trades": "Trades: number of closed round trips.",
    "win_rate": "Win rate: fraction of trades with net pnl > 0; break-even trades are not wins.",
    "profit_factor": "Profit factor: gross winning pnl / |gross losing pnl|, net of costs; inf with no losses.",
    "expectancy": "Expectancy: mean net pnl per trade, in account currency.",
    "avg_win": "Avg win: mean net pnl of winning trades, in account currency.",
    "avg_loss": "Avg loss: mean net pnl of losing trades, in account currency (negative).",
    "best_trade": "Best trade: highest trade return pnl_pct (decimal).",
    "worst_trade": "Worst trade: lowest trade return pnl_pct (decimal).",
    "avg_bars_held": "Avg bars held: mean bars from entry to exit per trade.",
    "alpha": f"Alpha: (1 + mean((r - rf) - beta·(b - rf)))^periods - 1 against the benchmark; {_RF}; "
    "as empyrical; NaN without benchmark.",
    "beta": "Beta: cov(r, b) / var(b) of per-bar returns on shared bars, as empyrical/quantstats; NaN without "
    "benchmark.",
}


def compute_stats(
    equity: pd.Series,
    trades: pd.DataFrame | tr.TradeArrays | None = None,
    benchmark: pd.Series | None = None,
    *,
    periods_per_year: int = 252,
    rf: float = 0.0,
    exposure: float | None = None,
) -> dict[str, Any]:
    """Statistics of one run, keyed as METRIC_CONVENTIONS (start/end are Timestamps, n_trades an int).

    `equity` is account value per bar (currency); `benchmark` is a price series (e.g. an index
    close), not returns. `rf` is annual (decimal). Undefined figures are NaN. Raises DataError for
    empty/unusable equity, benchmark or trades; ParameterError for bad periods_per_year or rf.
    The inputs are cleaned once and every figure comes from `engine.metrics._core`, the same
    formulas as the public per-figure functions.
    """
    check_periods_per_year(periods_per_year)
    rf_p = per_period_rf(rf, periods_per_year)
    values = clean_equity(equity)
    e = values.to_numpy()
    r = _core.simple_returns(e)
    stats: dict[str, Any] = {
        **_summary(values),
        **_return_stats(values, e, r, periods_per_year, rf_p),
        "exposure": _exposure(exposure),
        **_trade_stats(trades),
    }
    stats["alpha"], stats["beta"] = _greeks(values.index, r, benchmark, periods_per_year, rf)
    return stats


def _summary(values: pd.Series) -> dict[str, Any]:
    start, end = values.index[0], values.index[-1]
    is_dated = isinstance(values.index, pd.DatetimeIndex)
    return {
        "start": start,
        "end": end,
        "duration_days": float((end - start).total_seconds() / 86400.0) if is_dated else math.nan,
        "initial_equity": float(values.iloc[0]),
        "final_equity": float(values.iloc[-1]),
    }


def _return_stats(values: pd.Series, e: np.ndarray, r: np.ndarray, ppy: int, rf_p: float) -> dict[str, float]:
    excess = r - rf_p
    var_95, cvar_95 = _core.var_cvar(r, 0.95)
    skew, kurtosis = _core.skew_kurtosis(r)
    return {
        "total_return": _core.total_return(e),
        "cagr": _core.cagr(e, ppy),
        "annual_volatility": _core.annual_volatility(r, ppy),
        "sharpe": _core.sharpe(excess, ppy),
        "sortino": _core.sortino(excess, ppy),
        "calmar": _core.calmar(e, ppy),
        "max_drawdown": _core.max_drawdown(e),
        "max_drawdown_duration_days": dd.duration_of(e, values.index).days,
        "var_95": var_95,
        "cvar_95": cvar_95,
        "skew": skew,
        "kurtosis": kurtosis,
    }


def _trade_stats(trades: pd.DataFrame | tr.TradeArrays | None) -> dict[str, Any]:
    arrays = trades if isinstance(trades, tr.TradeArrays) else tr.TradeArrays.from_frame(trades)
    return {"n_trades": len(arrays), **_core.trade_figures(arrays.pnl, arrays.pnl_pct, arrays.bars_held)}


def _exposure(exposure: float | None) -> float:
    if exposure is None:
        return math.nan
    value = float(exposure)
    if not math.isnan(value) and not 0.0 <= value <= 1.0:
        raise ParameterError(f"exposure is a fraction of bars between 0 and 1, got {exposure!r}")
    return value


def _greeks(index: pd.Index, r: np.ndarray, benchmark: pd.Series | None, ppy: int, rf: float) -> tuple[float, float]:
    if benchmark is None:
        return math.nan, math.nan
    bench = clean_equity(benchmark, "benchmark")
    if bench.index.equals(index):  # the usual case (buy and hold of the traded bars): no alignment needed
        return _core.alpha_beta(r, _core.simple_returns(bench.to_numpy()), ppy, per_period_rf(rf, ppy))
    returns = pd.Series(r, index=index[1:])
    return rt.alpha_beta(returns, rt.returns_from_equity(bench), ppy, rf)
