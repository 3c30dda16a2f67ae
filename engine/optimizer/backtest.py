"""Monthly-rebalanced backtest of optimised weights against equal weight, without look-ahead."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import DataError, QuantdeskError
from engine.metrics import compute_stats
from engine.optimizer.inputs import check_prices

Optimiser = Callable[[pd.DataFrame], Mapping[str, float]]
Progress = Callable[[int, int], None]
ASSUMPTIONS = ("rebalanced at the close of each month's first trading day; fractional shares; "
               "no costs, slippage or taxes")


@dataclass(frozen=True)
class AllocationBacktest:
    """Equity curves (start at `capital`) of the optimised weights and of equal weight, with their stats.

    `weights` holds the target weights set at each rebalance date (one row per date).
    """

    equity: pd.Series
    equal_weight: pd.Series
    stats: dict[str, Any]
    equal_stats: dict[str, Any]
    weights: pd.DataFrame
    mode: str
    notes: tuple[str, ...] = ()


def month_starts(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The first bar of each calendar month present in `index` (the first bar always counts)."""
    if len(index) == 0:
        return index
    year, month = np.asarray(index.year), np.asarray(index.month)
    new = np.r_[True, (year[1:] != year[:-1]) | (month[1:] != month[:-1])]
    return index[new]


def rebalanced_equity(prices: pd.DataFrame, schedule: pd.DataFrame, capital: float = 1.0) -> pd.Series:
    """Account value when holdings are reset to `schedule`'s row on each of its dates (at that close).

    `schedule` rows are target weights indexed by rebalance dates in `prices.index`, the first being
    the start; between dates the shares are held. Weights are normalised to sum to 1.
    """
    dates = list(schedule.index)
    if not dates or dates[0] != prices.index[0]:
        raise DataError("the first rebalance date must be the first bar of the backtest window")
    values, value = [], float(capital)
    positions = prices.index.get_indexer(dates)
    if (positions < 0).any():
        raise DataError("every rebalance date must be a bar of the prices")
    bounds = [*positions, len(prices) - 1]
    for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        w = schedule.iloc[k].reindex(prices.columns).fillna(0.0).to_numpy(dtype=float)
        w = w / w.sum()
        seg = prices.iloc[lo:hi + 1].to_numpy(dtype=float)
        growth = (seg / seg[0]) @ w
        path = value * growth
        values.extend(path if k == 0 else path[1:])
        value = float(path[-1])
    return pd.Series(values, index=prices.index, name="equity")


def _compare(prices: pd.DataFrame, schedule: pd.DataFrame, mode: str, capital: float, frequency: int,
             rf: float, notes: list[str]) -> AllocationBacktest:
    equal = pd.DataFrame(1.0 / prices.shape[1], index=schedule.index, columns=prices.columns)
    equity = rebalanced_equity(prices, schedule, capital)
    bench = rebalanced_equity(prices, equal, capital).rename("equal_weight")
    if len(equity) < 3:
        raise DataError("the backtest window has fewer than three bars; use more history or a shorter lookback")
    return AllocationBacktest(
        equity, bench, compute_stats(equity, periods_per_year=frequency, rf=rf),
        compute_stats(bench, periods_per_year=frequency, rf=rf), schedule, mode, (ASSUMPTIONS, *notes))


def backtest_fixed(
    prices: pd.DataFrame, weights: Mapping[str, float], *, start: pd.Timestamp | None = None,
    capital: float = 1.0, frequency: int = 252, risk_free_rate: float = 0.0,
) -> AllocationBacktest:
    """Hold `weights` (computed beforehand, e.g. on the window before `start`) from `start`, reset monthly.

    Raises DataError when the window after `start` is too short.
    """
    window = check_prices(prices) if start is None else prices.loc[prices.index >= start]
    if len(window) < 3:
        raise DataError("no prices after the in-sample window to backtest on; use a longer history")
    dates = month_starts(window.index)
    row = pd.Series(weights, dtype=float).reindex(window.columns).fillna(0.0)
    if not row.sum() > 0:
        raise DataError("the weights to backtest are all zero")
    schedule = pd.DataFrame([row.to_numpy()] * len(dates), index=dates, columns=window.columns)
    return _compare(window, schedule, "fixed", capital, frequency, risk_free_rate, [])


def backtest_reoptimised(
    prices: pd.DataFrame, optimiser: Optimiser, *, lookback: int, capital: float = 1.0, frequency: int = 252,
    risk_free_rate: float = 0.0, progress: Progress | None = None,
) -> AllocationBacktest:
    """Re-optimise at each month's first trading day on the `lookback` bars strictly before it, then hold.

    The backtest starts at the first month start with `lookback` earlier bars. A month whose
    optimisation fails keeps the previous weights (equal weight at the start) and is listed in notes.
    Raises DataError when the history is shorter than `lookback` plus a month.
    """
    prices = check_prices(prices)
    starts = [d for d in month_starts(prices.index) if prices.index.get_loc(d) >= lookback]
    if len(starts) < 1 or prices.index.get_loc(starts[0]) > len(prices) - 3:
        raise DataError(f"history too short: re-optimising needs {lookback} bars before the first month and "
                        "some bars after it; shorten the lookback or sync more history")
    window = prices.loc[prices.index >= starts[0]]
    current = pd.Series(1.0 / prices.shape[1], index=prices.columns)
    rows, notes = [], []
    for i, date in enumerate(starts):
        past = prices.loc[prices.index < date].tail(lookback)
        try:
            current = pd.Series(optimiser(past), dtype=float).reindex(prices.columns).fillna(0.0)
        except QuantdeskError as exc:
            notes.append(f"{date:%Y-%m-%d}: kept the previous weights ({exc})")
        rows.append(current.to_numpy())
        if progress is not None:
            progress(i + 1, len(starts))
    schedule = pd.DataFrame(rows, index=pd.DatetimeIndex(starts), columns=prices.columns)
    return _compare(window, schedule, "reoptimised", capital, frequency, risk_free_rate, notes)
