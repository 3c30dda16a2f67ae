"""Position sizing: hand-worked examples for every method, lots, caps and the error messages."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ParameterError
from engine.execution import size_order
from engine.risk.sizing import SIZING_METHODS, kelly_fraction, position_size


def test_infy_risk_to_stop_hand_worked():
    # budget 2 % of 100,000 = 2,000; 30 per share → 66.67 → 66 shares; 66 × 1450 = 95,700; 66 × 30 = 1,980
    r = position_size("risk_pct", capital=100_000, price=1450, stop=1420, risk_pct=2)
    assert (r.qty, r.amount, r.risk_amount, r.method, r.note) == (66, 95_700, 1_980, "risk_pct", "")


def test_short_risk_to_stop_uses_a_stop_above_entry():
    r = position_size("risk_pct", capital=100_000, price=1450, stop=1480, risk_pct=2, side="short")
    assert (r.qty, r.risk_amount) == (66, 1_980)


def test_plain_methods_agree_with_the_backtester_sizing():
    kw = dict(capital=250_000.0, price=1234.5, lot_size=5)
    assert position_size("fixed_qty", qty=37, **kw).qty == size_order("fixed_qty", 37, 250_000, 1234.5, lot_size=5) == 35
    assert position_size("fixed_amount", amount=50_000, **kw).qty == size_order(
        "fixed_amount", 50_000, 250_000, 1234.5, lot_size=5) == 40  # 40.5 → 40 (8 lots)
    assert position_size("pct_equity", equity_pct=10, **kw).qty == 20  # 25,000 / 1234.5 = 20.25


def test_fixed_amount_with_stop_reports_risk():
    r = position_size("fixed_amount", capital=100_000, price=100, amount=10_000, stop=95)
    assert (r.qty, r.amount, r.risk_amount) == (100, 10_000, 500)


def test_kelly_capped_and_uncapped():
    assert kelly_fraction(0.6, 2.0) == pytest.approx(0.4)  # 0.6 − 0.4 / 2
    capped = position_size("kelly", capital=100_000, price=100, win_rate=0.6, payoff=2.0, kelly_cap=0.25)
    assert capped.qty == 250 and "capped" in capped.note  # 25,000 / 100
    small = position_size("kelly", capital=100_000, price=100, win_rate=0.5, payoff=1.2)  # 0.5 − 0.5/1.2 = 0.0833
    assert small.qty == 83 and "capped" not in small.note


def test_kelly_without_edge_is_zero_with_a_note():
    r = position_size("kelly", capital=100_000, price=100, win_rate=0.4, payoff=1.0)
    assert r.qty == 0 and r.amount == 0 and "no edge" in r.note


def test_atr_risks_the_budget_over_atr_multiples():
    # 1 % of 100,000 = 1,000 over 2 × 20 = 40 per share → 25 shares, risk 1,000
    r = position_size("atr", capital=100_000, price=1450, risk_pct=1, atr=20, atr_mult=2)
    assert (r.qty, r.risk_amount) == (25, 1_000)


def test_vol_target_scales_by_volatility_ratio():
    # 100,000 × 0.15 / 0.30 = 50,000 → 50,000 / 1450 = 34.48 → 34
    r = position_size("vol_target", capital=100_000, price=1450, target_vol=0.15, realised_vol=0.30)
    assert r.qty == 34 and r.risk_amount is None


def test_vol_target_never_exceeds_capital_without_leverage():
    r = position_size("vol_target", capital=100_000, price=100, target_vol=0.3, realised_vol=0.1)
    assert r.qty == 1000 and "capped" in r.note
    levered = position_size("vol_target", capital=100_000, price=100, target_vol=0.3, realised_vol=0.1,
                            max_leverage=3)
    assert levered.qty == 3000 and levered.note == ""


def test_tight_stop_is_capped_at_capital():
    r = position_size("risk_pct", capital=100_000, price=1450, stop=1449, risk_pct=2)
    assert r.qty == 68 and r.amount <= 100_000 and "capped" in r.note


def test_whole_lots():
    r = position_size("risk_pct", capital=100_000, price=1450, stop=1420, risk_pct=2, lot_size=25)
    assert (r.qty, r.risk_amount) == (50, 1_500)
    tiny = position_size("fixed_amount", capital=100_000, price=1450, amount=10_000, lot_size=25)
    assert tiny.qty == 0 and "less than one lot" in tiny.note


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(method="risk_pct", stop=1480, risk_pct=2), "must be below the entry"),
    (dict(method="risk_pct", stop=1420, risk_pct=2, side="short"), "must be above the entry"),
    (dict(method="risk_pct", stop=1420, risk_pct=0), r"\(0, 100\]"),
    (dict(method="risk_pct", stop=1420, risk_pct=101), r"\(0, 100\]"),
    (dict(method="risk_pct", risk_pct=2), "needs a stop"),
    (dict(method="risk_pct", stop=1450, risk_pct=2), "must be below the entry"),
    (dict(method="kelly", win_rate=55, payoff=1.5), r"decimal in \[0, 1\]"),
    (dict(method="kelly", win_rate=0.55, payoff=0), "payoff must be above zero"),
    (dict(method="kelly", win_rate=0.55, payoff=1.5, kelly_cap=2), "kelly_cap"),
    (dict(method="kelly", payoff=1.5), "win_rate is required"),
    (dict(method="atr", risk_pct=1), "atr is required"),
    (dict(method="atr", risk_pct=1, atr=-3), "atr must be above zero"),
    (dict(method="vol_target", target_vol=0.1), "realised_vol is required"),
    (dict(method="fixed_qty", qty=float("nan")), "finite"),
    (dict(method="fixed_amount"), "amount is required"),
    (dict(method="pct_equity", equity_pct=150), r"\(0, 100\]"),
    (dict(method="risk_pct", stop=1420, risk_pct=2, lot_size=0), "lot size"),
    (dict(method="risk_pct", stop=1420, risk_pct=2, side="up"), "side must be"),
    (dict(method="risk_pct", stop=1420, risk_pct=2, capital=0), "capital must be above zero"),
    (dict(method="risk_pct", stop=1420, risk_pct=2, price=-1), "entry price must be above zero"),
    (dict(method="risk_percent", stop=1420, risk_pct=2), "did you mean 'risk_pct'"),
])
def test_bad_inputs_raise_parameter_error(kwargs, message):
    kw = dict(capital=100_000, price=1450) | kwargs
    with pytest.raises(ParameterError, match=message):
        position_size(kw.pop("method"), **kw)


@given(capital=st.floats(1_000, 1e8), price=st.floats(1, 10_000), stop_frac=st.floats(0.5, 0.999),
       risk_pct=st.floats(0.1, 100), lot=st.sampled_from([1, 5, 25, 75]))
def test_risk_pct_never_risks_more_than_the_budget_nor_spends_more_than_capital(capital, price, stop_frac,
                                                                                risk_pct, lot):
    r = position_size("risk_pct", capital=capital, price=price, stop=price * stop_frac, risk_pct=risk_pct,
                      lot_size=lot)
    assert r.qty >= 0 and r.qty % lot == 0
    assert r.risk_amount <= capital * risk_pct / 100 * (1 + 1e-9)
    assert r.amount <= capital * (1 + 1e-9)
    # one more lot would break a limit (the size is the largest allowed)
    more = r.qty + lot
    assert more * abs(price - price * stop_frac) > capital * risk_pct / 100 * (1 - 1e-9) or more * price > capital


def test_every_method_is_documented_and_reachable():
    inputs = dict(stop=90, risk_pct=1, amount=1000, qty=3, equity_pct=5, win_rate=0.6, payoff=2, atr=2,
                  target_vol=0.1, realised_vol=0.2)
    for method in SIZING_METHODS:
        r = position_size(method, capital=10_000, price=100, **inputs)
        assert r.method == method and r.qty > 0 and math.isclose(r.amount, r.qty * 100)
