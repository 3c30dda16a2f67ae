"""Market and Data pages through AppTest: demo data, an empty database, bad CSV input, sync with progress."""

from __future__ import annotations

import pandas as pd

from storage.candles import load_candles
from storage.sync_runs import recent_runs
from tests.pages.page_helpers import SYMBOLS, app, app_at, chart_keys, demo_env, empty_db, errors, seeded  # noqa: F401


def test_market_renders_candles_with_overlays(seeded) -> None:  # noqa: ANN001, F811
    at = app("market")
    assert not at.exception
    assert at.selectbox(key="market_symbol").value == SYMBOLS[0]
    assert "market_chart" in chart_keys(at)
    assert [m.label for m in at.metric] == ["Last close", "Range return", "52-week high", "52-week low"]
    assert any("demo data" in w.value for w in at.warning), "demo data carries a visible badge"
    chart = at.get("plotly_chart")[0]
    assert "SMA 50" in chart.proto.spec and "EMA 20" in chart.proto.spec


def test_market_switches_symbol_and_turns_overlays_off(seeded) -> None:  # noqa: ANN001, F811
    at = app("market")
    at.selectbox(key="market_symbol").set_value(SYMBOLS[1])
    at.number_input(key="market_sma").set_value(0).run()
    assert not at.exception
    spec = at.get("plotly_chart")[0].proto.spec
    assert SYMBOLS[1] in spec and "SMA 50" not in spec


def test_market_on_empty_database_points_to_data_page(empty_db) -> None:  # noqa: ANN001, F811
    at = app_at("market")  # the whole app, so the link to the Data page resolves
    assert not at.exception
    assert any("No market data stored yet" in i.value for i in at.info)
    assert any(link.proto.page.endswith("data") for link in at.get("page_link"))


def test_data_page_shows_coverage(seeded) -> None:  # noqa: ANN001, F811
    at = app("data")
    assert not at.exception
    assert at.metric[0].value == str(len(SYMBOLS))
    table = _table(at, "last real sync")
    assert set(table["symbol"]) == set(SYMBOLS)
    assert set(table["source"]) == {"demo"}
    assert "data_coverage_chart" in chart_keys(at)


def test_data_page_on_empty_database(empty_db) -> None:  # noqa: ANN001, F811
    at = app("data")
    assert not at.exception
    assert at.metric[1].value == "0"
    assert any("No data stored yet" in i.value for i in at.info)


def test_sync_now_with_demo_provider_records_runs(empty_db, db_engine) -> None:  # noqa: ANN001, F811
    at = app("data")
    at.multiselect(key="data_sync_symbols").set_value([])
    at.text_input(key="data_sync_extra").set_value("INFY.NS, AAPL")
    at.selectbox(key="data_sync_provider").set_value("demo")
    at.button(key="FormSubmitter:data_sync_form-Sync now").click().run(timeout=60)
    assert not at.exception
    assert any("2 of 2 symbols synced" in s.value for s in at.success)
    assert len(load_candles(db_engine, "INFY.NS", "1d")) > 1000
    assert set(recent_runs(db_engine)["status"]) <= {"ok", "demo"}


def test_sync_without_symbols_says_what_to_do(empty_db) -> None:  # noqa: ANN001, F811
    at = app("data")
    at.multiselect(key="data_sync_symbols").set_value([])
    at.button(key="FormSubmitter:data_sync_form-Sync now").click().run()
    assert not at.exception
    assert "Pick at least one symbol to sync." in errors(at)


def test_validate_reports_per_symbol(seeded) -> None:  # noqa: ANN001, F811
    at = app("data")
    at.button(key="data_validate").click().run(timeout=60)
    assert not at.exception
    summary = _table(at, "ok")
    assert set(summary["symbol"]) == set(SYMBOLS)
    assert summary["ok"].all(), summary  # the demo generator only makes bars on real sessions


def _table(at, column: str) -> pd.DataFrame:  # noqa: ANN001
    """The first dataframe on the page that has `column`."""
    return next(d.value for d in at.dataframe if column in d.value.columns)

