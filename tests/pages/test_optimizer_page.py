"""Optimizer page through AppTest: one-click weights, frontier, lots, backtest; infeasible input; views; empty states."""

from __future__ import annotations

import pytest

from engine.optimizer import Constraints, OptimizeSpec, optimise
from engine.optimizer.universe import load_universe
from tests.pages.page_helpers import (  # noqa: F401
    app,
    app_at,
    chart_keys,
    demo_env,
    empty_db,
    errors,
    seed_demo_bars,
    seeded,
)

BASKET = ("RELIANCE.NS", "TCS.NS", "INFY.NS", "HDFCBANK.NS", "ICICIBANK.NS")
LISTED = sorted(BASKET)  # the page lists stored symbols alphabetically


@pytest.fixture
def basket(seeded, db_engine):  # noqa: ANN001, ANN201, F811
    seed_demo_bars(db_engine, BASKET[2:])  # the seeded fixture stores the first two
    return db_engine


def table_with(at, column: str):  # noqa: ANN001, ANN201
    """The first read-only table that has `column` (st.dataframe keys are not exposed to AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


def optimise_now(at, **choices):  # noqa: ANN001, ANN003, ANN201
    for key, value in choices.items():
        widget = at.selectbox(key=f"opt_{key}") if key in ("objective", "lookback", "bt_mode", "returns", "risk") \
            else at.number_input(key=f"opt_{key}")
        widget.set_value(value)
    at.button(key="opt_run").click().run(timeout=180)
    return at


def test_first_click_shows_weights_frontier_lots_and_backtest(basket) -> None:  # noqa: ANN001
    at = app("optimizer")
    assert not at.exception and not errors(at)
    assert at.multiselect(key="opt_symbols").value == LISTED  # every stored non-index symbol, up to 8
    optimise_now(at, objective="min_volatility", bt_mode="fixed")
    assert not at.exception and not errors(at), errors(at)
    m = metrics(at)
    universe = load_universe(basket, LISTED)
    expected = optimise(universe.prices.tail(504), OptimizeSpec(objective="min_volatility", constraints=Constraints(
        sector_map=universe.sectors)))
    assert m["Volatility"] == f"{expected.volatility:.2%}"
    assert m["Expected return"] == f"{expected.expected_return:.2%}"
    assert {"opt_weights_chart", "opt_frontier", "opt_backtest"} <= chart_keys(at)
    table = table_with(at, "Weight")
    assert table["Weight"].sum() == pytest.approx(1.0, abs=1e-4)
    alloc = table_with(at, "Lot size")
    assert set(alloc["Symbol"]) <= set(BASKET) and alloc["Price"].str.startswith("₹").all()
    assert m["Leftover cash"].startswith("₹") and m["Invested"].startswith("₹")
    assert "Total return" in m and "Sharpe" in m
    assert any("demo data" in w.value for w in at.warning)


def test_cash_change_reallocates_without_reoptimising(basket) -> None:  # noqa: ANN001
    at = optimise_now(app("optimizer"), bt_mode="fixed")  # default objective: max Sharpe
    assert not at.exception and not errors(at), errors(at)
    assert any(c.value.startswith("Maximum Sharpe ratio") for c in at.caption)
    before = metrics(at)["Invested"]
    at.number_input(key="opt_cash").set_value(250_000.0).run()
    assert not at.exception and metrics(at)["Invested"] != before
    assert metrics(at)["Volatility"]  # the optimisation result is still shown


def test_infeasible_bounds_are_an_error_with_the_fix(basket) -> None:  # noqa: ANN001
    at = optimise_now(app("optimizer"), max_w=10.0)
    assert not at.exception
    assert errors(at) == ["max weight 10.0% × 5 assets = 50.0% < 100%, so the portfolio cannot be fully invested: "
                          "raise the max weight to at least 20.0% or add assets"]
    assert "opt_frontier" not in chart_keys(at)


def test_target_inputs_appear_only_when_relevant(basket) -> None:  # noqa: ANN001
    at = app("optimizer")
    keys = {n.key for n in at.number_input}
    assert "opt_target_vol" not in keys and "opt_target_return" not in keys
    at.selectbox(key="opt_objective").set_value("efficient_risk").run()
    assert "opt_target_vol" in {n.key for n in at.number_input}
    at.number_input(key="opt_target_vol").set_value(1.0)
    at.selectbox(key="opt_bt_mode").set_value("fixed")
    at.button(key="opt_run").click().run(timeout=180)
    assert not at.exception and any("below the lowest volatility reachable" in e for e in errors(at))
    at.selectbox(key="opt_objective").set_value("hrp").run()
    assert at.number_input(key="opt_max_w").disabled


def test_reoptimised_backtest_and_views(basket) -> None:  # noqa: ANN001
    at = app("optimizer")
    at.toggle(key="opt_bl").set_value(True)
    at.session_state["opt_views"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"Kind": "absolute", "Asset": "TCS.NS", "Return %": 25.0, "Confidence %": 100.0}]}
    at.selectbox(key="opt_lookback").set_value("1 year")
    at.button(key="opt_run").click().run(timeout=240)
    assert not at.exception and not errors(at), errors(at)
    table = table_with(at, "Weight")
    assert table.loc["TCS.NS", "Expected return"] == pytest.approx(0.25, abs=1e-9)  # a 100% view holds exactly
    assert any("Black-Litterman (1 views" in c.value for c in at.caption)
    assert "opt_backtest" in chart_keys(at)
    assert any("re-optimised each month" in c.value for c in at.caption)
    assert any("not free of hindsight" in c.value for c in at.caption)


def test_partial_market_caps_are_an_error(basket) -> None:  # noqa: ANN001
    at = app("optimizer")
    at.toggle(key="opt_bl").set_value(True)
    at.session_state["opt_mcaps_" + "|".join(LISTED)] = {"edited_rows": {"0": {"Market cap": 5000.0}},
                                                           "added_rows": [], "deleted_rows": []}
    at.selectbox(key="opt_bt_mode").set_value("fixed")
    at.button(key="opt_run").click().run(timeout=180)
    assert not at.exception
    assert any("market caps are missing for" in e for e in errors(at)), errors(at)


def test_incomplete_view_blocks_the_run(basket) -> None:  # noqa: ANN001
    at = app("optimizer")
    at.toggle(key="opt_bl").set_value(True)
    at.session_state["opt_views"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"Kind": "relative", "Asset": "TCS.NS", "Return %": 2.0}]}
    at.run()
    assert not at.exception
    assert any("view 1 is incomplete" in w.value for w in at.warning)
    assert at.button(key="opt_run").disabled


def test_default_basket_keeps_to_one_currency(seeded, db_engine) -> None:  # noqa: ANN001, F811
    seed_demo_bars(db_engine, ("AAPL", "INFY.NS", "^NSEI"))
    at = app("optimizer")
    assert not at.exception
    assert at.multiselect(key="opt_symbols").value == ["INFY.NS", "RELIANCE.NS", "TCS.NS"]  # no AAPL, no index
    assert "AAPL" in at.multiselect(key="opt_symbols").options


def test_one_symbol_is_an_empty_state(seeded, db_engine) -> None:  # noqa: ANN001, F811
    at = app("optimizer")
    assert not at.exception
    at.multiselect(key="opt_symbols").set_value(["TCS.NS"]).run()
    assert not at.exception and any("at least two symbols" in w.value for w in at.warning)
    assert at.button(key="opt_run").disabled


def test_empty_database(empty_db) -> None:  # noqa: ANN001, F811
    at = app_at("optimizer")  # the empty state links to the Data page, which needs the app's navigation
    assert not at.exception and any("No market data stored yet" in i.value for i in at.info)


def test_optimizer_is_in_the_app_navigation(seeded) -> None:  # noqa: ANN001, F811
    at = app_at("optimizer")
    assert not at.exception
    assert [t.value for t in at.title] == ["Optimizer"]
