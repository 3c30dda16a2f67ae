"""Alerts page through AppTest: rule form per kind, check now → event, acknowledge, snooze, re-arm, errors."""

from __future__ import annotations

from engine import alerts
from engine.data.sync import load_bars
from tests.pages.page_helpers import SYMBOLS, app, app_at, demo_env, empty_db, errors, seeded  # noqa: F401

FRAME_COLUMNS = {"alerts_rules": {"name", "state", "mode", "last_error"}, "alerts_events": {"rule", "message", "bar"}}


def _frame(at, key: str):  # noqa: ANN001, ANN202
    """The rules or events table (AppTest does not expose a dataframe's key, so it is found by its columns)."""
    return next(d.value for d in at.dataframe if FRAME_COLUMNS[key] <= set(d.value.columns))


def _metrics(at) -> dict[str, str]:  # noqa: ANN001
    return {m.label: m.value for m in at.metric}


def test_empty_state_offers_the_form(seeded) -> None:  # noqa: ANN001, F811
    at = app("alerts")
    assert not at.exception, at.exception
    assert any("No alert rules yet" in i.value for i in at.info)
    assert at.selectbox(key="alerts_kind").value == "price_above"
    assert at.selectbox(key="alerts_symbol").value == SYMBOLS[0]
    assert at.button(key="alerts_add") is not None and at.button(key="alerts_check") is not None


def test_create_rule_check_now_and_acknowledge(seeded, db_engine) -> None:  # noqa: ANN001, F811
    close = float(load_bars(db_engine, SYMBOLS[0])["close"].iloc[-1])
    at = app("alerts")
    assert at.number_input(key="alerts_p_price_above_level").value == round(close, 2)  # defaults to the last close
    at.number_input(key="alerts_p_price_above_level").set_value(round(close - 10, 2))
    at.button(key="alerts_add").click().run(timeout=60)
    assert not at.exception and not errors(at), errors(at)
    rules = alerts.list_rules(db_engine)
    assert rules[["kind", "symbol", "state", "mode"]].values.tolist() == [["price_above", SYMBOLS[0], "active",
                                                                           "one_shot"]]
    assert rules["params"][0]["level"] == round(close - 10, 2)
    assert _frame(at, "alerts_rules")["state"].tolist() == ["🟢 active"]
    assert _metrics(at)["Active rules"] == "1"

    at.button(key="alerts_check").click().run(timeout=60)
    assert not at.exception, at.exception
    events = _frame(at, "alerts_events")
    assert len(events) == 1 and events["message"][0].startswith(f"{SYMBOLS[0]} closed above ₹")
    assert _metrics(at)["Triggered"] == "1"
    assert _frame(at, "alerts_rules")["state"].tolist() == ["🔔 triggered"]

    at.button(key="alerts_ack").click().run(timeout=60)
    assert not at.exception, at.exception
    assert alerts.list_rules(db_engine)["state"].tolist() == ["acknowledged"]  # one-shot: quiet until re-armed
    assert _frame(at, "alerts_events")["acknowledged_at"][0] != ""
    at.button(key="alerts_rearm").click().run(timeout=60)
    assert alerts.list_rules(db_engine)["state"].tolist() == ["active"]


def test_snooze_disable_delete(seeded, db_engine) -> None:  # noqa: ANN001, F811
    rule_id = alerts.add_rule(db_engine, kind="rsi", symbol=SYMBOLS[1], mode="repeating", cooldown_minutes=60)
    at = app("alerts")
    at.button(key="alerts_snooze_1h").click().run(timeout=60)
    assert not at.exception, at.exception
    assert alerts.get_rule(db_engine, rule_id).snooze_until is not None
    assert "💤 snoozed" in _frame(at, "alerts_rules")["state"][0] and _metrics(at)["Snoozed"] == "1"
    at.button(key="alerts_disable").click().run(timeout=60)
    assert alerts.get_rule(db_engine, rule_id).state == "disabled"
    at.button(key="alerts_delete").click().run(timeout=60)
    assert not at.exception, at.exception
    assert alerts.list_rules(db_engine).empty and any("No alert rules yet" in i.value for i in at.info)


def test_form_follows_the_kind_and_reports_bad_params(seeded, db_engine) -> None:  # noqa: ANN001, F811
    at = app("alerts")
    at.selectbox(key="alerts_kind").set_value("indicator_cross").run(timeout=60)
    assert not at.exception, at.exception
    assert at.text_input(key="alerts_p_indicator_cross_a").value == "sma(20)"
    at.text_input(key="alerts_p_indicator_cross_a").set_value("smaa(20)")
    at.button(key="alerts_add").click().run(timeout=60)
    assert not at.exception and errors(at) == ["indicator_cross: unknown indicator 'smaa'; did you mean 'sma'?"]
    assert alerts.list_rules(db_engine).empty
    at.selectbox(key="alerts_kind").set_value("deployment_pnl").run(timeout=60)
    assert any("No paper deployments yet" in i.value for i in at.info)
    at.selectbox(key="alerts_kind").set_value("breaker").run(timeout=60)
    assert not at.exception and at.selectbox(key="alerts_p_breaker_deployment").value == 0
    at.button(key="alerts_add").click().run(timeout=60)
    assert alerts.list_rules(db_engine)["kind"].tolist() == ["breaker"]


def test_empty_database_points_to_data(empty_db) -> None:  # noqa: ANN001, F811
    at = app("alerts")
    assert not at.exception, at.exception
    assert any("No market data stored yet" in i.value for i in at.info)


def test_page_is_in_the_navigation(seeded) -> None:  # noqa: ANN001, F811
    at = app_at("alerts")
    assert not at.exception, at.exception
    assert at.title[0].value == "Alerts"
