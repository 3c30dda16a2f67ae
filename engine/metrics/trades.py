"""Trade-based statistics over closed round trips (a `trades` DataFrame, one row per trade)."""

from __future__ import annotations

import math

import pandas as pd

from engine.errors import DataError

TRADE_COLUMNS = ("pnl", "pnl_pct", "entry_time", "exit_time", "bars_held")


def _column(trades: pd.DataFrame | None, column: str) -> pd.Series:
    """One numeric column of `trades` (empty for no trades); raises DataError if missing or NaN."""
    if trades is None:
        return pd.Series(dtype=float)
    if not isinstance(trades, pd.DataFrame):
        raise DataError(f"trades must be a pandas DataFrame, got {type(trades).__name__}")
    if trades.empty and column not in trades.columns:
        return pd.Series(dtype=float)
    if column not in trades.columns:
        raise DataError(
            f"trades is missing column {column!r}; expected at least {', '.join(TRADE_COLUMNS)}"
        )
    try:
        col = trades[column]
        values = col if col.dtype == "float64" else col.astype("float64")
    except (TypeError, ValueError):
        raise DataError(f"trades column {column!r} must be numeric") from None
    if values.isna().any():
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
    pnl = _column(trades, "pnl")
    return float((pnl > 0).mean()) if len(pnl) else math.nan


def profit_factor(trades: pd.DataFrame | None) -> float:
    """Gross profit / |gross loss| from net pnl; inf with wins but no losses, NaN with no trades or all flat."""
    pnl = _column(trades, "pnl")
    gross_win = float(pnl[pnl > 0].sum())
    gross_loss = float(-pnl[pnl < 0].sum())
    if gross_loss > 0:
        return gross_win / gross_loss
    return math.inf if gross_win > 0 else math.nan


def expectancy(trades: pd.DataFrame | None) -> float:
    """Mean net pnl per trade, in account currency. NaN with no trades."""
    pnl = _column(trades, "pnl")
    return float(pnl.mean()) if len(pnl) else math.nan


def avg_win(trades: pd.DataFrame | None) -> float:
    """Mean net pnl of winning trades (pnl > 0), in account currency. NaN without wins."""
    pnl = _column(trades, "pnl")
    wins = pnl[pnl > 0]
    return float(wins.mean()) if len(wins) else math.nan


def avg_loss(trades: pd.DataFrame | None) -> float:
    """Mean net pnl of losing trades (pnl < 0), a negative amount in account currency. NaN without losses."""
    pnl = _column(trades, "pnl")
    losses = pnl[pnl < 0]
    return float(losses.mean()) if len(losses) else math.nan


def best_trade(trades: pd.DataFrame | None) -> float:
    """Highest pnl_pct (decimal return of one trade). NaN with no trades."""
    pct = _column(trades, "pnl_pct")
    return float(pct.max()) if len(pct) else math.nan


def worst_trade(trades: pd.DataFrame | None) -> float:
    """Lowest pnl_pct (decimal return of one trade). NaN with no trades."""
    pct = _column(trades, "pnl_pct")
    return float(pct.min()) if len(pct) else math.nan


def avg_bars_held(trades: pd.DataFrame | None) -> float:
    """Mean number of bars a trade was held. NaN with no trades."""
    bars = _column(trades, "bars_held")
    return float(bars.mean()) if len(bars) else math.nan
