"""Settings → Notification channels: add (per-kind fields), list with masked secrets, edit, test, delete, log."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from engine import notify
from engine.errors import QuantdeskError
from engine.notify import KINDS, ChannelView, FieldSpec
from engine.secrets import resolve_key
from pages._shared import get_db
from pages._widgets import metric_slots
from storage.notifications import attempts_frame

IST = ZoneInfo("Asia/Kolkata")
KIND_ICONS = {"email": "✉️", "telegram": "✈️", "webhook": "🪝", "slack": "💬", "discord": "🎮", "ntfy": "📣",
              "apprise_url": "🔗"}
STATUS_ICONS = {"ok": "✅ ok", "failed": "❌ failed", "rate_limited": "⏳ rate limited"}


@st.cache_data(ttl=10, show_spinner=False)
def attempts_cached(limit: int = 200) -> pd.DataFrame:
    return attempts_frame(get_db(), limit=limit)


def _field(spec: FieldSpec, key: str, current: str = "", secret_set: bool = False) -> str:
    """One input; a secret is never pre-filled: blank keeps the stored value."""
    if spec.choices:
        options = list(spec.choices)
        value = current or spec.default
        return st.selectbox(spec.label, options, index=options.index(value) if value in options else 0,
                            format_func=spec.choices.get, key=key, help=spec.help or None)
    if spec.secret:
        hint = "•••• set — type to replace" if secret_set else ("optional" if not spec.required else "")
        return st.text_input(spec.label, type="password", key=key, placeholder=hint, help=spec.help or None)
    return st.text_input(spec.label, value=str(current or spec.default), key=key, help=spec.help or None)


def _fields(kind: str, prefix: str, view: ChannelView | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The kind's inputs two to a row (stacking on a phone); returns (config, secrets) as typed."""
    config: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    specs = KINDS[kind].fields
    for row in range(0, len(specs), 2):
        for col, spec in zip(st.columns(2), specs[row:row + 2]):
            with col:
                current = "" if view is None else str(view.config.get(spec.name, ""))
                secret_set = view is not None and spec.name in view.secrets_set
                value = _field(spec, f"{prefix}_{spec.name}", current, secret_set)
                (secrets if spec.secret else config)[spec.name] = value
    return config, secrets


