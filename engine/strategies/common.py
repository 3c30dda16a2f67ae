"""Helpers shared by strategies: risk/short params, bool cleaning, stop levels, strength, output checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from engine.errors import DataError, StrategyError
from engine.strategies.base import Param, Signals

ALLOW_SHORT = Param(
    "allow_short", bool, False, help="Also trade the mirror-image short side (short on the opposite signal)."
)
RISK_PARAMS: tuple[Param, ...] = (
    Param(
        "stop_loss_pct", float, 0.0, 0.0, 0.5, 0.01,
        help="Stop-loss distance from the signal bar's close, as a fraction (0.05 = 5 %); 0 = off.",
    ),
    Param(
        "take_profit_pct", float, 0.0, 0.0, 2.0, 0.01,
        help="Profit-target distance from the signal bar's close, as a fraction (0.10 = 10 %); 0 = off.",
    ),
    Param(
        "trailing_pct", float, 0.0, 0.0, 0.5, 0.01,
        help="Trailing stop distance from the best price since entry, as a fraction; 0 = off.",
    ),
)
OHLCV = ("open", "high", "low", "close", "volume")
BOOL_FIELDS = ("entries_long", "exits_long", "entries_short", "exits_short")
FLOAT_FIELDS = ("stop_loss", "take_profit", "strength")


def require_columns(bars: pd.DataFrame, columns: Iterable[str], who: str) -> None:
    """Raise DataError unless `bars` is non-empty and has every column in `columns`."""
    missing = [c for c in columns if c not in bars.columns]
    if missing:
        raise DataError(f"{who} needs bar columns {missing}; the bars have {list(bars.columns)}.")
    if bars.empty:
        raise DataError(f"{who} got no bars; load some price history first.")


def as_bool(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """A boolean Series on `index`: NaN (e.g. warm-up) and missing bars become False."""
    if values is None:
        return pd.Series(False, index=index, dtype=bool)
    aligned = values if values.index is index or values.index.equals(index) else values.reindex(index)
    if aligned.dtype == bool:
        return aligned
    # NaN -> False without pandas' where/astype machinery (this runs for every signal of every sweep run)
    raw = aligned.to_numpy(dtype=object if aligned.dtype == object else float, na_value=np.nan)
    return pd.Series(pd.notna(raw) & (raw != 0), index=index, dtype=bool)


def cross_level(series: pd.Series, level: float, up: bool) -> pd.Series:
    """True where `series` crosses `level`: up = from below to at/above, down = from above to at/below."""
    prev = series.shift(1)
    hit = (prev < level) & (series >= level) if up else (prev > level) & (series <= level)
    return as_bool(hit, series.index)


def gap_strength(gap: pd.Series, scale: pd.Series) -> pd.Series:
    """|gap| / scale clipped to [0, 1]; 0 where either is NaN or the scale is not positive."""
    scale = scale.where(scale > 0)
    return (gap.abs() / scale).clip(0.0, 1.0).fillna(0.0).astype(float)


def gap_change(a: pd.Series, b: pd.Series) -> pd.Series:
    """One-bar change of the gap a - b (NaN on the first bar and wherever either is NaN), i.e.
    `(a - b).diff()` for two series on the same index, without pandas' alignment overhead."""
    gap = a.to_numpy(dtype=float, na_value=np.nan) - b.to_numpy(dtype=float, na_value=np.nan)
    change = np.empty(gap.shape[0])
    change[:1] = np.nan
    np.subtract(gap[1:], gap[:-1], out=change[1:])
    return pd.Series(change, index=a.index)


def rank_strength(values: pd.Series, window: int = 250) -> pd.Series:
    """Percentile of |values| among its own last `window` bars (this one included): 1 = the largest.

    Scale-free, so it reads the same for any price level; NaN until min(20, window) bars exist.
    Same numbers as pandas' `rolling(window).rank(pct=True)` (ties averaged), in a compiled loop.
    """
    raw = np.abs(values.to_numpy(dtype=float, na_value=np.nan))
    valid = ~np.isnan(raw)
    # coordinate compression only: ranks still use the window's values alone
    levels, inverse = np.unique(raw[valid], return_inverse=True)
    codes = np.full(raw.shape[0], -1, dtype=np.int64)
    codes[valid] = inverse
    return pd.Series(_rolling_pct_rank(codes, levels.shape[0], window, min(20, window)), index=values.index)


@njit(cache=True)
def _rolling_pct_rank(codes: np.ndarray, m: int, window: int, min_periods: int) -> np.ndarray:  # pragma: no cover
    # Counts per value level in a Fenwick tree: each bar adds its level and drops the one leaving the
    # window; "how many are below / equal" are two prefix sums (O(log m) per bar).
    out = np.full(codes.shape[0], np.nan)
    tree = np.zeros(m + 1, dtype=np.int64)
    n = 0
    for t in range(codes.shape[0]):
        if t >= window and codes[t - window] >= 0:
            i = codes[t - window] + 1
            while i <= m:
                tree[i] -= 1
                i += i & -i
            n -= 1
        c = codes[t]
        if c < 0:
            continue
        i = c + 1
        while i <= m:
            tree[i] += 1
            i += i & -i
        n += 1
        if n >= min_periods:
            below = 0
            i = c
            while i > 0:
                below += tree[i]
                i -= i & -i
            upto = 0
            i = c + 1
            while i > 0:
                upto += tree[i]
                i -= i & -i
            out[t] = (below + (upto - below + 1) / 2.0) / n
    return out


