"""The sidebar notification centre through AppTest of the whole app: unread badge, list, mark read, mark all read."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from engine import notify
from tests.pages.page_helpers import ROOT, demo_env, empty_db, errors  # noqa: F401


def popover_labels(at: AppTest) -> list[str]:
    """Labels of the popovers in the sidebar (AppTest has no popover element type: read the block protos)."""
    labels, stack = [], [at.sidebar]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and proto.DESCRIPTOR.name == "Block" and proto.WhichOneof("type") == "popover":
            labels.append(proto.popover.label)
        stack.extend(getattr(node, "children", {}).values())
    return labels


def run_app() -> AppTest:
    """The whole app, first run: AppTest keeps app.py's sidebar only on the first run of the script."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run(timeout=90)
    return at


def _centre_script() -> None:
    from pages._notify import notification_centre

    notification_centre()


def run_centre() -> AppTest:
    """The notification centre alone, for clicks (reruns)."""
    at = AppTest.from_function(_centre_script, default_timeout=60)
    at.run(timeout=60)
    return at


def test_no_notifications(empty_db) -> None:  # noqa: ANN001, F811
    at = run_app()
    assert not at.exception
    assert popover_labels(at) == ["🔔 No unread notifications"]
    assert any("No notifications yet" in c.value for c in at.sidebar.caption)


def test_unread_badge_list_mark_read_and_mark_all_read(empty_db, db_engine) -> None:  # noqa: ANN001, F811
    notify.notify(db_engine, title="RSI above 70", body="RELIANCE.NS RSI(14) = 71.20", severity="warning")
    notify.notify(db_engine, title="Sync failed", body="TCS.NS: provider offline", severity="critical",
                  source="job")
    notify.notify(db_engine, title="Price above 2,900", body="RELIANCE.NS closed at 2,912.40")
    assert popover_labels(run_app()) == ["🔔 3 unread"]  # in app.py's sidebar
    at = run_centre()
    assert not at.exception and not errors(at)
    assert popover_labels(at) == ["🔔 3 unread"]
    shown = [m.value for m in at.sidebar.markdown if "\n" in m.value]
    assert shown[0].startswith("ℹ️ **Price above 2,900**") and "🚨 **Sync failed**" in shown[1]
    assert "⚠️ **RSI above 70**" in shown[2] and "RELIANCE.NS RSI(14) = 71.20" in shown[2]
    assert "IST · job · unread]" in shown[1]

    newest = notify.recent_notifications(db_engine)[0]
    at.button(key=f"notify_read_{newest.id}").click().run()
    assert not at.exception
    assert popover_labels(at) == ["🔔 2 unread"] and notify.unread_count(db_engine) == 2
    assert f"notify_read_{newest.id}" not in [b.key for b in at.button]

    at.button(key="notify_read_all").click().run()
    assert not at.exception and notify.unread_count(db_engine) == 0
    assert popover_labels(at) == ["🔔 No unread notifications"]
    assert at.button(key="notify_read_all").disabled


def test_the_settings_page_opens_from_the_navigation(empty_db) -> None:  # noqa: ANN001, F811
    at = run_app()
    at.switch_page("pages/settings.py").run(timeout=90)
    assert not at.exception
    assert at.title[0].value == "Settings"
