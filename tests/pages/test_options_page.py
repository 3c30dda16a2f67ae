"""Options page through AppTest: calculator numbers, bad input, implied vol, and the chain tab with the fetch
function stubbed (a hand-made chain, an offline provider, an NSE symbol)."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.options import bsm_greeks, bsm_price
from engine.options import chain as oc
from tests.engine.test_options_chain import EXPIRY, fake_download, yahoo_frame
from tests.pages.page_helpers import app, app_at, chart_keys, demo_env, empty_db, errors  # noqa: F401


def metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


def values(data: Any) -> list[float]:
    """A plotly trace array from a chart spec: plain list, or {"dtype", "bdata"} (base64) as plotly 6+ sends it."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def open_chain(at):  # noqa: ANN001, ANN201
    at.session_state["opt_tab"] = "Chain"
    return at.run()


def test_default_calculator_matches_the_engine(demo_env) -> None:  # noqa: ANN001, F811
    at = app("options")
    assert not at.exception and not errors(at)
    g = bsm_greeks(100, 105, 30 / 365, 0.07, 0.20, 0.0, "call")
    m = metrics(at)
    assert m["Price"] == f"{g.price:,.4f}" == "0.7675"
    assert (m["Delta"], m["Gamma"]) == (f"{g.delta:.4f}", f"{g.gamma:.4f}")
    assert (m["Theta / day"], m["Vega / 1%"], m["Rho / 1%"]) == ("-0.0337", "0.0881", "0.0187")
    assert {"opt_payoff", "opt_greeks"} <= chart_keys(at)
    assert "opt_smile" not in chart_keys(at), "the chain tab runs only when opened"
    table = at.dataframe[0].value
    assert table.loc["Theta (per year)", "value"] == pytest.approx(g.theta)


def test_put_dividend_and_bad_input(demo_env) -> None:  # noqa: ANN001, F811
    at = app("options")
    at.selectbox(key="opt_kind").set_value("put")
    at.number_input(key="opt_div").set_value(2.0).run()
    assert not at.exception
    assert metrics(at)["Price"] == f"{bsm_price(100, 105, 30 / 365, 0.07, 0.2, 0.02, 'put'):,.4f}"
    at.number_input(key="opt_days").set_value(0.0).run()
    assert not at.exception and errors(at) == ["days to expiry must be greater than 0 (got 0)"]
    at.number_input(key="opt_days").set_value(30.0)
    at.number_input(key="opt_spot").set_value(0.0).run()
    assert not at.exception and errors(at) == ["spot must be greater than 0 (got 0)"]


def test_implied_vol_form(demo_env) -> None:  # noqa: ANN001, F811
    at = app("options")
    assert at.number_input(key="opt_market_price").value == 0.77  # today's model price, rounded
    at.number_input(key="opt_market_price").set_value(bsm_price(100, 105, 30 / 365, 0.07, 0.35)).run()
    assert not at.exception and metrics(at)["Implied vol"] == "35.00%"
    at.number_input(key="opt_market_price").set_value(100.0).run()
    assert not at.exception and any("at or above its upper bound" in e for e in errors(at))


def test_chain_tab_with_a_hand_made_chain(demo_env, monkeypatch) -> None:  # noqa: ANN001, F811
    download = fake_download()
    monkeypatch.setattr(oc, "_download", download)
    at = open_chain(app("options"))
    assert not at.exception and not errors(at)
    m = metrics(at)
    assert (m["Spot"], m["Put-call ratio (OI)"], m["Put-call ratio (volume)"], m["Max pain"]) == (
        "101.00", "0.77", "0.55", "100.00")
    assert {"opt_smile", "opt_oi"} <= chart_keys(at) and "opt_payoff" not in chart_keys(at)
    assert at.selectbox(key="opt_expiry").options == [EXPIRY, "2025-02-21"]
    at.selectbox(key="opt_expiry").set_value("2025-02-21").run()
    assert not at.exception and download.seen[-1] == ("AAPL", "2025-02-21")
    at.run()
    assert download.seen.count(("AAPL", "2025-02-21")) == 1, "a rerun reads the cached chain"


def test_chain_iv_recomputed_from_mid_prices(demo_env, monkeypatch) -> None:  # noqa: ANN001, F811
    expiry = (pd.Timestamp.now(tz="America/New_York") + pd.Timedelta(days=45)).strftime("%Y-%m-%d")
    years = oc.years_to_expiry(expiry)
    rows = [(k, p, p, 1, 10, 0.5) for k in (90.0, 100.0, 110.0)
            for p in [bsm_price(101.0, k, years, 0.045, 0.3, 0.0, "call")]]

    def download(symbol: str, exp: str | None) -> dict[str, Any]:
        return {"expiries": (expiry,), "expiry": expiry, "calls": yahoo_frame(rows), "puts": yahoo_frame([]),
                "underlying": {"regularMarketPrice": 101.0}}

    monkeypatch.setattr(oc, "_download", download)
    at = open_chain(app("options"))
    at.radio(key="opt_iv_source").set_value("model").run()
    assert not at.exception and not errors(at)
    assert at.number_input(key="opt_chain_rate").value == 4.5
    chart = next(c for c in at.get("plotly_chart") if c.key == "opt_smile")
    calls = next(t for t in json.loads(chart.proto.spec)["data"] if t["name"] == "Calls")
    assert values(calls["y"]) == pytest.approx([30.0, 30.0, 30.0], abs=0.01)  # IV % (the clock moved a little)


def test_chain_offline_shows_a_warning(demo_env, monkeypatch) -> None:  # noqa: ANN001, F811
    def offline(*_: Any) -> None:
        raise ConnectionError("cannot resolve query2.finance.yahoo.com")

    monkeypatch.setattr(oc, "_download", offline)
    at = open_chain(app("options"))
    assert not at.exception and not errors(at)
    assert any("offline" in w.value and "cannot reach Yahoo Finance" in w.value for w in at.warning)
    assert "opt_smile" not in chart_keys(at)


def test_nse_symbol_and_bad_symbol(demo_env, monkeypatch) -> None:  # noqa: ANN001, F811
    monkeypatch.setattr(oc, "_download", fake_download())
    at = open_chain(app("options"))
    at.text_input(key="opt_symbol").set_value("INFY.NS").run()
    assert not at.exception and not errors(at)
    assert any("not available for NSE from Yahoo" in i.value for i in at.info)
    at.text_input(key="opt_symbol").set_value("not a symbol!").run()
    assert not at.exception and any("not a valid symbol" in e for e in errors(at))


def test_options_page_is_in_the_app_navigation(empty_db) -> None:  # noqa: ANN001, F811
    at = app_at("options")
    assert not at.exception
    assert [h.value for h in at.title] == ["Options"]
    assert metrics(at)["Price"] == "0.7675"
