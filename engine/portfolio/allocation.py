"""Allocation of the open holdings by symbol, sector and asset class (weights of total value)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from engine.errors import DataError

UNKNOWN = "Unknown"
LEVELS = ("asset_class", "sector", "symbol")
ALLOCATION_COLUMNS = ("asset_class", "sector", "symbol", "value", "weight")


def allocation(holdings: pd.DataFrame, meta: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """Open positions with their asset class and sector, value and weight (0–1), largest first.

    `meta` maps a symbol to (sector, asset_class), e.g. from the instruments table; a symbol
    missing there, or with an empty field, is filed under "Unknown". Positions without a value
    (no price) are left out.
    """
    open_ = holdings[(holdings["qty"] > 0) & holdings["value"].notna()]
    rows = []
    for row in open_.itertuples(index=False):
        sector, asset_class = meta.get(row.symbol, ("", ""))
        rows.append({"asset_class": asset_class.capitalize() if asset_class else UNKNOWN,
                     "sector": sector or UNKNOWN, "symbol": row.symbol, "value": float(row.value)})
    frame = pd.DataFrame(rows, columns=list(ALLOCATION_COLUMNS[:-1]))
    total = frame["value"].sum()
    frame["weight"] = frame["value"] / total if total > 0 else 0.0
    return frame.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)


def allocation_by(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    """Value and weight summed per `level` (asset_class, sector or symbol), largest first."""
    if level not in LEVELS:
        raise DataError(f"allocation level must be one of {', '.join(LEVELS)}, got {level!r}")
    grouped = frame.groupby(level, sort=False)[["value", "weight"]].sum().reset_index()
    return grouped.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
