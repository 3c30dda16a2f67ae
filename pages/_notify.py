"""The notification centre: a sidebar bell with the unread count and a popover of recent notifications."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import streamlit as st

from engine import notify
from engine.secrets import use_key
from pages._shared import get_db
from storage.notifications import NotificationRecord

SEVERITY_ICONS = {"info": "ℹ️", "success": "✅", "warning": "⚠️", "critical": "🚨"}
SHOWN = 10  # notifications listed in the popover
IST = ZoneInfo("Asia/Kolkata")


def use_streamlit_secret_key() -> None:
    """Hand QUANTDESK_SECRET_KEY from .streamlit/secrets.toml to engine.secrets (used when settings set none)."""
    try:
        value = st.secrets.get("QUANTDESK_SECRET_KEY") or st.secrets.get("secret_key")
    except Exception:  # noqa: BLE001 - no secrets file (or an unreadable one): settings or the key file apply
        value = None
    if value:
        use_key(str(value))


@st.cache_data(ttl=15, show_spinner=False)
def unread_cached() -> int:
    return notify.unread_count(get_db())


@st.cache_data(ttl=15, show_spinner=False)
def recent_cached(limit: int = SHOWN) -> list[NotificationRecord]:
    return notify.recent_notifications(get_db(), limit=limit)


def clear_notification_caches() -> None:
    unread_cached.clear()
    recent_cached.clear()


def _mark_read(notification_id: int) -> None:
    notify.mark_read(get_db(), notification_id)
    clear_notification_caches()


def _mark_all_read() -> None:
    notify.mark_all_read(get_db())
    clear_notification_caches()


def bell_label(unread: int) -> str:
    return f"🔔 {unread} unread" if unread else "🔔 No unread notifications"


def _when(note: NotificationRecord) -> str:
    return note.created_at.astimezone(IST).strftime("%d %b %H:%M IST")


def _escape(text: str) -> str:
    """Plain text for st.markdown: a "$" would start LaTeX."""
    return text.replace("$", "\\$")


def _render(note: NotificationRecord) -> None:
    icon = SEVERITY_ICONS.get(note.severity, "ℹ️")
    title = _escape(note.title) if note.is_read else f"**{_escape(note.title)}**"
    meta = f"{_when(note)} · {note.source}" + ("" if note.is_read else " · unread")
    with st.container(border=True):
        st.markdown(f"{icon} {title}  \n{_escape(note.body)}  \n:gray[{meta}]")
        if not note.is_read:
            st.button("Mark read", key=f"notify_read_{note.id}", type="tertiary", on_click=_mark_read,
                      args=(note.id,))


def notification_centre() -> None:
    """The bell in the sidebar: unread count, recent notifications, mark read / mark all read."""
    use_streamlit_secret_key()
    try:
        unread, recent = unread_cached(), recent_cached()
    except Exception:  # noqa: BLE001 - the bell must never break a page (e.g. a database not migrated yet)
        st.sidebar.caption("🔔 notifications unavailable")
        return
    with st.sidebar.popover(bell_label(unread), width="stretch", type="primary" if unread else "secondary"):
        if not recent:
            st.caption("No notifications yet — alerts you set up will show here.")
            return
        st.button("Mark all read", key="notify_read_all", disabled=not unread, on_click=_mark_all_read,
                  icon="✔️")
        for note in recent:
            _render(note)
        if len(recent) == SHOWN:
            st.caption(f"The {SHOWN} most recent are shown.")
