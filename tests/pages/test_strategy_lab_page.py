"""Strategy Lab page through AppTest: small sweep with heatmap, size guard, walk-forward, look-ahead check."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine.strategies import Signals, Strategy, build_signals, register, unregister
from tests.pages.page_helpers import (  # noqa: F401
    ROOT,
    SYMBOLS,
    app,
    app_at,
    chart_keys,
    demo_env,
    empty_db,
    errors,
    seeded,
)


def small_grid(at):  # noqa: ANN001, ANN201
    """fast 5..15 step 5 × slow 20..40 step 10: 9 combinations, all valid."""
    prefix = "lab_sma_cross"
    at.number_input(key=f"{prefix}_lo_fast").set_value(5)
    at.number_input(key=f"{prefix}_hi_fast").set_value(15)
    at.number_input(key=f"{prefix}_st_fast").set_value(5)
    at.number_input(key=f"{prefix}_lo_slow").set_value(20)
    at.number_input(key=f"{prefix}_hi_slow").set_value(40)
    at.number_input(key=f"{prefix}_st_slow").set_value(10).run(timeout=60)
    assert not at.exception
    return at


def test_small_sweep_shows_ranked_table_best_params_and_heatmap(seeded) -> None:  # noqa: ANN001, F811
    at = small_grid(app("strategy_lab"))
    assert at.multiselect(key="lab_sweep_params_sma_cross").value == ["fast", "slow"]
    assert any("9 of 9 combinations" in c.value for c in at.caption)
    at.selectbox(key="lab_objective").set_value("total_return")
    at.button(key="lab_run_sweep").click().run(timeout=60)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == 9 and {"fast", "slow", "total_return", "sharpe"} <= set(table.columns)
    assert list(table["total_return"]) == sorted(table["total_return"], reverse=True)
    best = table.iloc[0]
    assert f"`fast={int(best['fast'])}`" in at.markdown[-1].value or any(
        f"`fast={int(best['fast'])}`" in m.value for m in at.markdown)
    assert "lab_heatmap" in chart_keys(at)
    assert at.metric[1].value == "9"


def test_oversized_grid_is_refused(seeded) -> None:  # noqa: ANN001, F811
    at = app("strategy_lab")
    at.multiselect(key="lab_sweep_params_sma_cross").set_value(
        ["fast", "slow", "stop_loss_pct", "take_profit_pct"]).run(timeout=60)
    assert not at.exception
    assert any("above the limit" in w.value for w in at.warning)
    assert at.button(key="lab_run_sweep").disabled


def test_open_best_in_backtest_prefills_backtest_page(seeded) -> None:  # noqa: ANN001, F811
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # switch_page needs st.navigation
    at.run(timeout=60)
    at.switch_page("pages/strategy_lab.py").run(timeout=60)
    small_grid(at)
    at.button(key="lab_run_sweep").click().run(timeout=60)
    best = at.session_state["lab_sweep"]["best"]
    at.button(key="lab_open_best").click().run(timeout=60)
    assert not at.exception, at.exception
    assert at.title[0].value == "Backtest"
    assert at.number_input(key="backtest_p_sma_cross_fast").value == best["fast"]
    assert at.number_input(key="backtest_p_sma_cross_slow").value == best["slow"]
    assert at.multiselect(key="backtest_symbols").value == [SYMBOLS[0]]


def test_small_walkforward_shows_windows_equity_and_efficiency(seeded) -> None:  # noqa: ANN001, F811
    at = small_grid(app("strategy_lab"))
    at.number_input(key="lab_wf_windows").set_value(3)
    at.toggle(key="lab_wf_anchored").set_value(True).run(timeout=60)
    assert any("9 combinations" in c.value for c in at.caption)
    at.button(key="lab_wf_run").click().run(timeout=60)
    assert not at.exception, at.exception
    windows = at.dataframe[-1].value
    assert list(windows["window"]) == [1, 2, 3]
    assert (windows["train_start"] == windows["train_start"].iloc[0]).all(), "anchored: training starts together"
    assert (windows["test_start"] > windows["train_end"]).all(), "each test window follows its training window"
    assert "lab_wf_equity" in chart_keys(at)
    assert [m.label for m in at.metric][-1] == "Efficiency"


def test_walkforward_too_short_history_says_what_to_do(seeded) -> None:  # noqa: ANN001, F811
    at = app("strategy_lab")
    last = at.date_input(key="lab_dates").value[1]
    at.date_input(key="lab_dates").set_value((last - timedelta(days=180), last)).run(timeout=60)
    small_grid(at)
    at.number_input(key="lab_wf_windows").set_value(20).run(timeout=60)
    at.button(key="lab_wf_run").click().run(timeout=60)
    assert not at.exception
    assert any("fewer or shorter windows" in e for e in errors(at)), errors(at)


def test_lookahead_check_passes_for_builtin(seeded) -> None:  # noqa: ANN001, F811
    at = app("strategy_lab")
    at.number_input(key="lab_la_checks").set_value(10)
    at.button(key="lab_la_run").click().run(timeout=60)
    assert not at.exception, at.exception
    assert any("No look-ahead found in 10 checks" in s.value for s in at.success)


class PeekAhead(Strategy):
    """Deliberately broken: buys when tomorrow's close is higher (uses the future)."""

    name = "test_peek_ahead"
    title = "Peek ahead (broken)"
    params = ()

    def signals(self, bars: pd.DataFrame) -> Signals:
        up = bars["close"].shift(-1) > bars["close"]
        return build_signals(bars, self.p, entries_long=up, exits_long=~up)


@pytest.fixture
def peek_strategy():  # noqa: ANN201
    register(PeekAhead)
    yield PeekAhead
    unregister(PeekAhead.name)


def test_lookahead_check_flags_a_leaky_strategy(seeded, peek_strategy) -> None:  # noqa: ANN001, F811
    at = app("strategy_lab")
    at.selectbox(key="lab_strategy").set_value(peek_strategy.name).run(timeout=60)
    at.number_input(key="lab_la_checks").set_value(10)
    at.button(key="lab_la_run").click().run(timeout=60)
    assert not at.exception, at.exception
    assert any("Look-ahead found" in e for e in errors(at)), errors(at)
    violations = at.dataframe[-1].value
    assert len(violations) >= 1 and {"checked_at", "bar", "field", "message"} <= set(violations.columns)


def test_invalid_base_parameters_block_lookahead(seeded) -> None:  # noqa: ANN001, F811
    at = app("strategy_lab")
    at.number_input(key="lab_p_sma_cross_fast").set_value(50)
    at.number_input(key="lab_p_sma_cross_slow").set_value(30).run(timeout=60)
    assert not at.exception
    assert any("fast (50) must be smaller than slow (30)" in e for e in errors(at))


def test_empty_database_points_to_data_page(empty_db) -> None:  # noqa: ANN001, F811
    at = app_at("strategy_lab")  # the whole app, so the link to the Data page resolves
    assert not at.exception, at.exception
    assert at.title[0].value == "Strategy Lab"
    assert any("No market data stored yet" in i.value for i in at.info)
    assert any(link.proto.page.endswith("data") for link in at.get("page_link"))
