"""Settings page through AppTest: add channels per kind with validation, masked secrets, send test, edit, delete, log."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from engine import notify
from engine.config import get_settings
from engine.secrets import generate_key
from tests.engine.notify_helpers import WebhookServer, closed_port
from tests.pages.page_helpers import ROOT, app, demo_env, empty_db, errors  # noqa: F401

TOKEN = "hook-Secret-Token-42"


@pytest.fixture(autouse=True)
def fast_notify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTDESK_SECRET_KEY", generate_key())
    monkeypatch.setenv("QUANTDESK_NOTIFY_RETRY_WAIT_S", "0.01")
    monkeypatch.setenv("QUANTDESK_NOTIFY_TIMEOUT_S", "3")
    get_settings.cache_clear()


@pytest.fixture
def hook():
    server = WebhookServer()
    yield server
    server.close()


def page_text(at) -> str:  # noqa: ANN001
    """Every text the page shows, widget values included (to prove a secret never comes back)."""
    parts = [str(getattr(e, "value", "")) for kind in ("markdown", "caption", "success", "error", "info", "warning",
                                                       "text_input", "subheader", "title", "metric")
             for e in at.get(kind)]
    parts += [str(getattr(e, "label", "")) for e in at.expander]
    return "\n".join(parts)


def add_webhook(at, name: str, url: str, token: str = TOKEN):  # noqa: ANN001, ANN201
    at.selectbox(key="settings_add_kind").set_value("webhook").run()
    at.text_input(key="settings_add_name").input(name)
    at.text_input(key="settings_add_webhook_url").input(url)
    at.text_input(key="settings_add_webhook_token").input(token)
    return at.button(key="settings_add_submit").click().run()


def test_empty_state(empty_db) -> None:  # noqa: ANN001, F811
    at = app("settings")
    assert not at.exception and not errors(at)
    assert at.title[0].value == "Settings"
    assert any("No channels yet" in i.value for i in at.info)
    assert any("encrypted at rest" in c.value for c in at.caption)
    assert {m.label: m.value for m in at.metric}["Channels"] == "0"


def test_add_a_webhook_channel_secret_masked_and_send_a_test(empty_db, db_engine, hook) -> None:  # noqa: ANN001, F811
    at = add_webhook(app("settings"), "desk hook", hook.url)
    assert not at.exception and not errors(at)
    assert any("desk hook" in s.value and "added" in s.value for s in at.success)
    assert TOKEN not in page_text(at)  # the typed token is gone from the form too
    assert any("token: •••• set" in c.value for c in at.caption)
    with db_engine.connect() as conn:
        stored = conn.execute(text("SELECT secret_encrypted FROM notification_channels")).scalar_one()
    assert TOKEN not in stored
    [view] = notify.list_channels(db_engine)
    at.button(key=f"settings_ch{view.id}_test").click().run()
    assert not at.exception
    assert any("Test sent through **desk hook**" in s.value for s in at.success)
    assert hook.posts[0].headers["Authorization"] == f"Bearer {TOKEN}"
    log = at.dataframe[0].value  # the delivery log tab
    assert list(log["channel"]) == ["desk hook"] and list(log["title"]) == ["(channel test)"]
    assert list(log["status"]) == ["✅ ok"]
    at.run()
    assert {m.label: m.value for m in at.metric}["Delivered (24 h)"] == "1"


def test_a_failing_test_shows_the_error(empty_db, db_engine) -> None:  # noqa: ANN001, F811
    at = add_webhook(app("settings"), "dead", f"http://127.0.0.1:{closed_port()}/x")
    [view] = notify.list_channels(db_engine)
    at.button(key=f"settings_ch{view.id}_test").click().run()
    assert not at.exception
    [error] = errors(at)
    assert "The test through **dead** failed" in error and "Connection refused" in error


@pytest.mark.parametrize(("kind", "inputs", "message"), [
    ("email", {"name": "mail", "smtp_host": "smtp.example.com", "from_addr": "me@example.com", "to": "bad-address"},
     "the To address 'bad-address' is not a valid email address"),
    ("telegram", {"name": "tg", "chat_id": "-100123"}, "enter the bot token (Telegram)"),
    ("webhook", {"name": "wh", "url": "example.com/hook"}, "enter the webhook URL as http(s)://"),
    ("webhook", {"name": "", "url": "https://example.com/hook"}, "give the channel a name"),
])
def test_validation_messages(empty_db, db_engine, kind, inputs, message) -> None:  # noqa: ANN001, F811
    at = app("settings")
    at.selectbox(key="settings_add_kind").set_value(kind).run()
    for field, value in inputs.items():
        key = "settings_add_name" if field == "name" else f"settings_add_{kind}_{field}"
        at.text_input(key=key).input(value)
    at.button(key="settings_add_submit").click().run()
    assert not at.exception
    assert any(message in e for e in errors(at)), errors(at)
    assert notify.list_channels(db_engine) == []


def test_email_fields_and_security_choice(empty_db, db_engine) -> None:  # noqa: ANN001, F811
    at = app("settings")
    at.selectbox(key="settings_add_kind").set_value("email").run()
    assert at.text_input(key="settings_add_email_smtp_port").value == "587"
    assert at.text_input(key="settings_add_email_password").proto.type == 1  # PASSWORD
    for field, value in {"smtp_host": "127.0.0.1", "smtp_port": "2525", "from_addr": "alerts@example.com",
                         "to": "me@example.com", "username": "me", "password": "s3cret-pw"}.items():
        at.text_input(key=f"settings_add_email_{field}").input(value)
    at.text_input(key="settings_add_name").input("mail")
    at.selectbox(key="settings_add_email_security").set_value("none")
    at.button(key="settings_add_submit").click().run()
    assert not at.exception and not errors(at)
    [view] = notify.list_channels(db_engine)
    assert view.config["security"] == "none" and view.config["smtp_port"] == 2525
    assert "s3cret-pw" not in page_text(at)


def test_edit_disable_rate_limit_and_delete(empty_db, db_engine, hook) -> None:  # noqa: ANN001, F811
    at = add_webhook(app("settings"), "desk", hook.url)
    [view] = notify.list_channels(db_engine)
    prefix = f"settings_ch{view.id}"
    at.toggle(key=f"{prefix}_enabled").set_value(False)
    at.number_input(key=f"{prefix}_rate").set_value(5)
    at.button(key=f"{prefix}_save").click().run()
    assert not at.exception and not errors(at)
    [view] = notify.list_channels(db_engine)
    assert (view.enabled, view.rate_limit_per_hour, view.secrets_set) == (False, 5, ("token",))
    assert any("disabled" in e.label for e in at.expander)
    at.text_input(key=f"{prefix}_url").input("not a url")
    at.button(key=f"{prefix}_save").click().run()
    assert any("webhook URL" in e for e in errors(at))
    assert at.button(key=f"{prefix}_delete").disabled
    at.checkbox(key=f"{prefix}_confirm").check().run()
    at.button(key=f"{prefix}_delete").click().run()
    assert not at.exception and notify.list_channels(db_engine) == []
    assert any("No channels yet" in i.value for i in at.info)


def test_a_key_from_the_streamlit_secrets_file_is_used(empty_db, db_engine, monkeypatch) -> None:  # noqa: ANN001, F811
    from engine import secrets as key_store

    key = generate_key()
    monkeypatch.delenv("QUANTDESK_SECRET_KEY")
    get_settings.cache_clear()
    monkeypatch.setattr(key_store, "_process_key", "")  # restored after the test: the key is process-wide
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60)
    at.secrets["QUANTDESK_SECRET_KEY"] = key
    at.run()
    assert any("the key from .streamlit/secrets.toml" in c.value for c in at.caption)
    add_webhook(at, "desk", "http://127.0.0.1:9/x")
    assert not errors(at)
    with db_engine.connect() as conn:
        token = conn.execute(text("SELECT secret_encrypted FROM notification_channels")).scalar_one()
    assert TOKEN in Fernet(key.encode()).decrypt(token.encode()).decode()
    assert not (Path(db_engine.url.database).parent / "secret.key").exists()  # no key file was generated
