"""Tear sheet on pages through AppTest: render_tearsheet on a synthetic curve, Backtest and Paper Trading."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine.paper.deployments import DeploymentSpec, create_deployment
from engine.paper.runner import tick_deployment
from tests.pages.page_helpers import (  # noqa: F401
    SYMBOLS,
    app,
    chart_keys,
    demo_env,
    empty_db,
    errors,
    seed_demo_bars,
    seeded,
)

SCRIPT = """
import numpy as np
import pandas as pd
from pages._tearsheet import render_tearsheet

n = {n}
rng = np.random.default_rng(5)
index = pd.bdate_range("2021-01-01", periods=n, tz="UTC")
equity = pd.Series(1e6 * np.exp(np.cumsum(rng.normal(0.0004, 0.011, n))), index)
bench = pd.Series(2e4 * np.exp(np.cumsum(rng.normal(0.0003, 0.009, n))), index, name="^NSEI")
if {shift_benchmark}:
    bench.index = bench.index + pd.DateOffset(years=20)
render_tearsheet(equity, bench, key="ts", currency="INR", title="Synthetic")
"""


def script_app(tmp_path: Path, n: int = 700, shift_benchmark: bool = False) -> AppTest:
    path = tmp_path / "tearsheet_page.py"
    path.write_text(SCRIPT.format(n=n, shift_benchmark=shift_benchmark))
    at = AppTest.from_file(str(path), default_timeout=60)
    at.run(timeout=60)
    return at


def test_render_tearsheet_shows_cards_figures_and_download(tmp_path: Path, demo_env) -> None:  # noqa: ANN001, F811
    at = script_app(tmp_path)
    assert not at.exception, at.exception
    assert [m.label for m in at.metric] == ["Total return", "CAGR", "Sharpe", "Max drawdown", "Volatility", "Beta"]
    total = at.metric[0]
    assert total.value.endswith("%") and total.proto.delta.endswith(" pp") and "Delta: ^NSEI was" in total.help
    bench_pct = float(re.search(r"\^NSEI was ([-+0-9.]+)%", total.help).group(1))
    assert float(total.proto.delta.split(" pp")[0]) == pytest.approx(float(total.value[:-1]) - bench_pct, abs=0.06)
    assert all(m.help for m in at.metric), "every card carries its convention"
    assert [t.label for t in at.tabs] == ["Returns", "Calendar", "Rolling", "Distribution", "Metrics"]
    assert chart_keys(at) == {"ts_cumulative"}, "only the open tab is built"
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Download tear sheet (HTML)"]
    for tab, keys in (("Calendar", {"ts_monthly", "ts_yearly", "ts_calendar"}), ("Rolling", {"ts_rolling"}),
                      ("Distribution", {"ts_distribution"})):
        at.session_state["ts_tab"] = tab
        at.run(timeout=60)
        assert not at.exception, at.exception
        assert chart_keys(at) == keys, tab
    at.session_state["ts_tab"] = "Metrics"
    at.run(timeout=60)
    table = at.dataframe[0].value
    assert list(table.columns) == ["Metric", "Strategy", "^NSEI", "Convention"]
    assert table.set_index("Metric").loc["Initial equity", "Strategy"].startswith("₹")


def test_too_short_curve_is_an_error_message(tmp_path: Path, demo_env) -> None:  # noqa: ANN001, F811
    at = script_app(tmp_path, n=2)
    assert not at.exception, at.exception
    assert any("at least 3" in e for e in errors(at))
    assert not at.get("download_button")


def test_benchmark_without_overlap_is_dropped_with_a_warning(tmp_path: Path, demo_env) -> None:  # noqa: ANN001, F811
    at = script_app(tmp_path, shift_benchmark=True)
    assert not at.exception, at.exception
    assert any("without a benchmark" in w.value for w in at.warning)
    assert "Beta" not in [m.label for m in at.metric] and "Sortino" in [m.label for m in at.metric]
    assert at.get("download_button")


def test_backtest_page_shows_the_tear_sheet_after_a_run(seeded, db_engine) -> None:  # noqa: ANN001, F811
    seed_demo_bars(db_engine, ("^NSEI",))
    at = app("backtest")
    at.button(key="backtest_run").click().run(timeout=60)
    assert not at.exception, at.exception
    assert "backtest_ts_cumulative" not in chart_keys(at), "collapsed: not built"
    at.session_state["backtest_tearsheet"] = True
    at.run(timeout=60)
    assert not at.exception, at.exception
    assert "backtest_ts_cumulative" in chart_keys(at)
    assert any(b.proto.label == "Download tear sheet (HTML)" for b in at.get("download_button"))
    radio = at.radio(key="backtest_ts_benchmark")
    assert radio.options == ["Buy & hold", "^NSEI"] and radio.value == "Buy & hold"
    assert "Delta: Buy & hold was" in at.metric[6].help
    radio.set_value("^NSEI").run(timeout=60)
    assert not at.exception, at.exception
    assert "Delta: ^NSEI was" in at.metric[6].help


def test_paper_page_shows_a_deployments_tear_sheet(seeded, db_engine) -> None:  # noqa: ANN001, F811
    spec = DeploymentSpec("sma_cross", [SYMBOLS[0]], {"fast": 5, "slow": 20}, config={"costs": 0.001},
                          start="2023-01-02", history_start="2022-01-03")
    dep_id = create_deployment(db_engine, spec)
    assert tick_deployment(db_engine, dep_id, pd.Timestamp("2024-06-27", tz="UTC"))["status"] == "ok"
    at = app("paper")
    assert not at.exception, at.exception
    at.session_state[f"paper_tearsheet_{dep_id}"] = True
    at.run(timeout=60)
    assert not at.exception, at.exception
    assert f"paper_ts_{dep_id}_cumulative" in chart_keys(at)
    assert any(b.proto.label == "Download tear sheet (HTML)" for b in at.get("download_button"))
    assert "Beta" in [m.label for m in at.metric], f"{SYMBOLS[0]} buy & hold is the benchmark"


def test_paper_tear_sheet_waits_for_equity(seeded, db_engine) -> None:  # noqa: ANN001, F811
    dep_id = create_deployment(db_engine, DeploymentSpec("sma_cross", [SYMBOLS[0]], {"fast": 5, "slow": 20}))
    at = app("paper")
    at.session_state[f"paper_tearsheet_{dep_id}"] = True
    at.run(timeout=60)
    assert not at.exception, at.exception
    assert any("needs at least 3 days of paper equity" in i.value for i in at.info)
    assert not at.get("download_button")
