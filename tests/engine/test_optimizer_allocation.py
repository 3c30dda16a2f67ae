"""Lot allocation: whole lots only, cash never exceeded, optimal against brute force, no worse than pypfopt."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from pypfopt import DiscreteAllocation

from engine.errors import OptimizationError
from engine.optimizer import allocate_lots


def deviation(alloc, weights: dict[str, float], cash: float) -> float:  # noqa: ANN001
    """Σ |target amount − allocated amount|."""
    total = sum(weights.values())
    return sum(abs(w / total * cash - alloc.values.get(s, 0.0)) for s, w in weights.items() if w > 0)


@pytest.mark.parametrize("method", ["lp", "greedy"])
@pytest.mark.parametrize("seed", range(12))
def test_quantities_are_whole_lots_within_cash(method: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    symbols = [f"S{i}.NS" for i in range(n)]
    weights = dict(zip(symbols, rng.dirichlet(np.ones(n))))
    prices = dict(zip(symbols, rng.uniform(50, 4000, n).round(2)))
    lots = dict(zip(symbols, rng.choice([1, 15, 25, 50, 75, 250], n)))
    cash = float(rng.uniform(2e5, 5e6))
    alloc = allocate_lots(weights, prices, cash, lots, method=method)
    for s, q in alloc.quantities.items():
        assert q % lots[s] == 0 and q >= 0, f"{s}: {q} is not a multiple of its lot {lots[s]}"
        assert alloc.lots[s] * lots[s] == q
    assert alloc.invested <= cash and alloc.leftover >= 0
    assert alloc.invested == pytest.approx(sum(q * prices[s] for s, q in alloc.quantities.items()))


def test_hand_example_with_futures_lots() -> None:
    # ₹10 lakh, 60/40 between NIFTY-like lot of 50 @ ₹200 (lot ₹10,000) and lot of 25 @ ₹1,000 (lot ₹25,000)
    alloc = allocate_lots({"A": 0.6, "B": 0.4}, {"A": 200.0, "B": 1000.0}, 1_000_000, {"A": 50, "B": 25})
    assert alloc.lots == {"A": 60, "B": 16} and alloc.quantities == {"A": 3000, "B": 400}
    assert alloc.leftover == pytest.approx(0.0)
    table = alloc.table()
    assert table["weight"].tolist() == pytest.approx([0.6, 0.4])


def test_greedy_stops_when_another_lot_would_overshoot() -> None:
    # targets 5,000 and 5,000; lot values 3,000 and 4,000: floors buy 1 + 1 (7,000); 3,000 left.
    # A's shortfall 2,000 > 1,500 (half a lot) → buy (A = 6,000); B's shortfall 1,000 < 2,000 → stop.
    alloc = allocate_lots({"A": 0.5, "B": 0.5}, {"A": 300.0, "B": 400.0}, 10_000, {"A": 10, "B": 10},
                          method="greedy")
    assert alloc.lots == {"A": 2, "B": 1} and alloc.leftover == pytest.approx(0.0)


def test_lp_is_optimal_against_brute_force() -> None:
    rng = np.random.default_rng(42)
    for _ in range(10):
        weights = dict(zip("ABC", rng.dirichlet(np.ones(3))))
        prices = dict(zip("ABC", rng.uniform(100, 900, 3)))
        lots = dict(zip("ABC", rng.choice([1, 5, 10], 3)))
        cash = 20_000.0
        alloc = allocate_lots(weights, prices, cash, lots, method="lp")
        values = {s: prices[s] * lots[s] for s in "ABC"}
        best = min(
            sum(abs(weights[s] * cash - n * values[s]) for s, n in zip("ABC", combo))
            for combo in itertools.product(*(range(int(cash // values[s]) + 1) for s in "ABC"))
            if sum(n * values[s] for s, n in zip("ABC", combo)) <= cash
        )
        assert deviation(alloc, weights, cash) == pytest.approx(best, rel=1e-6, abs=1e-6)


def test_single_shares_no_worse_than_pypfopt() -> None:
    rng = np.random.default_rng(3)
    symbols = [f"S{i}" for i in range(8)]
    weights = dict(zip(symbols, rng.dirichlet(np.ones(8))))
    prices = pd.Series(rng.uniform(100, 3000, 8), index=symbols)
    cash = 500_000.0
    ours = allocate_lots(weights, prices.to_dict(), cash)
    greedy, _ = DiscreteAllocation(weights, prices, cash).greedy_portfolio()
    lp, _ = DiscreteAllocation(weights, prices, cash).lp_portfolio(solver="HIGHS")

    def dev(shares: dict[str, int]) -> float:
        return sum(abs(weights[s] * cash - shares.get(s, 0) * prices[s]) for s in symbols)

    assert deviation(ours, weights, cash) <= dev(greedy) + 1e-6
    assert deviation(ours, weights, cash) <= dev(lp) + 1e-6
    assert ours.leftover < prices.min() * 2  # nearly all the cash is used with single shares


def test_lot_too_dear_is_left_out_and_cash_reported() -> None:
    alloc = allocate_lots({"A": 0.5, "B": 0.5}, {"A": 100.0, "B": 3000.0}, 50_000, {"A": 1, "B": 50})
    assert alloc.lots["B"] == 0  # one lot of B costs ₹1,50,000
    assert alloc.leftover == pytest.approx(25_000.0)  # A gets its ₹25,000; B's half stays as cash


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"weights": {"A": -0.2, "B": 1.2}}, "short lots are not allocated"),
    ({"cash": 0}, "positive amount"),
    ({"prices": {"A": 100.0}}, "no positive latest price for B"),
    ({"lot_sizes": {"A": 0}}, "lot sizes must be whole numbers"),
    ({"method": "best"}, "unknown allocation method"),
])
def test_bad_allocation_input(kwargs: dict, message: str) -> None:
    args = {"weights": {"A": 0.5, "B": 0.5}, "prices": {"A": 100.0, "B": 200.0}, "cash": 10_000.0,
            "lot_sizes": None, "method": "lp", **kwargs}
    with pytest.raises(OptimizationError, match=None) as info:
        allocate_lots(**args)
    assert message in str(info.value)
