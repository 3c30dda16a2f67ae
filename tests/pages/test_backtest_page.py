"""Backtest page through AppTest: one-click run, parameter errors, portfolio run, run history, empty state."""

from __future__ import annotations

import re

import pytest

from tests.pages.page_helpers import SYMBOLS, app, app_at, chart_keys, demo_env, empty_db, errors, seeded  # noqa: F401

HEADLINE = ["Total return", "CAGR", "Sharpe", "Max drawdown", "Win rate", "Trades"]


def run_default(at):  # noqa: ANN001, ANN201
    at.button(key="backtest_run").click().run(timeout=60)
    assert not at.exception, at.exception
    return at


def test_one_click_backtest_shows_metrics_charts_and_trades(seeded) -> None:  # noqa: ANN001, F811
    at = app("backtest")
    assert not at.exception
    assert at.multiselect(key="backtest_symbols").value == [SYMBOLS[0]]
    assert at.selectbox(key="backtest_strategy").value == "sma_cross"
    assert at.number_input(key="backtest_p_sma_cross_fast").value == 10
    run_default(at)
    assert [m.label for m in at.metric] == HEADLINE
    total = at.metric[0]
    strategy_pct = float(total.value.rstrip("%"))
    bench_pct = float(re.search(r"buy & hold \(([-+0-9.]+)%\)", total.help).group(1))
    delta_pp = float(total.proto.delta.split(" pp")[0])
    assert delta_pp == pytest.approx(strategy_pct - bench_pct, abs=0.06), "delta = strategy - buy & hold"
    assert int(at.metric[5].value) > 0  # a 5-year SMA cross on demo data trades
    assert all(m.help for m in at.metric), "every card carries its convention tooltip"
    assert {"backtest_equity", "backtest_price", "backtest_monthly"} <= chart_keys(at)
    trades, stats = at.dataframe[0].value, at.dataframe[1].value
    assert {"symbol", "side", "entry_time", "exit_time", "entry_price", "exit_price", "qty", "pnl", "pnl_pct",
            "costs", "bars_held", "exit_reason"} <= set(trades.columns)
    assert len(trades) == int(at.metric[5].value)
    assert trades["pnl"].iloc[0].startswith(("₹", "-₹")), "INR money is shown with its symbol"
    assert {"Metric", "Value", "Convention"} == set(stats.columns) and "Sharpe" in set(stats["Metric"])
    assert len(at.get("download_button")) == 3


def test_result_survives_other_widget_changes(seeded) -> None:  # noqa: ANN001, F811
    at = run_default(app("backtest"))
    first = at.metric[0].value
    at.number_input(key="backtest_p_sma_cross_fast").set_value(12).run(timeout=60)
    assert not at.exception
    assert at.metric[0].value == first, "editing the form keeps the last result until the next run"


def test_fast_not_below_slow_shows_error_without_traceback(seeded) -> None:  # noqa: ANN001, F811
    at = app("backtest")
    at.number_input(key="backtest_p_sma_cross_fast").set_value(40)
    at.number_input(key="backtest_p_sma_cross_slow").set_value(30).run(timeout=60)
    assert not at.exception
    assert any("fast (40) must be smaller than slow (30)" in e for e in errors(at))
    assert at.button(key="backtest_run").disabled
    assert not at.metric


def test_bad_settings_show_error(seeded) -> None:  # noqa: ANN001, F811
    at = app("backtest")
    at.selectbox(key="backtest_sizing").set_value("risk_pct").run(timeout=60)
    at.button(key="backtest_run").click().run(timeout=60)
    assert not at.exception
    assert any("stop" in e for e in errors(at)), errors(at)  # risk sizing needs a stop-loss


def test_portfolio_run_with_two_symbols(seeded) -> None:  # noqa: ANN001, F811
    at = app("backtest")
    at.multiselect(key="backtest_symbols").set_value(list(SYMBOLS)).run(timeout=60)
    assert at.number_input(key="backtest_max_pos").value == 2
    run_default(at)
    assert [m.label for m in at.metric] == HEADLINE
    assert "vs B&H" in at.metric[0].proto.delta
    assert set(at.dataframe[0].value["symbol"]) <= set(SYMBOLS)
    at.selectbox(key="backtest_chart_symbol").set_value(SYMBOLS[1]).run(timeout=60)
    assert not at.exception and "backtest_price" in chart_keys(at)


def test_prefill_from_strategy_lab(seeded) -> None:  # noqa: ANN001, F811
    at = app("backtest")
    at.session_state["backtest_pending"] = {"strategy": "ema_cross", "params": {"fast": 8, "slow": 40},
                                            "symbols": [SYMBOLS[1]], "interval": "1d"}
    at.run(timeout=60)
    assert not at.exception
    assert at.selectbox(key="backtest_strategy").value == "ema_cross"
    assert at.number_input(key="backtest_p_ema_cross_fast").value == 8
    assert at.multiselect(key="backtest_symbols").value == [SYMBOLS[1]]


def test_empty_database_points_to_data_page(empty_db) -> None:  # noqa: ANN001, F811
    at = app_at("backtest")  # the whole app, so the link to the Data page resolves
    assert not at.exception, at.exception
    assert at.title[0].value == "Backtest"
    assert any("No market data stored yet" in i.value for i in at.info)
    assert any(link.proto.page.endswith("data") for link in at.get("page_link"))
    with pytest.raises(KeyError):
        at.button(key="backtest_run")


def test_save_reopen_and_compare_runs(seeded) -> None:  # noqa: ANN001, F811
    at = run_default(app("backtest"))
    assert any("No saved runs yet" in c.value for c in at.caption)
    first_return = at.metric[0].value
    at.button(key="backtest_save").click().run(timeout=60)
    assert not at.exception and any("Saved as run #1" in c.value for c in at.caption)
    at.selectbox(key="backtest_strategy").set_value("ema_cross").run(timeout=60)
    run_default(at)
    assert at.metric[0].value != first_return
    at.button(key="backtest_save").click().run(timeout=60)
    assert any("Saved as run #2" in c.value for c in at.caption)

    history = at.dataframe[2].value
    assert list(history["id"]) == [2, 1] and "EMA crossover" in history["name"].iloc[0]
    at.selectbox(key="backtest_history_pick").set_value(1)
    at.button(key="backtest_reopen").click().run(timeout=60)
    assert not at.exception, at.exception
    assert at.metric[0].value == first_return, "reopening run #1 shows its numbers again"
    assert at.subheader[0].value.startswith("SMA crossover")

    at.multiselect(key="backtest_compare").set_value([1, 2]).run(timeout=60)
    assert not at.exception, at.exception
    compared = at.dataframe[-1].value
    assert list(compared.columns) == [c for c in compared.columns if c.startswith(("#1", "#2"))]
    assert len(compared.columns) == 2 and "Sharpe" in set(compared.index)
    assert "backtest_compare_chart" in chart_keys(at)


def test_delete_saved_run(seeded) -> None:  # noqa: ANN001, F811
    at = run_default(app("backtest"))
    at.button(key="backtest_save").click().run(timeout=60)
    at.selectbox(key="backtest_history_pick").set_value(1)
    at.button(key="backtest_delete").click().run(timeout=60)
    assert not at.exception
    assert any("No saved runs yet" in c.value for c in at.caption)
    assert at.button(key="backtest_save"), "the run on screen can be saved again"
