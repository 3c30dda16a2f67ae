"""Alerts: rules watched on every closed bar (form per kind), their state and actions, event history, check now."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from engine import alerts
from engine.alerts import Kind
from engine.errors import QuantdeskError
from engine.strategies.base import Param
from pages._notify import clear_notification_caches
from pages._shared import get_db, load_bars_cached, stored_intervals, stored_symbols
from pages._widgets import metric_slots
from storage.paper import list_deployments

P = "alerts"  # session-state prefix
TZ = "Asia/Kolkata"
STATE_ICONS = {"active": "🟢 active", "triggered": "🔔 triggered", "acknowledged": "✔️ acknowledged",
               "disabled": "⏸️ disabled"}

st.title("Alerts")
st.caption("Conditions checked on every closed bar by the scheduler (or now, with *Check now*): price levels and "
           "crosses, moves, gaps, volume, RSI, indicators, news sentiment, paper P&L, circuit breakers, sync failures.")


@st.cache_data(ttl=15, show_spinner=False)
def rules_cached() -> pd.DataFrame:
    return alerts.list_rules(get_db())


@st.cache_data(ttl=15, show_spinner=False)
def events_cached(limit: int = 200) -> pd.DataFrame:
    return alerts.history(get_db(), limit=limit)


def refresh() -> None:
    rules_cached.clear()
    events_cached.clear()
    st.rerun()


def _last_close(symbol: str) -> float | None:
    try:
        return float(load_bars_cached(symbol, "1d")["close"].iloc[-1])
    except (QuantdeskError, IndexError):
        return None


def param_widget(kind: Kind, p: Param, symbol: str | None, col: Any) -> Any:  # noqa: ANN401 - a widget value
    """One field of the rule form; price levels default to the symbol's last close."""
    key, label = f"{P}_p_{kind.name}_{p.name}", p.name.replace("_", " ").capitalize()
    if p.name == "interval":
        options = [i for i in p.choices or () if symbol and i in stored_intervals(symbol)] or ["1d"]
        return col.selectbox(label, options, key=key, help=p.help)
    if p.name == "deployment":
        deps = list_deployments(get_db())
        ids = ([0] if p.default == 0 else []) + deps["id"].astype(int).tolist()
        names = dict(zip(deps["id"], deps["name"])) | {0: "any deployment"}
        return col.selectbox("Deployment", ids, key=key, help=p.help, format_func=lambda i: f"#{i} · {names[i]}"
                             if i else names[0])
    if p.choices is not None:
        return col.selectbox(label, list(p.choices), index=list(p.choices).index(p.default), key=key, help=p.help)
    if p.type is str:
        return col.text_input(label, value=p.default, key=key, help=p.help)
    default = p.default
    if p.name == "level" and symbol and (close := _last_close(symbol)) is not None:
        default = round(close, 2)
    if p.type is int:
        return col.number_input(label, int(p.low) if p.low is not None else None,
                                int(p.high) if p.high is not None else None, int(default), 1, key=key, help=p.help)
    step = 1.0 if p.name == "level" else 0.05 if p.high is not None and p.high <= 1 else 0.5
    return col.number_input(label, p.low, p.high, float(default), step, key=key, help=p.help, format="%.2f")


def rule_form() -> None:
    kinds = alerts.list_kinds()
    titles = {k.name: k.title for k in kinds}
    c = st.columns(2)
    kind = alerts.get_kind(c[0].selectbox("Kind", list(titles), format_func=titles.get, key=f"{P}_kind"))
    symbol = None
    if kind.needs_symbol:
        symbols = stored_symbols()
        if not symbols:
            st.info("No market data stored yet — open **Data** and sync symbols first.", icon="🗄️")
            return
        symbol = c[1].selectbox("Symbol", symbols, key=f"{P}_symbol")
    st.caption(kind.help)
    needs_deployment = any(p.name == "deployment" and p.default != 0 for p in kind.params)  # 0 = any deployment
    if needs_deployment and list_deployments(get_db()).empty:
        st.info("No paper deployments yet — deploy a strategy on **Paper Trading** first.", icon="🧾")
        return
    cols = st.columns(2)
    params = {p.name: param_widget(kind, p, symbol, cols[i % 2]) for i, p in enumerate(kind.params)}
    c = st.columns(3)
    mode = c[0].selectbox("Mode", ["one_shot", "repeating"], key=f"{P}_mode",
                          format_func=lambda m: "once (re-arm by hand)" if m == "one_shot" else "repeating")
    cooldown = c[1].number_input("Cooldown (minutes)", 0, 525_600, 60, 15, key=f"{P}_cooldown",
                                 help="A repeating rule fires again only this long after its last event.",
                                 disabled=mode == "one_shot")
    name = c[2].text_input("Name (optional)", key=f"{P}_name", placeholder="its condition in words")
    options = alerts.available_channels(get_db())
    channels = st.multiselect("Notify", options, default=["in-app"], key=f"{P}_channels",
                              help="In-app always; configure email, Telegram, webhooks … under Settings.")
    if st.button("Add rule", type="primary", key=f"{P}_add", icon="➕"):
        try:
            rule_id = alerts.add_rule(get_db(), kind=kind.name, symbol=symbol, params=params, name=name,
                                      mode=mode, cooldown_minutes=int(cooldown) if mode == "repeating" else 0,
                                      channels=channels)
        except QuantdeskError as exc:
            st.error(str(exc), icon="⚠️")
            return
        st.session_state[f"{P}_rule"] = rule_id
        st.toast(f"Alert rule {rule_id} added")
        refresh()