def stop_levels(
    close: pd.Series, entries_long: pd.Series, entries_short: pd.Series | None, pct: float, below_long: bool
) -> pd.Series | None:
    """Absolute price levels on entry bars (NaN elsewhere), `pct` away from the signal bar's close.

    `below_long=True` gives stop-losses (below a long entry, above a short one); False gives targets.
    Returns None when `pct` is 0 (off).
    """
    if pct <= 0:
        return None
    sign = -1.0 if below_long else 1.0
    level = pd.Series(np.nan, index=close.index, dtype=float)
    level[entries_long] = close[entries_long] * (1.0 + sign * pct)
    if entries_short is not None:
        only_short = entries_short & ~entries_long
        level[only_short] = close[only_short] * (1.0 - sign * pct)
    return level


def build_signals(
    bars: pd.DataFrame,
    p: dict[str, Any],
    *,
    entries_long: pd.Series,
    exits_long: pd.Series,
    entries_short: pd.Series | None = None,
    exits_short: pd.Series | None = None,
    strength: pd.Series | None = None,
    extras: dict[str, pd.Series] | None = None,
    oscillators: dict[str, pd.Series] | None = None,
) -> Signals:
    """Assemble clean Signals: bools without NaN on the bars' index, shorts only if `p["allow_short"]`,
    stop/target levels and trailing_pct from `p`'s risk params (when declared), strength in [0, 1]."""
    index = bars.index
    longs_in, longs_out = as_bool(entries_long, index), as_bool(exits_long, index)
    shorts_in = shorts_out = None
    if p.get("allow_short", False) and entries_short is not None:
        shorts_in, shorts_out = as_bool(entries_short, index), as_bool(exits_short, index)
    trailing = float(p.get("trailing_pct", 0.0))
    stop_pct, target_pct = float(p.get("stop_loss_pct", 0.0)), float(p.get("take_profit_pct", 0.0))
    close = bars["close"].astype(float) if stop_pct > 0 or target_pct > 0 else None  # only levels need it
    if strength is not None:
        raw = _on(strength, index).to_numpy(dtype=float, na_value=np.nan)
        strength = pd.Series(np.nan_to_num(np.clip(raw, 0.0, 1.0), nan=0.0), index=index)
    return Signals(
        entries_long=longs_in,
        exits_long=longs_out,
        entries_short=shorts_in,
        exits_short=shorts_out,
        stop_loss=stop_levels(close, longs_in, shorts_in, stop_pct, True) if close is not None else None,
        take_profit=stop_levels(close, longs_in, shorts_in, target_pct, False) if close is not None else None,
        trailing_pct=trailing if trailing > 0 else None,
        strength=strength,
        extras={k: _on(v, index) for k, v in (extras or {}).items()},
        oscillators={k: _on(v, index) for k, v in (oscillators or {}).items()},
    )


def _on(series: pd.Series, index: pd.Index) -> pd.Series:
    """`series` on `index`: itself when already there (the usual case), else reindexed."""
    return series if series.index is index or series.index.equals(index) else series.reindex(index)


def check_signals(signals: Signals, index: pd.Index, who: str = "strategy") -> None:
    """Raise StrategyError unless `signals` honours the contract on `index` (e.g. output of a plugin).

    Contract: entry/exit fields are bool Series on exactly `index` with no NaN (short ones may be None);
    stop_loss/take_profit are float Series on `index` (NaN = none) or None; strength in [0, 1].
    """
    if not isinstance(signals, Signals):
        raise StrategyError(f"{who}.signals() must return a Signals object, not {type(signals).__name__}.")
    for name in BOOL_FIELDS + FLOAT_FIELDS:
        series = getattr(signals, name)
        if series is None:
            if name in ("entries_long", "exits_long"):
                raise StrategyError(f"{who}: {name} is missing; return a bool Series for every bar.")
            continue
        if not isinstance(series, pd.Series) or not series.index.equals(index):
            raise StrategyError(f"{who}: {name} must be a Series on the bars' index (same length and order).")
        if name in BOOL_FIELDS and series.dtype != bool:
            raise StrategyError(f"{who}: {name} must be bool with no NaN; use .fillna(False).astype(bool).")
        if name == "strength" and (series.isna().any() or (series < 0).any() or (series > 1).any()):
            raise StrategyError(f"{who}: strength must lie in [0, 1] with no NaN; clip it.")
    if signals.trailing_pct is not None and not 0 < signals.trailing_pct < 1:
        raise StrategyError(
            f"{who}: trailing_pct must be a fraction in (0, 1) or None, not {signals.trailing_pct}."
        )
