"""Cost models: hand-worked NSE charges, spec parsing, and basic invariants."""

from __future__ import annotations

from datetime import date

import pytest

from engine.costs import (
    NSE_RATES,
    FlatCost,
    NoCost,
    NSECharges,
    PercentCost,
    make_cost_model,
    nse_rates,
)
from engine.errors import BacktestError


def test_nse_delivery_round_trip_of_one_lakh_worked_by_hand() -> None:
    # ₹1,00,000 bought and sold (100 shares at ₹1,000), delivery, zero brokerage:
    #   buy : STT 0.1 % = 100, exchange 0.00297 % = 2.97, SEBI ₹10/crore = 0.10, stamp 0.015 % = 15,
    #         GST 18 % × (0 + 2.97 + 0.10) = 0.5526              → 118.6226
    #   sell: STT 100, exchange 2.97, SEBI 0.10, no stamp, GST 0.5526 → 103.6226
    nse = NSECharges("delivery")
    buy = nse.breakdown("buy", 100, 1000.0)
    sell = nse.breakdown("sell", 100, 1000.0)
    assert buy == pytest.approx({"brokerage": 0.0, "stt": 100.0, "exchange": 2.97, "sebi": 0.10,
                                 "stamp": 15.0, "gst": 0.5526, "total": 118.6226})
    assert sell == pytest.approx({"brokerage": 0.0, "stt": 100.0, "exchange": 2.97, "sebi": 0.10,
                                  "stamp": 0.0, "gst": 0.5526, "total": 103.6226})
    assert nse.cost("buy", 100, 1000.0) + nse.cost("sell", 100, 1000.0) == pytest.approx(222.2452)


def test_nse_intraday_one_lakh_caps_brokerage_at_20() -> None:
    nse = make_cost_model("nse_intraday")
    buy = nse.breakdown("buy", 100, 1000.0)  # type: ignore[attr-defined]
    sell = nse.breakdown("sell", 100, 1000.0)  # type: ignore[attr-defined]
    # 0.03 % of 1,00,000 = 30 > 20, so brokerage is 20; STT 0.025 % on the sell only; stamp 0.003 % on the buy
    assert buy["brokerage"] == sell["brokerage"] == pytest.approx(20.0)
    assert buy["stt"] == 0.0 and sell["stt"] == pytest.approx(25.0)
    assert buy["stamp"] == pytest.approx(3.0) and sell["stamp"] == 0.0
    assert buy["gst"] == pytest.approx(0.18 * (20 + 2.97 + 0.10))
    assert buy["total"] == pytest.approx(30.2226)
    assert sell["total"] == pytest.approx(52.2226)


def test_nse_intraday_small_order_pays_percentage_brokerage() -> None:
    nse = NSECharges("intraday")
    assert nse.breakdown("buy", 10, 1000.0)["brokerage"] == pytest.approx(3.0)  # 0.03 % of 10,000 < 20
    custom = NSECharges("delivery", brokerage_flat=15.0, brokerage_pct=0.001)
    assert custom.breakdown("sell", 100, 1000.0)["brokerage"] == pytest.approx(15.0)


def test_nse_rates_are_dated_and_selectable() -> None:
    first = min(NSE_RATES)
    assert nse_rates(date(2030, 1, 1)) is NSE_RATES[max(NSE_RATES)]
    assert nse_rates(first) is NSE_RATES[first]
    with pytest.raises(BacktestError, match="no NSE rate table"):
        NSECharges(as_of=date(2000, 1, 1))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (0.001, PercentCost(0.001)),
        ("0.001", PercentCost(0.001)),
        ("pct:0.1", PercentCost(0.001)),
        ("flat:20", FlatCost(20.0)),
        ("none", NoCost()),
        (0, NoCost()),
        (None, NoCost()),
    ],
)
def test_make_cost_model_specs(spec: object, expected: object) -> None:
    model = make_cost_model(spec)  # type: ignore[arg-type]
    assert type(model) is type(expected)
    assert model.cost("buy", 10, 100.0) == pytest.approx(expected.cost("buy", 10, 100.0))  # type: ignore[attr-defined]
    assert make_cost_model(model.spec).cost("sell", 7, 33.0) == pytest.approx(model.cost("sell", 7, 33.0))


def test_nse_specs_build_segments() -> None:
    assert make_cost_model("nse_delivery").segment == "delivery"  # type: ignore[attr-defined]
    assert make_cost_model("NSE_Intraday").segment == "intraday"  # type: ignore[attr-defined]


@pytest.mark.parametrize("spec", ["pct:abc", "bogus", "flat:-1", "0.5", "fee:3"])
def test_bad_specs_raise_with_a_hint(spec: str) -> None:
    with pytest.raises(BacktestError):
        make_cost_model(spec)


def test_costs_are_non_negative_and_scale_with_value() -> None:
    for model in (NoCost(), PercentCost(0.002), FlatCost(20), NSECharges(), NSECharges("intraday")):
        for side in ("buy", "sell"):
            small, big = model.cost(side, 10, 100.0), model.cost(side, 100, 100.0)
            assert 0 <= small <= big
    assert PercentCost(0.002).cost("sell", 50, 100.0) == pytest.approx(10.0)
    assert FlatCost(20).cost("buy", 0, 100.0) == 0.0


def test_unknown_side_is_rejected() -> None:
    with pytest.raises(BacktestError, match="side"):
        PercentCost(0.001).cost("short", 1, 1.0)
