"""XIRR against Excel's documented example and hand-worked ACT/365 cases."""

from __future__ import annotations

import math
from datetime import date

import pytest

from engine.errors import DataError
from engine.portfolio import npv, xirr

D = date


def test_excel_reference_example() -> None:
    flows = [(D(2008, 1, 1), -10_000), (D(2008, 3, 1), 2_750), (D(2008, 10, 30), 4_250), (D(2009, 2, 15), 3_250),
             (D(2009, 4, 1), 2_750)]
    rate = xirr(flows)
    assert rate == pytest.approx(0.373362535, abs=1e-8)  # Excel stops iterating at 1e-8 %
    assert npv(rate, flows) == pytest.approx(0.0, abs=1e-6)
    assert xirr(list(reversed(flows))) == pytest.approx(rate, abs=1e-12)  # order of the list is irrelevant


@pytest.mark.parametrize(("flows", "expected"), [
    ([(D(2023, 1, 1), -1000), (D(2024, 1, 1), 1100)], 0.10),                    # 365 days: plain 10 %
    ([(D(2021, 1, 1), -100), (D(2022, 1, 1), 0.0), (D(2023, 1, 1), 121)], 0.10),  # two years compounded
    ([(D(2021, 1, 1), -100), (D(2022, 1, 1), 50)], -0.50),                       # a loss
    ([(D(2023, 1, 1), -1000), (D(2023, 7, 2), 1000 * 1.21 ** (182 / 365))], 0.21),  # half a year
    ([(D(2020, 1, 1), -100), (D(2021, 1, 1), 110)], 1.1 ** (365 / 366) - 1),    # leap year: 366 days
])
def test_hand_worked_rates(flows: list, expected: float) -> None:
    assert xirr(flows) == pytest.approx(expected, abs=1e-9)


def test_several_payments_and_a_final_value() -> None:
    # 1,000 a year for two years growing at 8 %: the final value is 1,000·1.08² + 1,000·1.08
    flows = [(D(2021, 1, 1), -1000), (D(2022, 1, 1), -1000), (D(2023, 1, 1), 1000 * 1.08 ** 2 + 1000 * 1.08)]
    assert xirr(flows) == pytest.approx(0.08, abs=1e-9)


def test_one_sided_flows_raise_and_same_day_flows_are_undefined() -> None:
    with pytest.raises(DataError, match="at least one payment"):
        xirr([(D(2024, 1, 1), -100), (D(2024, 6, 1), -100)])
    with pytest.raises(DataError):
        xirr([])
    assert math.isnan(xirr([(D(2024, 1, 1), -100), (D(2024, 1, 1), 105)]))
