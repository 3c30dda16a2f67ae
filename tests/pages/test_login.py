"""Login gate through AppTest on app.py: off on loopback, the form alone on a public address, limits, expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from streamlit import config as st_config
from streamlit.proto.TextInput_pb2 import TextInput as TextInputProto
from streamlit.testing.v1 import AppTest

from engine.auth import hash_password
from storage.auth import recent_attempts
from storage.candles import coverage
from tests.pages.page_helpers import ROOT, demo_env, seeded  # noqa: F401

PASSWORD = "correct horse"
LOGIN_KEYS = {"auth_username", "auth_password"}
PASSWORD_FIELD = TextInputProto.PASSWORD


@pytest.fixture(scope="module")
def alice_hash() -> str:
    return hash_password(PASSWORD, rounds=4)


@pytest.fixture(autouse=True)
def served_like_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every AppTest run through app.py, as a real server does once app.py has run.

    AppTest resets PagesManager.uses_pages_directory before each run, so with a pages/ folder every run
    after st.navigation would execute the finished page's file on its own (Streamlit's legacy multipage
    mode) and skip app.py, gate included. A server sets the flag once per process (pages/_shared.py) and
    keeps it; this PagesManager keeps it switched off for every run.
    """
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.pages_manager import PagesManager

    class ServerPagesManager(PagesManager):
        def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test, "PagesManager", ServerPagesManager)


@pytest.fixture
def address() -> Iterator[callable]:
    """Set server.address for the test (AppTest reads the same process-wide option) and restore it."""
    before = st_config.get_option("server.address")
    yield lambda value: st_config.set_option("server.address", value)
    st_config.set_option("server.address", before)


def shell(secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for name, section in (secrets or {}).items():
        at.secrets[name] = section
    at.run(timeout=90)
    assert not at.exception
    return at


def users(alice_hash: str, **extra) -> dict:  # noqa: ANN003
    return {"quantdesk_auth": {"users": {"alice": {"password_hash": alice_hash}}, **extra}}


def text_input_keys(at: AppTest) -> set[str]:
    return {t.key for t in at.text_input}


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="auth_username").input(username)
    at.text_input(key="auth_password").input(password)
    at.button(key="auth_submit").click().run(timeout=90)
    assert not at.exception
    return at


def assert_only_the_login_page(at: AppTest) -> None:
    """Nothing from the pages or the shell: one title, no sidebar, no metrics, tables, charts or badges."""
    assert [t.value for t in at.title] == ["📈 Quantdesk"]
    assert not at.sidebar.children and not at.markdown and not at.metric and not at.dataframe
    assert not at.get("plotly_chart") and not at.warning


def test_no_login_on_loopback(seeded, address) -> None:  # noqa: ANN001, F811
    address("127.0.0.1")
    at = shell()
    assert not LOGIN_KEYS & text_input_keys(at)
    assert at.title[0].value in {"Overview", "Market"}  # the default page, open without a form
    assert "auth_user" not in at.session_state and not [b for b in at.sidebar.button if b.key == "auth_logout"]


def test_public_address_shows_only_the_login_form_and_touches_no_data(demo_env, db_engine, address,  # noqa: ANN001, F811
                                                                     alice_hash) -> None:
    address("0.0.0.0")
    at = shell(users(alice_hash))
    assert LOGIN_KEYS <= text_input_keys(at) and at.text_input(key="auth_password").proto.type == PASSWORD_FIELD
    assert_only_the_login_page(at)
    assert coverage(db_engine).empty  # the first-start watchlist sync (get_db) has not run


def test_wrong_password_then_five_failures_lock(demo_env, db_engine, address, alice_hash) -> None:  # noqa: ANN001, F811
    address("0.0.0.0")
    at = shell(users(alice_hash))
    log_in(at, "alice", "wrong password")
    assert [e.value for e in at.error] == ["Wrong username or password (4 more tries before a 15-minute lock)."]
    assert_only_the_login_page(at)
    for _ in range(4):
        log_in(at, "alice", "still wrong")
    assert [e.value for e in at.error] == ["Too many failed logins — try again in 15 minutes."]
    log_in(at, "alice", PASSWORD)  # the right password is refused while locked
    assert at.error[0].value.startswith("Too many failed logins") and "auth_user" not in at.session_state
    assert_only_the_login_page(at)
    assert [a.ok for a in recent_attempts(db_engine, "alice")] == [False] * 5


