"""Volatility section of the Risk page through AppTest: estimates, regime, GARCH tab, short history, empty state."""

from __future__ import annotations

import pandas as pd

from tests.pages.page_helpers import NOW, SYMBOLS, app, chart_keys, demo_env, empty_db, seeded  # noqa: F401

VOL_LABELS = ("Close-to-close", "Parkinson", "Garman-Klass", "Rogers-Satchell", "Yang-Zhang")


def metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


def warnings_text(at) -> list[str]:  # noqa: ANN001
    return [w.value for w in at.warning]


def test_section_shows_estimates_chart_and_regime(seeded, db_engine) -> None:  # noqa: ANN001, F811
    from engine.data.sync import load_bars
    from engine.volatility import vol_regime, volatility_table

    at = app("risk")
    assert not at.exception
    assert "Volatility" in [h.value for h in at.subheader]
    assert at.selectbox(key="vol_symbol").value == SYMBOLS[0]
    assert "vol_chart" in chart_keys(at) and "vol_garch_chart" not in chart_keys(at)  # GARCH tab not opened
    bars = load_bars(db_engine, SYMBOLS[0], "1d", adjusted=True)
    table = volatility_table(bars, 20, 252)
    m = metrics(at)
    for label, name in zip(VOL_LABELS, table.columns):
        assert m[label] == f"{table[name].iloc[-1] * 100:.1f}%", label
    regime = vol_regime(table["close_to_close"], lookback=756, min_history=126)
    assert m["Vol regime"] == regime.current.capitalize()
    assert any(f"{regime.current.upper()} volatility regime" in md.value for md in at.markdown)

    at.number_input(key="vol_window").set_value(60).run(timeout=60)
    assert not at.exception
    longer = volatility_table(bars, 60, 252)["yang_zhang"].iloc[-1]
    assert metrics(at)["Yang-Zhang"] == f"{longer * 100:.1f}%"


def test_garch_tab_fits_and_charts_the_forecast(seeded, db_engine) -> None:  # noqa: ANN001, F811
    from engine.data.sync import load_bars
    from engine.volatility import fit_garch, log_returns

    at = app("risk")
    at.session_state["vol_tab"] = "GARCH(1,1) forecast"
    at.run(timeout=60)
    assert not at.exception and not [w for w in warnings_text(at) if "GARCH" in w]
    assert {"vol_garch_chart", "vol_garch_history"} <= chart_keys(at)
    fit = fit_garch(log_returns(load_bars(db_engine, SYMBOLS[0], "1d", adjusted=True)), horizon=60)
    m = metrics(at)
    assert m["Persistence α+β"] == f"{fit.persistence:.3f}"
    assert m["Long-run vol"] == f"{fit.long_run_vol * 100:.1f}%"


def test_short_history_warns_instead_of_failing(seeded, db_engine) -> None:  # noqa: ANN001, F811
    from engine.data.providers.demo import DemoProvider
    from engine.data.sync import sync_symbols

    sync_symbols(db_engine, ["INFY.NS"], "1d", start=NOW - pd.Timedelta(days=60), provider=DemoProvider(now=NOW))
    at = app("risk")
    at.selectbox(key="vol_symbol").set_value("INFY.NS").run(timeout=60)
    assert not at.exception
    assert any("No vol regime yet" in w and "at least 126 vol values" in w for w in warnings_text(at))
    assert metrics(at)["Vol regime"] == "—" and metrics(at)["Close-to-close"].endswith("%")

    at.session_state["vol_tab"] = "GARCH(1,1) forecast"
    at.run(timeout=60)
    assert not at.exception
    assert any("GARCH(1,1) unavailable" in w and "at least 250 returns" in w for w in warnings_text(at))

    at.number_input(key="vol_window").set_value(200).run(timeout=60)
    assert not at.exception
    assert any("Cannot measure the volatility of INFY.NS" in w and "needs at least 201 bars" in w
               for w in warnings_text(at))


def test_empty_database_shows_what_to_do(empty_db) -> None:  # noqa: ANN001, F811
    at = app("risk")
    assert not at.exception
    assert any("measure their volatility" in i.value for i in at.info)
