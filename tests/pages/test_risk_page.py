"""Risk page through AppTest: the INFY sizing example, bad input, VaR table, beta, heatmap, empty states."""

from __future__ import annotations

from engine.money import format_money
from engine.risk import equal_weights, portfolio_returns, returns_frame, value_at_risk
from tests.pages.page_helpers import (  # noqa: F401
    SYMBOLS,
    app,
    app_at,
    chart_keys,
    demo_env,
    empty_db,
    errors,
    seed_demo_bars,
    seeded,
)


def metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


def test_default_calculator_is_the_infy_example(seeded) -> None:  # noqa: ANN001, F811
    at = app("risk")
    assert not at.exception and not errors(at)
    m = metrics(at)
    assert (m["Quantity"], m["Amount"], m["At risk (to stop)"]) == ("66", "₹95,700.00", "₹1,980.00")
    assert m["Stop distance"] == "2.07%"


def test_calculator_methods_and_bad_input(seeded) -> None:  # noqa: ANN001, F811
    at = app("risk")
    at.number_input(key="risk_stop").set_value(1480.0).run()
    assert not at.exception
    assert errors(at) == ["the stop (1480) must be below the entry (1450) for a long position"]
    at.selectbox(key="risk_side").set_value("short").run()
    assert not errors(at) and metrics(at)["At risk (to stop)"] == "₹1,980.00"
    at.selectbox(key="risk_method").set_value("kelly").run()
    at.number_input(key="risk_win_rate").set_value(0.6)
    at.number_input(key="risk_payoff").set_value(2.0).run()
    assert not at.exception and metrics(at)["Quantity"] == "17"  # 25,000 / 1450
    at.text_input(key="risk_symbol").set_value("not a symbol!").run()
    assert not at.exception and any("not a valid symbol" in e for e in errors(at))
    at.text_input(key="risk_symbol").set_value("AAPL").run()
    assert metrics(at)["Amount"].startswith("$")


def test_var_table_beta_correlation_and_sectors(seeded, db_engine) -> None:  # noqa: ANN001, F811
    seed_demo_bars(db_engine, ("^NSEI",))
    at = app("risk")
    assert not at.exception and not errors(at)
    assert at.multiselect(key="risk_symbols").value == list(SYMBOLS)
    assert {"risk_corr", "risk_sectors"} <= chart_keys(at)
    table = at.dataframe[0].value  # tabs render in order: VaR table, then betas
    assert list(table.index) == ["VaR 95%", "CVaR 95%", "VaR 99%", "CVaR 99%"]
    assert list(table.columns) == ["historical", "parametric", "monte carlo"]
    # the headline VaR is the historical quantile of the equal-weight portfolio over the last 504 days
    from engine.data.sync import load_bars

    rets = returns_frame({s: load_bars(db_engine, s, "1d", adjusted=True)["close"] for s in SYMBOLS}).tail(504)
    expected = value_at_risk(portfolio_returns(rets, equal_weights(SYMBOLS)), 0.95)
    assert table.loc["VaR 95%", "historical"].startswith(f"{expected * 100:.2f}%")
    assert metrics(at)["1-day VaR 95% (historical)"] == format_money(expected * 1_000_000, "INR", 0)
    assert metrics(at)["1-day VaR 95% (historical)"].startswith("-₹")
    assert metrics(at)["Beta vs ^NSEI"] != "—"
    betas = at.dataframe[1].value
    assert set(betas.index) == set(SYMBOLS)
    assert any("No paper deployments with a circuit breaker" in i.value for i in at.info)
    assert any("demo data" in w.value for w in at.warning), "demo data carries a visible badge"


def test_beta_needs_the_index_and_no_symbols_is_not_an_error(seeded) -> None:  # noqa: ANN001, F811
    at = app("risk")
    assert metrics(at)["Beta vs ^NSEI"] == "—"
    assert any("Sync ^NSEI" in i.value for i in at.info)
    at.multiselect(key="risk_symbols").set_value([]).run()
    assert not at.exception and any("Pick at least one symbol" in i.value for i in at.info)


def test_empty_database_still_sizes(empty_db) -> None:  # noqa: ANN001, F811
    at = app("risk")
    assert not at.exception
    assert metrics(at)["Quantity"] == "66"
    assert any("No daily bars stored yet" in i.value for i in at.info)


def test_risk_page_is_in_the_app_navigation(seeded) -> None:  # noqa: ANN001, F811
    at = app_at("risk")
    assert not at.exception
    assert [h.value for h in at.title] == ["Risk"]
    assert "Circuit breakers" in [h.value for h in at.subheader]


def test_tripped_breaker_is_listed_and_reset_from_the_page(seeded, db_engine) -> None:  # noqa: ANN001, F811
    import pandas as pd

    from engine.paper import deployments
    from engine.paper.clock import bar_close_time
    from engine.paper.runner import tick_deployment
    from storage.candles import load_candles

    bars = load_candles(db_engine, SYMBOLS[0], "1d")
    spec = deployments.DeploymentSpec(
        "sma_cross", [SYMBOLS[0]], {"fast": 5, "slow": 20}, config={"cash": 100_000.0},
        risk={"breaker": {"max_consecutive_losses": 1, "calendar_symbol": SYMBOLS[0]}},
        name="breaker demo", start=bars.index[-300], history_start=bars.index[0],
    )
    dep_id = deployments.create_deployment(db_engine, spec)
    tick_deployment(db_engine, dep_id, bar_close_time(SYMBOLS[0], "1d", bars.index[-1]) + pd.Timedelta(hours=1))
    assert deployments.breaker_states(db_engine)["status"].tolist() == ["TRIPPED"]

    at = app("risk")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "reset_mode" in d.value.columns)
    assert table[["deployment", "status"]].values.tolist() == [["breaker demo", "TRIPPED"]]
    at.button(key=f"risk_reset_{dep_id}").click().run()
    assert not at.exception
    assert any("reset" in s.value for s in at.success)
    assert deployments.breaker_states(db_engine)["status"].tolist() == ["OK"]