def _forget_inputs(*prefixes: str) -> None:
    """Drop typed values (secrets above all) from the session once they are stored."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefixes)]:
        del st.session_state[key]


def _key_notice() -> None:
    try:
        _, source = resolve_key()
    except QuantdeskError as exc:
        st.error(str(exc), icon="🔑")
        return
    st.caption(f"🔑 Channel secrets are encrypted at rest with {source.describe()}. They are never shown again: "
               "leave a secret field blank to keep it.")


def _add_form() -> None:
    kind = st.selectbox("Kind", list(KINDS), format_func=lambda k: f"{KIND_ICONS[k]} {KINDS[k].title}",
                        key="settings_add_kind")
    with st.form("settings_add_form"):
        name = st.text_input("Name", key="settings_add_name", placeholder="e.g. my phone",
                             help="Alert rules pick channels by this name.")
        config, secrets = _fields(kind, f"settings_add_{kind}")
        c1, c2 = st.columns(2)
        rate = c1.number_input("Rate limit (deliveries per hour, 0 = none)", 0, 10_000, notify.DEFAULT_RATE_LIMIT,
                               key="settings_add_rate")
        enabled = c2.toggle("Enabled", value=True, key="settings_add_enabled")
        submitted = st.form_submit_button("Add channel", type="primary", key="settings_add_submit")
    if submitted:
        try:
            notify.add_channel(get_db(), name=name, kind=kind, config=config, secrets=secrets, enabled=enabled,
                               rate_limit_per_hour=int(rate))
        except QuantdeskError as exc:
            st.error(str(exc), icon="⚠️")
            return
        attempts_cached.clear()
        _forget_inputs(f"settings_add_{kind}_", "settings_add_name")
        st.session_state["settings_flash"] = f"Channel **{name.strip()}** added — use *Send test* to check it."
        st.rerun()


def _test_result(view: ChannelView) -> None:
    with st.spinner(f"Sending a test through {view.name}…"):
        result = notify.send_test(get_db(), view.id)
    attempts_cached.clear()
    if result.status == "ok":
        st.success(f"Test sent through **{view.name}**.", icon="✅")
    else:
        st.error(f"The test through **{view.name}** failed: {result.error}", icon="❌")


def _edit(view: ChannelView) -> None:
    prefix = f"settings_ch{view.id}"
    with st.form(f"{prefix}_form"):
        config, secrets = _fields(view.kind, prefix, view)
        c1, c2 = st.columns(2)
        rate = c1.number_input("Rate limit (per hour, 0 = none)", 0, 10_000, view.rate_limit_per_hour,
                               key=f"{prefix}_rate")
        enabled = c2.toggle("Enabled", value=view.enabled, key=f"{prefix}_enabled")
        saved = st.form_submit_button("Save", key=f"{prefix}_save")
    if saved:
        try:
            notify.update_channel(get_db(), view.id, config=config, secrets=secrets, enabled=enabled,
                                  rate_limit_per_hour=int(rate))
        except QuantdeskError as exc:
            st.error(str(exc), icon="⚠️")
        else:
            _forget_inputs(*(f"{prefix}_{f}" for f in KINDS[view.kind].secret_fields))
            st.session_state["settings_flash"] = f"Channel **{view.name}** saved."
            st.rerun()


def _channel(view: ChannelView) -> None:
    state = "enabled" if view.enabled else "disabled"
    with st.expander(f"{KIND_ICONS.get(view.kind, '🔔')} **{view.name}** · {view.title} · {state}"):
        st.caption(view.summary)
        secret_names = [f.name for f in KINDS[view.kind].fields if f.secret]
        if secret_names:
            st.caption(" · ".join(f"{n.replace('_', ' ')}: {'•••• set' if n in view.secrets_set else 'not set'}"
                                  for n in secret_names))
        if view.secret_error:
            st.error(view.secret_error, icon="🔑")
        _edit(view)
        c1, c2 = st.columns(2)
        if c1.button("Send test", key=f"settings_ch{view.id}_test", icon="📨"):
            _test_result(view)
        confirm = c2.checkbox("Confirm delete", key=f"settings_ch{view.id}_confirm")
        if c2.button("Delete", key=f"settings_ch{view.id}_delete", disabled=not confirm, icon="🗑️"):
            notify.delete_channel(get_db(), view.id)
            attempts_cached.clear()
            st.rerun()


def _log() -> None:
    frame = attempts_cached()
    if frame.empty:
        st.info("No deliveries yet — send a test from **Channels**, or wait for an alert.", icon="📭")
        return
    shown = frame.assign(at=frame["at"].dt.tz_convert(IST).dt.tz_localize(None),
                         status=frame["status"].map(STATUS_ICONS).fillna(frame["status"]))
    st.dataframe(shown[["at", "channel", "status", "attempt", "error", "title", "kind"]], width="stretch",
                 hide_index=True, key="settings_log_table",
                 column_config={"at": st.column_config.DatetimeColumn("at (IST)", format="DD MMM HH:mm:ss"),
                                "error": st.column_config.TextColumn(width="large")})


def channels_section() -> None:
    """The whole "Notification channels" section."""
    st.subheader("Notification channels")
    _key_notice()
    flash = st.session_state.pop("settings_flash", None)
    if flash:
        st.success(flash, icon="✅")
    views = notify.list_channels(get_db())
    log = attempts_cached()
    recent = log[log["at"] >= pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=24)] if not log.empty else log
    m = metric_slots(4)
    m[0].metric("Channels", f"{len(views)}")
    m[1].metric("Enabled", f"{sum(v.enabled for v in views)}")
    m[2].metric("Delivered (24 h)", f"{int((recent['status'] == 'ok').sum()) if not recent.empty else 0}")
    m[3].metric("Failed tries (24 h)", f"{int((recent['status'] == 'failed').sum()) if not recent.empty else 0}")
    tab_list, tab_add, tab_log = st.tabs(["Channels", "Add channel", "Delivery log"])
    with tab_list:
        if not views:
            st.info("No channels yet — open **Add channel** to send alerts by email, Telegram, a webhook and more. "
                    "Notifications always appear under the 🔔 in the sidebar.", icon="🔔")
        for view in views:
            _channel(view)
    with tab_add:
        _add_form()
    with tab_log:
        _log()
