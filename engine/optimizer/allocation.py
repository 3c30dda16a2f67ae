"""Discrete allocation of cash in whole lots (lot sizes from the instruments table), never spending more than the cash."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from engine.errors import OptimizationError

ALLOCATION_METHODS: dict[str, str] = {
    "lp": "Integer programme: lots closest to the target amounts",
    "greedy": "Greedy: whole lots by floor, then one lot at a time to the largest shortfall",
}
MILP_TIME_LIMIT_S = 5.0
_TIE_BREAK = 1e-6  # among equally close allocations, prefer the one that invests more


@dataclass(frozen=True)
class LotAllocation:
    """Whole lots per symbol; quantity = lots × lot size; `leftover` cash is never negative."""

    lots: dict[str, int]
    lot_sizes: dict[str, int]
    prices: dict[str, float]
    target_weights: dict[str, float]
    cash: float
    method: str

    @property
    def quantities(self) -> dict[str, int]:
        return {s: n * self.lot_sizes[s] for s, n in self.lots.items()}

    @property
    def values(self) -> dict[str, float]:
        return {s: q * self.prices[s] for s, q in self.quantities.items()}

    @property
    def invested(self) -> float:
        return float(sum(self.values.values()))

    @property
    def leftover(self) -> float:
        return float(self.cash - self.invested)

    def table(self) -> pd.DataFrame:
        """One row per symbol: target weight and amount, lot size, price, lots, quantity, value, weight."""
        rows = []
        for s, w in self.target_weights.items():
            value = self.values[s]
            rows.append({"symbol": s, "target_weight": w, "target_value": w * self.cash, "lot_size": self.lot_sizes[s],
                         "price": self.prices[s], "lots": self.lots[s], "quantity": self.quantities[s],
                         "value": value, "weight": value / self.cash})
        return pd.DataFrame(rows)

    def as_dict(self) -> dict[str, Any]:
        return {"cash": self.cash, "invested": self.invested, "leftover": self.leftover, "method": self.method,
                "positions": self.table().to_dict(orient="records")}


def allocate_lots(
    weights: Mapping[str, float], prices: Mapping[str, float], cash: float,
    lot_sizes: Mapping[str, int] | None = None, method: str = "lp",
) -> LotAllocation:
    """Buy whole lots of each weighted symbol with at most `cash` (same currency as `prices`).

    lp: integer programme minimising Σ|target amount − lots × lot value| (HiGHS; greedy if it cannot
    finish); greedy: floor each target to whole lots, then keep buying one lot of the symbol with the
    largest shortfall while that brings it closer to its target. Lot sizes default to 1 share.
    Raises OptimizationError for negative weights, missing or non-positive prices, or bad cash.
    """
    if method not in ALLOCATION_METHODS:
        raise OptimizationError(f"unknown allocation method {method!r}: choose one of {', '.join(ALLOCATION_METHODS)}")
    target, price, lot = _inputs(weights, prices, cash, lot_sizes or {})
    lot_value = (price * lot).to_numpy()
    goal = (target * cash).to_numpy()
    counts = _milp(goal, lot_value, cash) if method == "lp" else None
    used = method
    if counts is None:
        counts, used = _greedy(goal, lot_value, cash), "greedy" if method == "greedy" else "greedy (lp fallback)"
    counts = _within_cash(counts, goal, lot_value, cash)
    return LotAllocation({s: int(n) for s, n in zip(target.index, counts)}, {s: int(v) for s, v in lot.items()},
                         {s: float(v) for s, v in price.items()}, {s: float(v) for s, v in target.items()},
                         float(cash), used)


def _inputs(weights: Mapping[str, float], prices: Mapping[str, float], cash: float,
            lot_sizes: Mapping[str, int]) -> tuple[pd.Series, pd.Series, pd.Series]:
    if not (isinstance(cash, int | float) and math.isfinite(cash) and cash > 0):
        raise OptimizationError(f"cash to allocate must be a positive amount, got {cash!r}")
    w = pd.Series({str(k): float(v) for k, v in weights.items()}, dtype=float)
    if (w < 0).any():
        raise OptimizationError(f"negative weights ({', '.join(w.index[w < 0])}): short lots are not allocated")
    w = w[w > 0]
    if w.empty:
        raise OptimizationError("every weight is zero: nothing to allocate")
    missing = [s for s in w.index if s not in prices or not float(prices[s]) > 0]
    if missing:
        raise OptimizationError(f"no positive latest price for {', '.join(missing)}; sync their bars first")
    lots = pd.Series({s: lot_sizes.get(s, 1) for s in w.index})
    if not all(float(v).is_integer() and v >= 1 for v in lots):
        raise OptimizationError("lot sizes must be whole numbers of shares, 1 or more")
    return w / w.sum(), pd.Series({s: float(prices[s]) for s in w.index}), lots.astype(int)


def _greedy(goal: np.ndarray, lot_value: np.ndarray, cash: float) -> np.ndarray:
    counts = np.floor(goal / lot_value + 1e-12)
    left = cash - float(counts @ lot_value)
    while True:
        shortfall = goal - counts * lot_value
        # one more lot helps only when the shortfall exceeds half a lot, and only if it fits the cash
        useful = (shortfall > lot_value / 2) & (lot_value <= left + 1e-9)
        if not useful.any():
            return counts.astype(int)
        pick = int(np.argmax(np.where(useful, shortfall, -np.inf)))
        counts[pick] += 1
        left -= float(lot_value[pick])


def _within_cash(counts: np.ndarray, goal: np.ndarray, lot_value: np.ndarray, cash: float) -> np.ndarray:
    """Drop lots of the most overweight symbol until the total fits the cash exactly (float rounding guard)."""
    counts = counts.astype(int).copy()
    while float(counts @ lot_value) > cash:
        excess = np.where(counts > 0, counts * lot_value - goal, -np.inf)
        counts[int(np.argmax(excess))] -= 1
    return counts


def _milp(goal: np.ndarray, lot_value: np.ndarray, cash: float) -> np.ndarray | None:
    """Lots x minimising Σ u with u ≥ |goal − x·v|, Σ x·v ≤ cash (scaled by cash); None without a solution."""
    n = len(goal)
    g, v = goal / cash, lot_value / cash
    eye = np.eye(n)
    cost = np.concatenate([-_TIE_BREAK * v, np.ones(n)])
    rows = np.vstack([
        np.hstack([-np.diag(v), -eye]),  # g − v·x ≤ u
        np.hstack([np.diag(v), -eye]),  # v·x − g ≤ u
        np.concatenate([v, np.zeros(n)])[None, :],  # Σ v·x ≤ 1 (all the cash)
    ])
    upper = np.concatenate([-g, g, [1.0]])
    limits = LinearConstraint(rows, -np.inf, upper)
    top = np.floor(1.0 / v + 1e-12)
    result = milp(cost, constraints=[limits], integrality=np.concatenate([np.ones(n), np.zeros(n)]),
                  bounds=Bounds(np.zeros(2 * n), np.concatenate([top, np.full(n, np.inf)])),
                  options={"time_limit": MILP_TIME_LIMIT_S})
    if result.x is None:
        return None
    counts = np.round(result.x[:n])
    return None if (counts < 0).any() else counts.astype(int)