def test_right_password_opens_the_app_and_log_out_closes_it(demo_env, db_engine, address, alice_hash) -> None:  # noqa: ANN001, F811
    address("0.0.0.0")
    at = log_in(shell(users(alice_hash)), "Alice", PASSWORD)
    assert not at.error and not LOGIN_KEYS & text_input_keys(at)
    assert at.title[0].value in {"Overview", "Market"}
    assert at.session_state["auth_user"] == "alice" and at.session_state["auth_method"] == "password"
    assert "auth_password" not in at.session_state  # the password is kept nowhere in the session
    assert at.sidebar.button(key="auth_logout").label == "Log out · alice"
    assert [a.ok for a in recent_attempts(db_engine, "alice")] == [True]
    at.button(key="auth_logout").click().run(timeout=90)
    assert not at.exception and LOGIN_KEYS <= text_input_keys(at)
    assert [i.value for i in at.info] == ["You are logged out."]
    assert_only_the_login_page(at)


def test_expired_and_idle_sessions_return_to_the_form(demo_env, address, alice_hash) -> None:  # noqa: ANN001, F811
    address("0.0.0.0")
    at = log_in(shell(users(alice_hash, session_minutes=60, idle_minutes=20)), "alice", PASSWORD)
    assert "auth_user" in at.session_state
    at.session_state["auth_login_at"] = datetime.now(UTC) - timedelta(minutes=61)
    at.run(timeout=90)
    assert not at.exception and LOGIN_KEYS <= text_input_keys(at)
    assert [i.value for i in at.info] == ["Your session expired — log in again."]
    assert "auth_user" not in at.session_state
    assert_only_the_login_page(at)
    log_in(at, "alice", PASSWORD)
    at.session_state["auth_seen_at"] = datetime.now(UTC) - timedelta(minutes=21)
    at.run(timeout=90)
    assert [i.value for i in at.info] == ["You were logged out after a while without activity — log in again."]


def test_required_without_users_shows_how_to_set_a_password(demo_env, db_engine, address) -> None:  # noqa: ANN001, F811
    address("0.0.0.0")
    at = shell()
    assert "no user is configured" in at.error[0].value and not LOGIN_KEYS & text_input_keys(at)
    codes = [c.value for c in at.code]
    assert "python -m engine auth hash-password --user alice" in codes[0] and "[quantdesk_auth.users.alice]" in codes[1]
    assert not at.sidebar.children and coverage(db_engine).empty


def test_setting_forces_login_on_loopback(demo_env, address, monkeypatch, alice_hash) -> None:  # noqa: ANN001, F811
    from engine.config import get_settings

    address("127.0.0.1")
    monkeypatch.setenv("QUANTDESK_AUTH_REQUIRED", "true")
    get_settings.cache_clear()
    assert LOGIN_KEYS <= text_input_keys(shell(users(alice_hash)))
    assert LOGIN_KEYS <= text_input_keys(shell(users(alice_hash, required=False)))  # either flag true wins


def test_secrets_flag_turns_login_on_and_off(demo_env, address, alice_hash) -> None:  # noqa: ANN001, F811
    address("127.0.0.1")
    assert LOGIN_KEYS <= text_input_keys(shell(users(alice_hash, required=True)))
    address("0.0.0.0")
    assert not LOGIN_KEYS & text_input_keys(shell(users(alice_hash, required=False)))


def test_broken_login_settings_stop_the_app(demo_env, address) -> None:  # noqa: ANN001, F811
    address("127.0.0.1")
    at = shell({"quantdesk_auth": {"users": {"alice": {"password": "hunter22"}}}})
    assert "plain 'password'" in at.error[0].value and len(at.error) == 1
    assert not at.title and not at.sidebar.children


OIDC = {"redirect_uri": "https://desk.example.com/oauth2callback", "cookie_secret": "s" * 32, "client_id": "id",
        "client_secret": "x", "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration"}


def test_oidc_button_allow_list_and_expiry(demo_env, address) -> None:  # noqa: ANN001, F811
    address("0.0.0.0")
    at = shell({"auth": OIDC, "quantdesk_auth": {"oidc_allow": ["@example.com"], "session_minutes": 60}})
    button = at.button(key="auth_oidc_default")
    assert button.label == "Log in with Google" and not LOGIN_KEYS & text_input_keys(at)
    assert_only_the_login_page(at)
    now = datetime.now(UTC).timestamp()
    at.user = {"is_logged_in": True, "email": "eve@gmail.com", "email_verified": True, "iat": now}
    at.run(timeout=90)
    assert "eve@gmail.com may not use this Quantdesk" in at.error[0].value and not at.sidebar.children
    at.user = {"is_logged_in": True, "email": "me@example.com", "email_verified": True, "iat": now}
    at.run(timeout=90)
    assert not at.exception and at.session_state["auth_user"] == "me@example.com"
    assert at.session_state["auth_method"] == "oidc" and at.title[0].value in {"Overview", "Market"}
    at.session_state["auth_login_at"] = datetime.now(UTC) - timedelta(minutes=61)
    at.run(timeout=90)
    assert not at.exception and "auth_user" not in at.session_state
    assert not at.user.get("is_logged_in")  # st.logout() dropped the identity, so the token cannot log in again
    assert_only_the_login_page(at)
