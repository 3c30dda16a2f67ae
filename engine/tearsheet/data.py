"""The numbers behind a tear sheet: daily equity, aligned benchmark, rolling figures, calendar grid."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import DataError, ParameterError
from engine.metrics import (
    compute_stats,
    drawdown_series,
    monthly_returns_table,
    returns_from_equity,
    yearly_returns,
)
from engine.metrics._inputs import check_periods_per_year, clean_equity, per_period_rf

MIN_BARS = 3  # two returns: the least for a volatility, a Sharpe or a distribution
ROLLING_WINDOW = 126  # six months of daily bars
BENCHMARK_FFILL_LIMIT = 5  # bars a benchmark price may be carried over (holidays of the other market)
CALENDAR_DAYS = 365  # the daily P&L calendar covers the last year
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Keys of compute_stats shown in a tear sheet: an equity curve alone carries no trades or exposure.
TEARSHEET_METRICS = (
    "start", "end", "duration_days", "initial_equity", "final_equity", "total_return", "cagr",
    "annual_volatility", "sharpe", "sortino", "calmar", "max_drawdown", "max_drawdown_duration_days",
    "var_95", "cvar_95", "skew", "kurtosis", "alpha", "beta",
)


@dataclass
class TearSheet:
    """Everything a tear sheet shows, as plain pandas objects (figures are built from these)."""

    equity: pd.Series  # account value per day, tz-aware UTC index at 00:00 of each date
    returns: pd.Series  # simple daily returns (decimal), one fewer than equity
    drawdown: pd.Series  # equity / running peak - 1 (decimal, <= 0)
    monthly: pd.DataFrame  # years x Jan..Dec + Year, decimal
    yearly: pd.DataFrame  # columns Strategy (+ Benchmark), index year, decimal
    rolling: pd.DataFrame  # rolling_sharpe, rolling_volatility (+ rolling_beta), index as returns
    calendar: pd.DataFrame  # weekdays x week starts, daily return (decimal) of the last CALENDAR_DAYS
    stats: dict[str, Any]  # compute_stats of the strategy, keys TEARSHEET_METRICS
    periods_per_year: int = 252
    rf: float = 0.0
    window: int = ROLLING_WINDOW
    benchmark: pd.Series | None = None  # benchmark prices on the equity's dates (NaN where unknown)
    benchmark_returns: pd.Series | None = None  # on the strategy's return dates (NaN where unknown)
    benchmark_stats: dict[str, Any] | None = None
    benchmark_name: str = "Benchmark"
    notes: list[str] = field(default_factory=list)  # what was adjusted on the way in (shown to the user)

    @property
    def has_benchmark(self) -> bool:
        return self.benchmark is not None


def to_daily(series: pd.Series, name: str = "equity") -> pd.Series:
    """One value per calendar date (the last of the day), indexed at 00:00 UTC of that date.

    A naive index is read as UTC; a tz-aware one keeps the dates of its own zone (a daily bar
    labelled 00:00 IST is the same session date, not the evening before in UTC). NaNs are dropped.
    Raises DataError for a non-series, a non-datetime index or no numbers at all.
    """
    if not isinstance(series, pd.Series):
        raise DataError(f"{name} must be a pandas Series of values per day, got {type(series).__name__}")
    if not isinstance(series.index, pd.DatetimeIndex):
        raise DataError(
            f"{name} needs a DatetimeIndex (bar time) for a tear sheet, got {type(series.index).__name__}"
        )
    try:
        values = series.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name} must hold numbers; convert it to float") from None
    values = values[values.notna()]
    if values.empty:
        raise DataError(f"{name} is empty (or all NaN): a tear sheet needs at least {MIN_BARS} daily values")
    index = values.index.tz_localize(None) if values.index.tz is not None else values.index
    values = pd.Series(values.to_numpy(), index=index).sort_index()
    daily = values.groupby(index.sort_values().normalize()).last()
    daily.index = pd.DatetimeIndex(daily.index).tz_localize("UTC")
    return daily.rename(series.name)


def align_benchmark(benchmark: pd.Series, dates: pd.DatetimeIndex,
                    limit: int = BENCHMARK_FFILL_LIMIT) -> pd.Series:
    """Benchmark prices on `dates`: the last known price carried forward at most `limit` days.

    Raises DataError when fewer than two prices fall on the equity's dates.
    """
    daily = clean_equity(to_daily(benchmark, "benchmark"), "benchmark")
    union = daily.index.union(dates)
    aligned = daily.reindex(union).ffill(limit=limit).reindex(dates)
    if aligned.notna().sum() < 2:
        raise DataError(
            "benchmark has fewer than two prices on the equity's dates: pick a benchmark that covers "
            f"{dates[0]:%d %b %Y} to {dates[-1]:%d %b %Y}"
        )
    return aligned.rename("benchmark")


def rolling_figures(returns: pd.Series, periods_per_year: int, rf: float, window: int,
                    benchmark_returns: pd.Series | None = None) -> pd.DataFrame:
    """Rolling Sharpe, volatility (annualised, ddof=1) and beta (cov/var) over `window` returns.

    A window needs all its returns (NaN until then); a flat window has NaN Sharpe, never inf.
    """
    excess = returns - per_period_rf(rf, periods_per_year)
    roll = excess.rolling(window, min_periods=window)
    std = returns.rolling(window, min_periods=window).std(ddof=1)
    sharpe = (roll.mean() / roll.std(ddof=1)) * math.sqrt(periods_per_year)
    out = pd.DataFrame({
        "rolling_sharpe": sharpe.replace([np.inf, -np.inf], np.nan),
        "rolling_volatility": std * math.sqrt(periods_per_year),
    })
    if benchmark_returns is not None:
        bench = benchmark_returns.reindex(returns.index)
        cov = returns.rolling(window, min_periods=window).cov(bench)
        var = bench.rolling(window, min_periods=window).var(ddof=1)
        out["rolling_beta"] = (cov / var.where(var > 1e-30)).replace([np.inf, -np.inf], np.nan)
    return out


def calendar_grid(returns: pd.Series, days: int = CALENDAR_DAYS) -> pd.DataFrame:
    """Daily returns of the last `days` calendar days as weekdays (rows) x week starts (columns).

    Rows run Mon..Fri, plus Sat/Sun when the series trades at weekends; days without a bar are NaN.
    """
    recent = returns[returns.index > returns.index[-1] - pd.Timedelta(days=days)]
    dates = recent.index.tz_localize(None)
    weekday = dates.dayofweek
    week = (dates - pd.to_timedelta(weekday, unit="D")).normalize()
    grid = pd.Series(recent.to_numpy(), index=[weekday, week]).unstack()
    rows = range(7) if (weekday >= 5).any() else range(5)
    grid = grid.reindex(index=list(rows))
    grid.index = [WEEKDAYS[i] for i in rows]
    grid.columns = pd.DatetimeIndex(grid.columns).date
    return grid


def build_tearsheet(equity: pd.Series, benchmark: pd.Series | None = None, periods_per_year: int = 252,
                    rf: float = 0.0, *, window: int = ROLLING_WINDOW,
                    benchmark_name: str | None = None) -> TearSheet:
    """All figures of a tear sheet for an equity/NAV curve and an optional benchmark price series.

    `equity` is account value (or NAV) per bar; intraday bars are reduced to the last value per
    date. `rf` is annual (decimal). Raises DataError for unusable or too short series,
    ParameterError for a bad periods_per_year, rf or window.
    """
    check_periods_per_year(periods_per_year)
    per_period_rf(rf, periods_per_year)
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise ParameterError(f"window must be a whole number of bars >= 2 (126 = six months), got {window!r}")
    values = clean_equity(to_daily(equity), "equity")
    if len(values) < MIN_BARS:
        raise DataError(f"equity has {len(values)} daily value(s); a tear sheet needs at least {MIN_BARS}")
    notes = []
    if len(values) < len(equity.dropna()):
        notes.append(f"{len(equity.dropna()):,} bars reduced to {len(values):,} daily values (last of each day)")
    returns = returns_from_equity(values)
    bench = bench_returns = bench_stats = None
    yearly = pd.DataFrame({"Strategy": yearly_returns(values)})
    if benchmark is not None:
        bench = align_benchmark(benchmark, values.index)
        known = bench.dropna()
        bench_returns = returns_from_equity(known).reindex(returns.index)
        bench_stats = _pick(compute_stats(known, periods_per_year=periods_per_year, rf=rf))
        yearly["Benchmark"] = yearly_returns(known)
        name = benchmark_name or (str(benchmark.name) if benchmark.name else "Benchmark")
    stats = _pick(compute_stats(values, benchmark=bench, periods_per_year=periods_per_year, rf=rf))
    return TearSheet(
        equity=values, returns=returns, drawdown=drawdown_series(values),
        monthly=monthly_returns_table(values), yearly=yearly,
        rolling=rolling_figures(returns, periods_per_year, rf, window, bench_returns),
        calendar=calendar_grid(returns), stats=stats, periods_per_year=periods_per_year, rf=rf,
        window=window, benchmark=bench, benchmark_returns=bench_returns, benchmark_stats=bench_stats,
        benchmark_name=name if benchmark is not None else "Benchmark", notes=notes,
    )


def _pick(stats: dict[str, Any]) -> dict[str, Any]:
    return {key: stats[key] for key in TEARSHEET_METRICS}
