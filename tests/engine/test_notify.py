"""Notifications end to end on 127.0.0.1: a real SMTP server, a webhook server, a dead port, rate limits, secrets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from engine import notify as N
from engine.config import get_settings
from engine.secrets import SecretKeyError, decrypt_secrets, generate_key
from storage import notifications as store
from storage.db import transaction
from tests.engine.notify_helpers import SmtpServer, WebhookServer, closed_port, fast_notify  # noqa: F401

PASSWORD = "p@ss:w/rd%+ x"  # characters that must survive URL quoting
TOKEN = "tok+en/Secret-123"


@pytest.fixture
def smtp():
    server = SmtpServer(credentials=("trader@example.com", PASSWORD))
    yield server
    server.close()


@pytest.fixture
def hook():
    server = WebhookServer()
    yield server
    server.close()


def email_channel(db, port: int, name: str = "mail", login: bool = True) -> int:  # noqa: ANN001
    config = {"smtp_host": "127.0.0.1", "smtp_port": port, "security": "none", "from_addr": "alerts@example.com",
              "to": "me@example.com, desk@example.org", "username": "trader@example.com" if login else ""}
    return N.add_channel(db, name=name, kind="email", config=config, secrets={"password": PASSWORD if login else ""})


def webhook_channel(db, url: str, name: str = "hook", token: str = TOKEN, rate: int = 30) -> int:  # noqa: ANN001
    return N.add_channel(db, name=name, kind="webhook", config={"url": url}, secrets={"token": token},
                         rate_limit_per_hour=rate)


def attempts(db, channel: str | None = None) -> list[dict]:  # noqa: ANN001
    frame = store.attempts_frame(db)
    rows = frame.sort_values("id").to_dict("records")
    return [r for r in rows if channel is None or r["channel"] == channel]


# --- delivery -------------------------------------------------------------------------------------------

def test_email_reaches_a_local_smtp_server_with_login_title_and_body(db_engine, smtp) -> None:  # noqa: ANN001
    email_channel(db_engine, smtp.port)
    N.notify(db_engine, title="RSI above 70", body="RELIANCE.NS RSI(14) = 71.20 on 28 Jun 2024", severity="warning",
             channels=["in-app", "mail"], wait=True)
    assert sorted(m.rcpt_to[0] for m in smtp.received) == ["desk@example.org", "me@example.com"]
    mail = smtp.received[0]
    assert mail.login == ("trader@example.com", PASSWORD)
    assert mail.mail_from == "alerts@example.com"
    assert mail.subject == "RSI above 70"
    assert "RELIANCE.NS RSI(14) = 71.20 on 28 Jun 2024" in mail.text
    assert [(a["status"], a["attempt"]) for a in attempts(db_engine)] == [("ok", 1)]


def test_email_without_login_to_a_plain_relay(db_engine) -> None:  # noqa: ANN001
    relay = SmtpServer(credentials=None)
    try:
        email_channel(db_engine, relay.port, login=False)
        N.notify(db_engine, title="Sync failed", body="TCS.NS: provider offline", channels=["mail"], wait=True)
    finally:
        relay.close()
    assert [m.subject for m in relay.received] == ["Sync failed", "Sync failed"]
    assert relay.received[0].login is None


def test_webhook_receives_the_json_payload(db_engine, hook) -> None:  # noqa: ANN001
    webhook_channel(db_engine, hook.url + "?desk=nse")
    N.notify(db_engine, title="Circuit breaker tripped", body="Deployment 3 lost 5.2 % today", severity="critical",
             source="paper", ref_id=3, channels=["hook"], wait=True)
    [post] = hook.posts
    assert post.path == "/hooks/quantdesk?desk=nse"
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.payload["title"] == "Circuit breaker tripped"
    assert post.payload["message"] == "Deployment 3 lost 5.2 % today"
    assert post.payload["type"] == "failure"  # critical maps to apprise's failure type
    [note] = N.recent_notifications(db_engine)
    assert (note.severity, note.source, note.ref_id) == ("critical", "paper", 3)


def test_a_dead_channel_is_retried_and_logged_and_never_blocks_the_others(db_engine, hook, smtp) -> None:  # noqa: ANN001
    webhook_channel(db_engine, f"http://127.0.0.1:{closed_port()}/x", name="dead")
    webhook_channel(db_engine, hook.url)
    email_channel(db_engine, smtp.port)
    result = N.notify(db_engine, title="Price above 2,900", body="RELIANCE.NS closed at 2,912.40",
                      channels=["dead", "hook", "mail"], wait=True)
    assert result is None
    dead = attempts(db_engine, "dead")
    assert [(a["attempt"], a["status"]) for a in dead] == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert all("Connection refused" in a["error"] for a in dead)
    assert [a["status"] for a in attempts(db_engine, "hook")] == ["ok"]
    assert len(hook.posts) == 1 and len(smtp.received) == 2
    assert N.unread_count(db_engine) == 1


def test_retries_back_off_exponentially(db_engine, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("QUANTDESK_NOTIFY_RETRY_WAIT_S", "0.3")
    get_settings.cache_clear()
    webhook_channel(db_engine, f"http://127.0.0.1:{closed_port()}/x", name="dead")
    N.notify(db_engine, title="t", body="b", channels=["dead"], wait=True)
    times = [a["at"] for a in attempts(db_engine, "dead")]
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    assert len(times) == 3
    assert 0.3 <= gaps[0] < 0.9 and 0.6 <= gaps[1] < 1.2  # waits of 0.3 s then 0.6 s (+ the try itself)


def test_an_http_error_status_is_a_failure_with_the_code(db_engine, hook) -> None:  # noqa: ANN001
    hook.status = 503
    webhook_channel(db_engine, hook.url)
    N.notify(db_engine, title="t", body="b", channels=["hook"], wait=True)
    failed = attempts(db_engine, "hook")
    assert [a["status"] for a in failed] == ["failed"] * 3 and len(hook.posts) == 3
    assert "503" in failed[0]["error"]


def test_notify_returns_before_the_channels_finish_and_can_be_awaited(db_engine, hook) -> None:  # noqa: ANN001
    webhook_channel(db_engine, hook.url)
    N.notify(db_engine, title="later", body="b", channels=["hook"])
    assert N.wait_for_deliveries(timeout=30)
    assert [p.payload["title"] for p in hook.posts] == ["later"]


def test_unknown_disabled_and_in_app_channel_names_are_skipped(db_engine, hook) -> None:  # noqa: ANN001
    channel_id = webhook_channel(db_engine, hook.url)
    N.update_channel(db_engine, channel_id, enabled=False)
    assert N.channel_names(db_engine) == []
    N.notify(db_engine, title="t", body="b", severity="bogus", channels=["in-app", "hook", "nope"], wait=True)
    assert hook.posts == [] and attempts(db_engine) == []
    assert N.recent_notifications(db_engine)[0].severity == "info"
    N.update_channel(db_engine, channel_id, enabled=True)
    assert N.channel_names(db_engine) == ["hook"]


# --- rate limit -----------------------------------------------------------------------------------------

def test_rate_limit_keeps_notifications_in_app_past_the_hourly_cap(db_engine, hook) -> None:  # noqa: ANN001
    webhook_channel(db_engine, hook.url, rate=2)
    for i in range(3):
        N.notify(db_engine, title=f"alert {i}", body="b", channels=["hook"], wait=True)
    assert [p.payload["title"] for p in hook.posts] == ["alert 0", "alert 1"]
    logged = attempts(db_engine, "hook")
    assert [a["status"] for a in logged] == ["ok", "ok", "rate_limited"]
    assert "2 deliveries per hour" in logged[-1]["error"]
    assert N.unread_count(db_engine) == 3  # every one is still in the app
    with transaction(db_engine) as s:
        channel = store.get_channel_by_name(s, "hook")
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)  # the two deliveries are out of the window
    assert N.deliver(db_engine, channel, title="alert 3", body="b", now=later).status == "ok"


def test_a_test_send_ignores_the_rate_limit_and_logs_without_a_notification(db_engine, hook) -> None:  # noqa: ANN001
    channel_id = webhook_channel(db_engine, hook.url, rate=1)
    N.notify(db_engine, title="a", body="b", channels=["hook"], wait=True)
    result = N.send_test(db_engine, channel_id)
    assert (result.status, result.attempts, result.error) == ("ok", 1, "")
    assert hook.posts[-1].payload["title"] == "Quantdesk test notification"
    assert attempts(db_engine)[-1]["title"] == "(channel test)"
    dead = webhook_channel(db_engine, f"http://127.0.0.1:{closed_port()}/x", name="dead")
    failed = N.send_test(db_engine, dead)
    assert failed.status == "failed" and failed.attempts == 1 and "Connection refused" in failed.error


# --- secrets ---------------------------------------------------------------------------------------------

def test_secrets_are_encrypted_in_the_database_and_decryptable(db_engine, smtp) -> None:  # noqa: ANN001
    email_channel(db_engine, smtp.port)
    webhook_channel(db_engine, "http://127.0.0.1:9/x")
    with db_engine.connect() as conn:
        rows = conn.execute(text("SELECT name, config, secret_encrypted FROM notification_channels")).all()
    for _, config, secret in rows:
        assert PASSWORD not in secret and TOKEN not in secret and secret.startswith("gAAAA")  # a Fernet token
        assert PASSWORD not in config and TOKEN not in config
    stored = {name: decrypt_secrets(secret) for name, _, secret in rows}
    assert stored == {"mail": {"password": PASSWORD}, "hook": {"token": TOKEN}}
    views = {v.name: v for v in N.list_channels(db_engine)}
    assert views["mail"].secrets_set == ("password",) and PASSWORD not in repr(views["mail"])


def test_a_changed_key_gives_a_clear_error_and_a_logged_failure(db_engine, hook, monkeypatch) -> None:  # noqa: ANN001
    webhook_channel(db_engine, hook.url)
    monkeypatch.setenv("QUANTDESK_SECRET_KEY", generate_key())
    get_settings.cache_clear()
    with db_engine.connect() as conn:
        token = conn.execute(text("SELECT secret_encrypted FROM notification_channels")).scalar_one()
    with pytest.raises(SecretKeyError, match="cannot decrypt channel secrets: the secret key changed"):
        decrypt_secrets(token)
    N.notify(db_engine, title="t", body="b", channels=["hook"], wait=True)
    [attempt] = attempts(db_engine, "hook")
    assert attempt["status"] == "failed" and "the secret key changed" in attempt["error"]
    assert hook.posts == []
    assert "the secret key changed" in N.list_channels(db_engine)[0].secret_error


def test_a_passphrase_works_as_the_key(db_engine, hook, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("QUANTDESK_SECRET_KEY", "correct horse battery staple")
    get_settings.cache_clear()
    webhook_channel(db_engine, hook.url)
    N.notify(db_engine, title="t", body="b", channels=["hook"], wait=True)
    assert hook.posts[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert "correct horse" not in repr(get_settings()) and "secret_key=" not in repr(get_settings())


def test_without_a_configured_key_one_is_generated_into_a_0600_key_file(db_engine, tmp_path, monkeypatch,
                                                                        caplog) -> None:  # noqa: ANN001
    from engine.secrets import resolve_key

    monkeypatch.delenv("QUANTDESK_SECRET_KEY")
    get_settings.cache_clear()
    with caplog.at_level(logging.WARNING, logger="engine.secrets"):
        key, source = resolve_key()
    path = tmp_path / "secret.key"  # beside the test's SQLite database
    assert source.kind == "key file" and source.path == path and source.generated
    assert path.stat().st_mode & 0o777 == 0o600 and path.read_text().strip() == key
    assert "generated one into" in caplog.text and key not in caplog.text
    again, source2 = resolve_key()
    assert again == key and not source2.generated
    webhook_channel(db_engine, "http://127.0.0.1:9/x")
    assert N.list_channels(db_engine)[0].secrets_set == ("token",)


def test_secrets_never_reach_logs_or_error_texts(db_engine, caplog) -> None:  # noqa: ANN001
    port = closed_port()
    secret_url = f"json://quant:Sup3rSecretPw@127.0.0.1:{port}/x"
    N.add_channel(db_engine, name="raw", kind="apprise_url", config={}, secrets={"url": secret_url})
    webhook_channel(db_engine, f"http://127.0.0.1:{port}/y", name="dead")
    with caplog.at_level(1):  # everything, apprise's TRACE dump of parsed URLs included
        N.notify(db_engine, title="t", body="b", channels=["raw", "dead"], wait=True)
    logged = attempts(db_engine)
    assert len(logged) == 6 and all(a["status"] == "failed" for a in logged)
    for secret in ("Sup3rSecretPw", TOKEN, "tok%2Ben%2FSecret-123", "tok+en"):
        assert secret not in caplog.text
        assert all(secret not in a["error"] for a in logged)
    assert "•••" in caplog.text  # apprise did log the URLs, masked


# --- validation and channel updates ---------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "config", "secrets", "message"), [
    ("email", {"smtp_host": "smtp.example.com", "from_addr": "me@example", "to": "a@example.com"}, {},
     "From address 'me@example' is not a valid email address"),
    ("email", {"smtp_host": "smtp.example.com", "from_addr": "me@example.com", "to": "a@example.com, nope"}, {},
     "To address 'nope' is not a valid email address"),
    ("email", {"smtp_host": "smtp.example.com", "smtp_port": "99999", "from_addr": "me@example.com",
               "to": "a@example.com"}, {}, "SMTP port must be a number"),
    ("email", {"smtp_host": "smtp.example.com", "from_addr": "me@example.com", "to": "a@example.com",
               "username": "me"}, {}, "enter the SMTP password"),
    ("telegram", {"chat_id": "12345"}, {}, "enter the bot token"),
    ("telegram", {"chat_id": "12345"}, {"bot_token": "not-a-token"}, "bot token looks like"),
    ("telegram", {"chat_id": "me!"}, {"bot_token": "123456789:AAEabcdefghijklmnop"}, "chat id is a number"),
    ("webhook", {"url": "ftp://example.com/x"}, {}, "enter the webhook URL as http(s)://"),
    ("webhook", {"url": "not a url"}, {}, "enter the webhook URL as http(s)://"),
    ("webhook", {"url": "https://user:pw@example.com/x"}, {}, "remove the user:password"),
    ("slack", {}, {"webhook_url": "https://example.com/services/a/b/c"}, "hooks.slack.com"),
    ("discord", {}, {"webhook_url": "https://discord.com/api/hooks/1"}, "discord.com/api/webhooks"),
    ("ntfy", {"topic": "bad topic!"}, {}, "ntfy topic may hold only"),
    ("apprise_url", {}, {"url": "nosuchservice://abc"}, "apprise does not recognise"),
    ("pager", {}, {}, "unknown channel kind"),
])
def test_invalid_channels_are_refused_with_a_clear_message(db_engine, kind, config, secrets, message) -> None:  # noqa: ANN001
    with pytest.raises(N.ChannelConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        N.add_channel(db_engine, name="x", kind=kind, config=config, secrets=secrets)
    assert N.list_channels(db_engine) == []


def test_names_must_be_valid_and_unique(db_engine) -> None:  # noqa: ANN001
    from engine.errors import DataError

    with pytest.raises(N.ChannelConfigError, match="not 'in-app'"):
        webhook_channel(db_engine, "http://127.0.0.1:9/x", name="in-app")
    webhook_channel(db_engine, "http://127.0.0.1:9/x", name="desk")
    with pytest.raises(DataError, match="a channel named 'desk' already exists"):
        webhook_channel(db_engine, "http://127.0.0.1:9/y", name="desk")


def test_every_kind_makes_an_apprise_url_apprise_accepts() -> None:
    import apprise

    channels = {
        "email": ({"smtp_host": "smtp.gmail.com", "smtp_port": "465", "security": "ssl", "username": "me@gmail.com",
                   "from_addr": "me@gmail.com", "to": "you@example.com"}, {"password": PASSWORD}),
        "telegram": ({"chat_id": "-1001234567890"}, {"bot_token": "123456789:AAEabcdefghijklmnopqrstu"}),
        "webhook": ({"url": "https://example.com/hook?x=1"}, {"token": TOKEN}),
        "slack": ({}, {"webhook_url": "https://hooks.slack.com/services/T000/B000/XXXXXXXX"}),
        "discord": ({}, {"webhook_url": "https://discord.com/api/webhooks/1234567/abcdefTOKEN"}),
        "ntfy": ({"topic": "quantdesk_alerts"}, {"token": "tk_abcdef"}),
        "apprise_url": ({}, {"url": "ntfy://quantdesk"}),
    }
    for kind, (config, secrets) in channels.items():
        config, secrets = N.validate_channel(kind, config, secrets)
        url = N.kinds.build_url(kind, config, secrets)
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        assert plugin is not None, kind
    email = apprise.Apprise.instantiate(N.kinds.build_url("email", *N.validate_channel("email", *channels["email"])))
    assert (email.secure, email.secure_mode, email.port, email.password) == (True, "ssl", 465, PASSWORD)


def test_update_keeps_a_blank_secret_and_replaces_a_given_one(db_engine, hook) -> None:  # noqa: ANN001
    channel_id = webhook_channel(db_engine, "http://127.0.0.1:9/old")
    N.update_channel(db_engine, channel_id, config={"url": hook.url}, secrets={"token": ""}, rate_limit_per_hour=5)
    N.notify(db_engine, title="t", body="b", channels=["hook"], wait=True)
    assert hook.posts[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    N.update_channel(db_engine, channel_id, secrets={"token": "fresh-token"})
    N.notify(db_engine, title="t", body="b", channels=["hook"], wait=True)
    assert hook.posts[-1].headers["Authorization"] == "Bearer fresh-token"
    [view] = N.list_channels(db_engine)
    assert view.rate_limit_per_hour == 5 and view.config == {"url": hook.url}
    with pytest.raises(N.ChannelConfigError, match="webhook URL"):
        N.update_channel(db_engine, channel_id, config={"url": "nope"})
    assert N.delete_channel(db_engine, channel_id) and N.list_channels(db_engine) == []
    assert attempts(db_engine) == []  # the channel's delivery log goes with it


# --- in-app ---------------------------------------------------------------------------------------------

def test_in_app_unread_count_mark_read_and_mark_all_read(db_engine) -> None:  # noqa: ANN001
    for i in range(3):
        N.notify(db_engine, title=f"note {i}", body="b")
    assert N.unread_count(db_engine) == 3
    newest = N.recent_notifications(db_engine)
    assert [n.title for n in newest] == ["note 2", "note 1", "note 0"]
    assert N.mark_read(db_engine, newest[0].id) and not N.mark_read(db_engine, newest[0].id)
    assert N.unread_count(db_engine) == 2
    assert [n.title for n in N.recent_notifications(db_engine, unread_only=True)] == ["note 1", "note 0"]
    assert N.mark_all_read(db_engine) == 2 and N.unread_count(db_engine) == 0
    assert all(n.is_read for n in N.recent_notifications(db_engine))


def test_the_alert_check_and_the_alerts_page_use_these_notifications(db_engine, hook) -> None:  # noqa: ANN001
    from engine.alerts import checker, service

    assert checker.notify is N.notify
    webhook_channel(db_engine, hook.url)
    webhook_channel(db_engine, "http://127.0.0.1:9/x", name="off")
    N.update_channel(db_engine, N.list_channels(db_engine)[1].id, enabled=False)
    assert service.available_channels(db_engine) == ["in-app", "hook"]
