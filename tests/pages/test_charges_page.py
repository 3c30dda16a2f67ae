"""Charges page through AppTest: the default delivery example, F&O lots, brokerage, exchange, bad input."""

from __future__ import annotations

from datetime import date

import pytest

from engine.charges import Brokerage, trade_charges
from engine.money import format_money
from tests.pages.page_helpers import app, app_at, chart_keys, demo_env, errors  # noqa: F401


def metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def page(demo_env):  # noqa: ANN001, F811
    at = app("charges")
    assert not at.exception, at.exception
    return at


def test_default_is_the_delivery_example(page) -> None:  # noqa: ANN001
    # 100 shares 1,000 → 1,100 on NSE delivery, worked by hand in tests/engine/test_charges.py: ₹248.54
    assert not errors(page)
    m = metrics(page)
    assert m["Total charges"] == "₹248.54" and m["Net P&L"] == "₹9,751.46"
    assert m["Points to breakeven"] == "2.49" and m["Breakeven sell"] == "₹1,002.38"
    assert "charges_chart" in chart_keys(page)
    table = page.dataframe[0].value
    assert list(table["Charge"]) == ["Brokerage", "STT/CTT", "Exchange transaction charge", "SEBI turnover fee",
                                     "Stamp duty", "DP charge", "GST", "Total"]
    assert table.set_index("Charge").loc["STT/CTT", "Total"] == "₹210.00"
    assert table.set_index("Charge").loc["Stamp duty", "Sell"] == "₹0.00"


def test_options_in_lots_with_a_custom_brokerage(page) -> None:  # noqa: ANN001
    page.selectbox(key="charges_segment").set_value("options").run()
    assert not page.exception and not errors(page)
    assert metrics(page)["Total charges"] == "₹63.26"  # 1 lot of 75, premium 100 → 120, ₹20 per order
    page.number_input(key="charges_lots_options").set_value(2).run()
    page.selectbox(key="charges_brokerage_mode").set_value("lower").run()
    page.number_input(key="charges_brokerage_pct").set_value(0.03).run()
    expected = trade_charges(100, 120, 150, "options", brokerage=Brokerage(flat=20, pct=0.0003), as_of=date.today())
    assert not page.exception and metrics(page)["Total charges"] == format_money(expected.total)
    assert metrics(page)["Net P&L"] == format_money(expected.net_pnl)


def test_bse_futures_and_dp_setting(page) -> None:  # noqa: ANN001
    page.number_input(key="charges_dp").set_value(0.0).run()
    no_dp = trade_charges(1000, 1100, 100, "delivery", dp_charge=0.0, as_of=date.today())
    assert metrics(page)["Total charges"] == format_money(no_dp.total)
    page.selectbox(key="charges_exchange").set_value("BSE")
    page.selectbox(key="charges_segment").set_value("futures").run()
    assert not page.exception
    expected = trade_charges(24_000, 24_100, 75, "futures", exchange="BSE", as_of=date.today())
    assert metrics(page)["Total charges"] == format_money(expected.total)
    labels = list(page.dataframe[0].value["Charge"])
    assert "DP charge" not in labels and "Exchange transaction charge" in labels


@pytest.mark.parametrize(("key", "value", "message"), [
    ("charges_qty_delivery", 0, "Quantity must be at least 1 share."),
    ("charges_buy_delivery", 0.0, "buy price must be above 0"),
    ("charges_sell_delivery", 0.0, "sell price must be above 0"),
])
def test_bad_input_gives_a_clear_message(page, key: str, value: float, message: str) -> None:  # noqa: ANN001
    page.number_input(key=key).set_value(value).run()
    assert not page.exception
    assert any(message in e for e in errors(page)) and not page.metric


def test_zero_lots_and_a_date_before_the_schedule(page) -> None:  # noqa: ANN001
    page.selectbox(key="charges_segment").set_value("futures").run()
    page.number_input(key="charges_lots_futures").set_value(0).run()
    assert not page.exception and errors(page) == ["Lots and lot size must each be at least 1."]
    page.number_input(key="charges_lots_futures").set_value(1)
    page.date_input(key="charges_as_of").set_value(date(2024, 1, 1)).run()
    assert not page.exception
    assert any("no charges schedule entry in force on 2024-01-01" in e for e in errors(page))


def test_opens_from_the_navigation(demo_env) -> None:  # noqa: ANN001, F811
    at = app_at("charges")
    assert not at.exception, at.exception
    assert at.title[0].value == "Charges" and metrics(at)["Total charges"] == "₹248.54"
