"""Execution rules: slippage, lots, sizing modes, and the intrabar stop/target/trailing rules."""

from __future__ import annotations

import math

import pytest

from engine.costs import FlatCost, PercentCost
from engine.errors import BacktestError
from engine.execution import (
    affordable_qty,
    check_exit,
    check_gap,
    fill_price,
    initial_trailing_stop,
    order_budget,
    round_to_lot,
    size_order,
    update_trailing_stop,
)

NAN = math.nan


def test_slippage_buys_pay_up_and_sells_receive_less() -> None:
    assert fill_price(100.0, "buy", 10) == pytest.approx(100.10)
    assert fill_price(100.0, "sell", 10) == pytest.approx(99.90)
    assert fill_price(100.0, "buy", 0) == 100.0
    with pytest.raises(BacktestError):
        fill_price(100.0, "hold", 1)


@pytest.mark.parametrize(("qty", "lot", "expected"), [(7.9, 1, 7), (149, 50, 100), (150, 50, 150), (49, 50, 0),
                                                      (-3, 1, 0), (NAN, 1, 0), (2.9999999999, 1, 3)])
def test_round_down_to_lot(qty: float, lot: int, expected: float) -> None:
    assert round_to_lot(qty, lot) == expected


def test_sizing_modes() -> None:
    assert size_order("fixed_qty", 12.7, 1e6, 100.0) == 12
    assert size_order("fixed_amount", 10_000, 1e6, 333.0) == 30  # 30.03 shares
    assert size_order("pct_equity", 50, 100_000, 99.0) == 505  # 50,000 / 99 = 505.05
    # risk 1 % of 100,000 = 1,000 with 5 per share at risk → 200 shares
    assert size_order("risk_pct", 1, 100_000, 100.0, stop=95.0) == 200
    assert size_order("risk_pct", 1, 100_000, 100.0, stop=105.0) == 200  # a short's stop above entry
    assert size_order("pct_equity", 50, 100_000, 99.0, lot_size=25) == 500
    assert size_order("pct_equity", 50, -5.0, 99.0) == 0


def test_sizing_errors_say_what_to_fix() -> None:
    with pytest.raises(BacktestError, match="sizing mode"):
        size_order("kelly", 1, 1e5, 10.0)
    with pytest.raises(BacktestError, match="stop"):
        size_order("risk_pct", 1, 1e5, 10.0)
    with pytest.raises(BacktestError, match="stop"):
        size_order("risk_pct", 1, 1e5, 10.0, stop=NAN)
    with pytest.raises(BacktestError, match="price"):
        size_order("fixed_qty", 1, 1e5, 0.0)


def test_order_budget_and_affordable_qty_include_costs() -> None:
    assert order_budget("pct_equity", 95, 100_000) == pytest.approx(95_000)
    assert order_budget("fixed_amount", 5_000, 100_000) == 5_000
    assert math.isinf(order_budget("fixed_qty", 5, 100_000))
    pct = PercentCost(0.01)
    # 10,000 at price 100 with 1 % cost: 99 shares cost 9,999; 100 would cost 10,100
    assert affordable_qty(100, 100.0, 10_000, pct.cost, "buy") == 99
    assert affordable_qty(100, 100.0, 10_000, FlatCost(20).cost, "buy") == 99
    assert affordable_qty(100, 100.0, 10_000, FlatCost(20).cost, "buy", lot_size=10) == 90
    assert affordable_qty(50, 100.0, 10_000, pct.cost, "buy") == 50  # already fits
    assert affordable_qty(50, 100.0, 0.0, pct.cost, "buy") == 0
    assert affordable_qty(50, 100.0, math.inf, pct.cost, "buy") == 50


def test_affordable_qty_matches_brute_force() -> None:
    model = FlatCost(7.5)
    for budget in (50.0, 999.0, 12_345.0):
        for price in (3.3, 47.0, 101.0):
            best = max((q for q in range(0, 5000) if q * price + model.cost("buy", q, price) <= budget), default=0)
            assert affordable_qty(10_000, price, budget, model.cost, "buy") == best


def test_stop_and_target_inside_one_bar_assume_the_stop_first() -> None:
    # long entry ~100, stop 95, target 110; the bar spans 94..111 — which came first is unknowable
    assert check_exit(100.0, 111.0, 94.0, "long", 95.0, 110.0) == (95.0, "stop")
    assert check_exit(100.0, 106.0, 89.0, "short", 105.0, 90.0) == (105.0, "stop")


def test_single_level_hits() -> None:
    assert check_exit(100.0, 111.0, 99.0, "long", 95.0, 110.0) == (110.0, "target")
    assert check_exit(100.0, 101.0, 94.0, "long", 95.0, 110.0) == (95.0, "stop")
    assert check_exit(100.0, 109.0, 96.0, "long", 95.0, 110.0) is None
    assert check_exit(100.0, 101.0, 89.0, "short", 105.0, 90.0) == (90.0, "target")
    assert check_exit(100.0, 104.0, 91.0, "short", 105.0, 90.0) is None
    assert check_exit(100.0, 120.0, 80.0, "long", NAN, None) is None


def test_gaps_fill_at_the_open() -> None:
    # long: opens below the stop → filled at the (worse) open; opens above the target → at the (better) open
    assert check_exit(90.0, 92.0, 88.0, "long", 95.0, 110.0) == (90.0, "stop")
    assert check_exit(115.0, 118.0, 113.0, "long", 95.0, 110.0) == (115.0, "target")
    assert check_exit(108.0, 109.0, 100.0, "short", 105.0, 90.0) == (108.0, "stop")
    assert check_exit(85.0, 86.0, 80.0, "short", 105.0, 90.0) == (85.0, "target")
    assert check_gap(100.0, "long", 95.0, 110.0) is None
    assert check_gap(95.0, "long", 95.0, 110.0) == (95.0, "stop")


def test_trailing_stop_reason_and_tighter_of_two_stops() -> None:
    assert check_exit(100.0, 101.0, 96.0, "long", 95.0, None, trail_stop=97.0) == (97.0, "trailing")
    assert check_exit(100.0, 101.0, 94.0, "long", 96.0, None, trail_stop=93.0) == (96.0, "stop")
    assert check_exit(100.0, 104.0, 99.0, "short", NAN, None, trail_stop=103.0) == (103.0, "trailing")
    assert check_exit(90.0, 91.0, 89.0, "long", NAN, None, trail_stop=92.0) == (90.0, "trailing")


def test_trailing_stop_moves_only_after_the_bar_is_checked() -> None:
    trail = initial_trailing_stop(100.0, "long", 0.05)
    assert trail == pytest.approx(95.0)
    # this bar rallies to 120 then falls to 100: with the trail raised from the SAME bar's high (114)
    # it would have exited; the rule checks the bar with the old trail (95) first, then moves it.
    assert check_exit(101.0, 120.0, 100.0, "long", NAN, None, trail) is None
    trail = update_trailing_stop(trail, 120.0, 100.0, "long", 0.05)
    assert trail == pytest.approx(114.0)
    assert update_trailing_stop(trail, 110.0, 100.0, "long", 0.05) == pytest.approx(114.0)  # never back
    short = initial_trailing_stop(100.0, "short", 0.10)
    assert short == pytest.approx(110.0)
    assert update_trailing_stop(short, 99.0, 80.0, "short", 0.10) == pytest.approx(88.0)
    assert math.isnan(initial_trailing_stop(100.0, "long", None))
    assert math.isnan(update_trailing_stop(NAN, 120.0, 80.0, "long", None))