def summary(rules: pd.DataFrame, events: pd.DataFrame) -> None:
    now = pd.Timestamp.now(tz="UTC")
    today = now.tz_convert(TZ).normalize().tz_convert("UTC")
    m = metric_slots(4)
    m[0].metric("Active rules", int((rules["state"] == "active").sum()), border=True)
    m[1].metric("Triggered", int((rules["state"] == "triggered").sum()), border=True,
                help="Fired and not acknowledged yet")
    m[2].metric("Events today", int((events["fired_at"] >= today).sum()) if len(events) else 0, border=True,
                help="Since midnight IST")
    m[3].metric("Snoozed", int((rules["snooze_until"] > now).sum()), border=True)


def _local(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        out[col] = out[col].dt.tz_convert(TZ).dt.strftime("%d %b %Y %H:%M").fillna("")
    return out


def rules_table(rules: pd.DataFrame) -> None:
    now = pd.Timestamp.now(tz="UTC")
    shown = _local(rules, ["last_fired_at", "snooze_until"])
    shown["state"] = [STATE_ICONS.get(s, s) + (" · 💤 snoozed" if pd.notna(u) and u > now else "")
                      for s, u in zip(rules["state"], rules["snooze_until"])]
    st.dataframe(shown[["id", "name", "state", "mode", "last_fired_at", "last_value", "snooze_until", "last_error"]],
                 hide_index=True, width="stretch", key=f"{P}_rules",
                 column_config={"last_fired_at": "Last fired (IST)", "snooze_until": "Snoozed until (IST)",
                                "last_value": st.column_config.NumberColumn("Last value", format="%.4g")})


def actions(rules: pd.DataFrame) -> None:
    ids = rules["id"].astype(int).tolist()
    if st.session_state.get(f"{P}_rule") not in ids:
        st.session_state[f"{P}_rule"] = ids[0]
    names = dict(zip(rules["id"].astype(int), rules["name"]))
    rule_id = st.selectbox("Rule", ids, key=f"{P}_rule", format_func=lambda i: f"#{i} · {names[i]}")
    rule = rules.set_index("id").loc[rule_id]
    db = get_db()
    c = metric_slots(5)  # rows of two buttons on a phone instead of a tall column of five
    try:
        if c[0].button("Acknowledge", key=f"{P}_ack", icon="✔️", disabled=rule["state"] != "triggered"):
            st.toast(f"{alerts.acknowledge(db, rule_id)} event(s) acknowledged")
            refresh()
        if c[1].button("Snooze 1 h", key=f"{P}_snooze_1h", icon="💤"):
            alerts.snooze(db, rule_id, 60)
            refresh()
        if c[2].button("Snooze 1 day", key=f"{P}_snooze_1d", icon="🌙"):
            alerts.snooze(db, rule_id, 24 * 60)
            refresh()
        if rule["state"] in ("active", "triggered", "acknowledged") and not (
                rule["mode"] == "one_shot" and rule["state"] != "active"):
            if c[3].button("Disable", key=f"{P}_disable", icon="⏸️"):
                alerts.disable(db, rule_id)
                refresh()
        elif c[3].button("Re-arm", key=f"{P}_rearm", icon="🔁"):
            alerts.rearm(db, rule_id)
            refresh()
        with c[4].popover("Delete", icon="🗑️"):
            st.caption(f"Delete rule #{rule_id} and its events?")
            if st.button("Delete for good", key=f"{P}_delete", type="primary"):
                alerts.delete(db, rule_id)
                refresh()
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
    if rule["last_error"]:
        st.warning(f"Last check failed: {rule['last_error']}", icon="⚠️")


def history(events: pd.DataFrame) -> None:
    st.subheader("Event history")
    if events.empty:
        st.caption("No alert has fired yet.")
        return
    shown = _local(events, ["fired_at", "acknowledged_at"])
    shown["bar"] = events["bar_time"].dt.strftime("%d %b %Y %H:%M").str.replace(" 00:00", "", regex=False)
    st.dataframe(shown[["fired_at", "message", "acknowledged_at", "rule", "bar"]], hide_index=True, width="stretch",
                 key=f"{P}_events", column_config={"fired_at": "Fired (IST)", "acknowledged_at": "Acknowledged (IST)",
                                                   "bar": "Bar (UTC)"})


if st.button("Check now", type="primary", key=f"{P}_check", icon="🔎",
             help="Evaluate every rule against the stored bars now (the scheduler does this every minute)"):
    with st.spinner("Checking alert rules…"):
        fired = alerts.check_alerts(get_db())
    st.session_state[f"{P}_checked"] = f"{len(fired)} alert(s) fired" if fired else "No alert fired"
    rules_cached.clear()
    events_cached.clear()
    clear_notification_caches()
    st.rerun()  # the sidebar bell was drawn before this check: a fresh run counts the new notifications
if checked := st.session_state.pop(f"{P}_checked", None):
    st.toast(checked)

rules, events = rules_cached(), events_cached()
with st.expander("New rule", expanded=rules.empty, icon="➕"):
    rule_form()
if rules.empty:
    st.info("No alert rules yet — add one above, e.g. *Price above* on a symbol you watch.", icon="🔔")
    st.stop()
summary(rules, events)
rules_table(rules)
actions(rules)
history(events)
