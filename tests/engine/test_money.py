import math

import pytest

from engine.money import format_money, format_price, group_indian


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12345678.9, "1,23,45,678.90"),
        (100000, "1,00,000.00"),
        (999.5, "999.50"),
        (1234.0, "1,234.00"),
        (-2500000.25, "-25,00,000.25"),
        (0, "0.00"),
    ],
)
def test_indian_grouping(value: float, expected: str) -> None:
    assert group_indian(value) == expected


def test_inr_and_compact() -> None:
    assert format_money(12345678.9) == "₹1,23,45,678.90"
    assert format_money(-1500.5) == "-₹1,500.50"
    assert format_money(25_000_000, compact=True) == "₹2.50 Cr"
    assert format_money(250_000, compact=True) == "₹2.50 L"
    assert format_money(1234.5, "USD") == "$1,234.50"
    assert format_money(math.nan) == "—"
    assert format_price(101.234, "") == "101.23"
