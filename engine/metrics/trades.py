"""Trade-based statistics over closed round trips (a `trades` DataFrame, one row per trade)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import DataError
from engine.metrics import _core

TRADE_COLUMNS = ("pnl", "pnl_pct", "entry_time", "exit_time", "bars_held")


@dataclass(frozen=True)
class TradeArrays:
    """The numeric trade columns the statistics read, as float64 arrays of equal length (one value per
    closed trade). A backtest hands these over directly; a DataFrame is read with `from_frame`."""

    pnl: np.ndarray
    pnl_pct: np.ndarray
    bars_held: np.ndarray

    @classmethod
    def from_frame(cls, trades: pd.DataFrame | None) -> TradeArrays:
        """Read and validate the columns of a trades DataFrame (None or empty: no trades)."""
        return cls(*(trade_column(trades, c) for c in ("pnl", "pnl_pct", "bars_held")))

    def __len__(self) -> int:
        return int(self.pnl.size)


def trade_column(trades: pd.DataFrame | None, column: str) -> np.ndarray:
    """One numeric column of `trades` as float64 values (empty for no trades); raises DataError if
    the column is missing, not numeric or has missing values."""
    if trades is None:
        return np.empty(0)
    if not isinstance(trades, pd.DataFrame):
        raise DataError(f"trades must be a pandas DataFrame, got {type(trades).__name__}")
    if column not in trades.columns:
        if trades.empty:
            return np.empty(0)
        raise DataError(
            f"trades is missing column {column!r}; expected at least {', '.join(TRADE_COLUMNS)}"
        )
    series = trades[column]
    try:
        values = series.to_numpy() if series.dtype == np.float64 else series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise DataError(f"trades column {column!r} must be numeric") from None
    if np.isnan(values).any():
        raise DataError(f"trades column {column!r} has missing values: every closed trade needs one")
    return values


def n_trades(trades: pd.DataFrame | None) -> int:
    """Number of closed trades (0 for None or an empty frame)."""
    if trades is None:
        return 0
    if not isinstance(trades, pd.DataFrame):
        raise DataError(f"trades must be a pandas DataFrame, got {type(trades).__name__}")
    return len(trades)


def win_rate(trades: pd.DataFrame | None) -> float:
    """Fraction (decimal) of trades with pnl > 0; break-even trades count as not winning. NaN with no trades."""
    return _figure(trades, "win_rate")


def profit_factor(trades: pd.DataFrame | None) -> float:
    """Gross profit / |gross loss| from net pnl; inf with wins but no losses, NaN with no trades or all flat."""
    return _figure(trades, "profit_factor")


def expectancy(trades: pd.DataFrame | None) -> float:
    """Mean net pnl per trade, in account currency. NaN with no trades."""
    return _figure(trades, "expectancy")


def avg_win(trades: pd.DataFrame | None) -> float:
    """Mean net pnl of winning trades (pnl > 0), in account currency. NaN without wins."""
    return _figure(trades, "avg_win")


def avg_loss(trades: pd.DataFrame | None) -> float:
    """Mean net pnl of losing trades (pnl < 0), a negative amount in account currency. NaN without losses."""
    return _figure(trades, "avg_loss")


def best_trade(trades: pd.DataFrame | None) -> float:
    """Highest pnl_pct (decimal return of one trade). NaN with no trades."""
    return _figure(trades, "best_trade")


def worst_trade(trades: pd.DataFrame | None) -> float:
    """Lowest pnl_pct (decimal return of one trade). NaN with no trades."""
    return _figure(trades, "worst_trade")


def avg_bars_held(trades: pd.DataFrame | None) -> float:
    """Mean number of bars a trade was held. NaN with no trades."""
    return _figure(trades, "avg_bars_held")


_NEEDS = {"best_trade": "pnl_pct", "worst_trade": "pnl_pct", "avg_bars_held": "bars_held"}  # others: pnl


def _figure(trades: pd.DataFrame | None, name: str) -> float:
    """One figure of `_core.trade_figures`, reading (and validating) only the column it needs."""
    need = _NEEDS.get(name, "pnl")
    columns = [trade_column(trades, c) if c == need else np.empty(0)
               for c in ("pnl", "pnl_pct", "bars_held")]
    return _core.trade_figures(*columns)[name]
