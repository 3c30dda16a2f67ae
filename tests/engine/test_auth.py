"""Login engine: bcrypt hashing against known vectors, the secrets section, the database failure limit, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bcrypt
import pytest

from engine import auth
from engine.errors import ConfigError
from storage import auth as store
from storage.db import make_engine
from storage.migrate import current_revision, upgrade

T0 = datetime(2024, 6, 28, 9, 15, tzinfo=UTC)
OPENWALL_VECTOR = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"  # "U*U", OpenBSD/openwall tests


@pytest.fixture(scope="module")
def alice_hash() -> str:
    return auth.hash_password("correct horse", rounds=4)


@pytest.fixture
def config(alice_hash: str) -> auth.AuthConfig:
    return auth.parse_auth_config({"users": {"Alice": {"password_hash": alice_hash}}})


# --- passwords --------------------------------------------------------------------------------------------

def test_hash_is_salted_bcrypt_that_the_reference_library_accepts(alice_hash: str) -> None:
    assert alice_hash.startswith("$2b$04$") and len(alice_hash) == 60
    assert bcrypt.checkpw(b"correct horse", alice_hash.encode())
    assert auth.hash_password("correct horse", rounds=4) != alice_hash  # a fresh salt each time
    assert auth.hash_rounds(auth.hash_password("correct horse")) == 12  # the default cost


def test_verify_accepts_a_published_vector_and_rejects_everything_else(alice_hash: str) -> None:
    assert auth.verify_password("U*U", OPENWALL_VECTOR)
    assert not auth.verify_password("U*V", OPENWALL_VECTOR)
    assert auth.verify_password("correct horse", alice_hash)
    assert not auth.verify_password("correct hors", alice_hash)
    assert not auth.verify_password("correct horse ", alice_hash)
    assert not auth.verify_password("", alice_hash)
    assert not auth.verify_password("correct horse", "not a hash")  # never raises
    assert not auth.verify_password("x" * 73, alice_hash)  # bcrypt's 72-byte limit


@pytest.mark.parametrize(("password", "message"), [
    ("", "the password is empty"),
    ("seven77", "has 7 characters — use at least 8"),
    ("€" * 25, "longer than 72 bytes"),  # 25 characters, 75 bytes
])
def test_weak_passwords_are_refused_with_a_clear_message(password: str, message: str) -> None:
    with pytest.raises(auth.WeakPassword, match=message):
        auth.hash_password(password, rounds=4)


# --- configuration ----------------------------------------------------------------------------------------

def test_secrets_section_parses_with_defaults(alice_hash: str) -> None:
    assert auth.parse_auth_config(None) == auth.AuthConfig()
    cfg = auth.parse_auth_config({"required": True, "session_minutes": 30, "idle_minutes": 10,
                                  "users": {"Alice": {"password_hash": alice_hash}},
                                  "oidc_allow": ["Me@Example.com", "@desk.in"]})
    assert cfg.required is True and (cfg.session_minutes, cfg.idle_minutes) == (30.0, 10.0)
    assert list(cfg.users) == ["alice"] and cfg.users["alice"].password_hash == alice_hash
    assert alice_hash not in repr(cfg)  # hashes stay out of logs
    assert cfg.oidc_allow == ("me@example.com", "@desk.in")
    assert (cfg.max_failures, cfg.lockout_minutes) == (5, 15.0)


@pytest.mark.parametrize(("section", "message"), [
    ({"users": {"bob": {"password": "hunter22"}}}, "plain 'password'.*hash-password"),
    ({"users": {"bob": {"password_hash": "$2b$12$short"}}}, "not a bcrypt hash"),
    ({"users": {"bob": "x"}}, "must be a table"),
    ({"users": {"bo b": {"password_hash": OPENWALL_VECTOR}}}, "usernames use"),
    ({"users": {"Bob": {"password_hash": OPENWALL_VECTOR}, "bob": {"password_hash": OPENWALL_VECTOR}}}, "twice"),
    ({"session_minute": 5}, "did you mean 'session_minutes'"),
    ({"required": "yes"}, "true or false"),
    ({"session_minutes": 0}, "session_minutes must be a number ≥ 1"),
    ({"oidc_allow": "me@example.com"}, "must be a list"),
])
def test_bad_secrets_sections_say_what_to_fix(section: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        auth.parse_auth_config(section)


@pytest.mark.parametrize(("config_flag", "setting_flag", "address", "required"), [
    (None, None, "127.0.0.1", False), (None, None, "localhost", False), (None, None, "::1", False),
    (None, None, "127.0.1.1", False), (None, None, "0.0.0.0", True), (None, None, "192.168.1.20", True),
    (None, None, None, True), (None, None, "", True),  # unset = every interface
    (True, None, "127.0.0.1", True), (None, True, "127.0.0.1", True),
    (False, None, "0.0.0.0", False), (True, False, "127.0.0.1", True), (False, True, "0.0.0.0", True),
])
def test_login_required_by_address_and_flags(config_flag, setting_flag, address, required) -> None:  # noqa: ANN001
    assert auth.login_required(config_flag, setting_flag, address) is required


def test_oidc_providers_from_streamlit_auth_section() -> None:
    shared = {"redirect_uri": "https://desk.example.com/oauth2callback", "cookie_secret": "s" * 32}
    google = {"client_id": "id", "client_secret": "x",
              "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration"}
    assert auth.oidc_providers(None) == [] and auth.oidc_providers(google) == []  # shared settings missing
    assert auth.oidc_providers({**shared, **google}) == [auth.OidcProvider(None, "Google")]
    named = auth.oidc_providers({**shared, "microsoft": {**google, "server_metadata_url": "https://login"},
                                 "auth0": dict(google), "client_kwargs": {"client_id": "not a provider"}})
    assert named == [auth.OidcProvider("microsoft", "Microsoft"), auth.OidcProvider("auth0", "Auth0")]


def test_oidc_allow_list() -> None:
    allow = ("me@example.com", "@desk.in")
    assert auth.is_oidc_user_allowed("Me@Example.com", True, allow)
    assert auth.is_oidc_user_allowed("ravi@desk.in", None, allow)
    assert not auth.is_oidc_user_allowed("ravi@desk.in", False, allow)  # unverified email
    assert not auth.is_oidc_user_allowed("eve@gmail.com", True, allow)
    assert not auth.is_oidc_user_allowed("eve@evil-desk.in", True, allow)
    assert not auth.is_oidc_user_allowed("me@example.com", True, ())  # nobody without a list
    assert auth.is_oidc_user_allowed(None, None, ("*",))


# --- the failure limit, shared through the database ------------------------------------------------------

def test_migration_0009_creates_login_attempts(db_engine) -> None:  # noqa: ANN001
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from storage.models import Base

    assert current_revision(db_engine) >= "0009"
    assert {"id", "username", "at", "ok", "client"} == {c["name"] for c in inspect(db_engine).get_columns(
        "login_attempts")}
    with db_engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if "login_attempts" in repr(d)] == []


def test_five_failures_lock_the_user_for_every_process(db_url: str, config: auth.AuthConfig) -> None:
    first, second = make_engine(db_url), make_engine(db_url)  # two server processes on one SQLite file
    upgrade(first)
    try:
        for minute in range(4):
            outcome = auth.authenticate(first, config, "alice", "wrong", client="10.0.0.7",
                                        now=T0 + timedelta(minutes=minute))
            assert not outcome.ok and not outcome.locked
        assert outcome.message == "Wrong username or password (1 more try before a 15-minute lock)."
        fifth = auth.authenticate(second, config, "ALICE ", "wrong", now=T0 + timedelta(minutes=4))
        assert fifth.locked and fifth.message == "Too many failed logins — try again in 15 minutes."
        # locked: even the right password is refused, unchecked and uncounted
        refused = auth.authenticate(first, config, "alice", "correct horse", now=T0 + timedelta(minutes=10))
        assert refused.locked and refused.message.endswith("try again in 9 minutes.")
        late = auth.authenticate(second, config, "alice", "correct horse", now=T0 + timedelta(minutes=18, seconds=30))
        assert late.locked and late.message == "Too many failed logins — try again in 1 minute."
        assert len(store.recent_attempts(first, "alice")) == 5
        ok = auth.authenticate(second, config, "alice", "correct horse", now=T0 + timedelta(minutes=19))
        assert ok.ok and ok.username == "alice"
        attempts = store.recent_attempts(second, "alice")
        assert [a.ok for a in attempts] == [True] + [False] * 5 and attempts[-1].client == "10.0.0.7"
    finally:
        first.dispose()
        second.dispose()


def test_a_success_restarts_the_count_and_unlock_lifts_a_lock(db_engine, config: auth.AuthConfig) -> None:  # noqa: ANN001
    for minute in range(4):
        auth.authenticate(db_engine, config, "alice", "wrong", now=T0 + timedelta(minutes=minute))
    assert auth.authenticate(db_engine, config, "alice", "correct horse", now=T0 + timedelta(minutes=5)).ok
    again = auth.authenticate(db_engine, config, "alice", "wrong", now=T0 + timedelta(minutes=6))
    assert again.message.startswith("Wrong username or password (4 more tries")
    for minute in range(7, 11):
        auth.authenticate(db_engine, config, "alice", "wrong", now=T0 + timedelta(minutes=minute))
    assert auth.locked_until(db_engine, "alice", config, T0 + timedelta(minutes=11)) == T0 + timedelta(minutes=25)
    auth.unlock(db_engine, "Alice", now=T0 + timedelta(minutes=12))
    assert auth.locked_until(db_engine, "alice", config, T0 + timedelta(minutes=12)) is None
    assert auth.authenticate(db_engine, config, "alice", "correct horse", now=T0 + timedelta(minutes=13)).ok


def test_unknown_users_fail_like_wrong_passwords_and_are_limited_too(db_engine, config: auth.AuthConfig) -> None:  # noqa: ANN001
    wrong = auth.authenticate(db_engine, config, "alice", "wrong", now=T0)
    unknown = auth.authenticate(db_engine, config, "mallory", "correct horse", now=T0)
    assert not unknown.ok and unknown.message == wrong.message
    for minute in range(1, 5):
        auth.authenticate(db_engine, config, "mallory", "guess", now=T0 + timedelta(minutes=minute))
    assert auth.locked_until(db_engine, "mallory", config, T0 + timedelta(minutes=5)) is not None
    assert auth.locked_until(db_engine, "alice", config, T0 + timedelta(minutes=5)) is None  # per username
    blank = auth.authenticate(db_engine, config, "alice", "", now=T0)
    assert blank.message == "Enter your username and password." and len(store.recent_attempts(db_engine)) == 6


def test_failures_older_than_the_window_do_not_count(db_engine, config: auth.AuthConfig) -> None:  # noqa: ANN001
    for minute in (0, 5, 10, 14):
        auth.authenticate(db_engine, config, "alice", "wrong", now=T0 + timedelta(minutes=minute))
    fifth = auth.authenticate(db_engine, config, "alice", "wrong", now=T0 + timedelta(minutes=16))
    assert not fifth.locked  # the minute-0 failure left the 15-minute window
    assert fifth.message.startswith("Wrong username or password (1 more try")


def test_prune_keeps_recent_attempts(db_engine) -> None:  # noqa: ANN001
    store.record_attempt(db_engine, "alice", False, T0 - timedelta(days=100))
    store.record_attempt(db_engine, "alice", False, T0)
    assert store.prune_attempts(db_engine, T0 - timedelta(days=90)) == 1
    assert [a.at for a in store.recent_attempts(db_engine)] == [T0]


# --- sessions ---------------------------------------------------------------------------------------------

def test_session_expiry_and_idle_limit() -> None:
    cfg = auth.AuthConfig(session_minutes=720, idle_minutes=30)
    assert auth.session_expires_at(T0, cfg) == T0 + timedelta(hours=12)
    assert auth.session_state(T0, T0, cfg, T0 + timedelta(minutes=29)) == "active"
    assert auth.session_state(T0, T0, cfg, T0 + timedelta(minutes=30)) == "idle"
    assert auth.session_state(T0, T0 + timedelta(hours=11, minutes=50), cfg, T0 + timedelta(hours=11, minutes=59)) \
        == "active"
    assert auth.session_state(T0, T0 + timedelta(hours=11, minutes=59), cfg, T0 + timedelta(hours=12)) == "expired"
    no_idle = auth.AuthConfig(session_minutes=60)
    assert auth.session_state(T0, T0, no_idle, T0 + timedelta(minutes=59)) == "active"
    assert auth.session_state(T0, None, no_idle, T0 + timedelta(minutes=61)) == "expired"
    assert auth.minutes_until(T0 + timedelta(seconds=61), T0) == 2 and auth.minutes_until(T0, T0) == 1


def test_after_a_lock_runs_out_one_more_failure_does_not_lock_again(db_engine, config: auth.AuthConfig) -> None:  # noqa: ANN001
    for minute in range(5):
        auth.authenticate(db_engine, config, "alice", "wrong", now=T0 + timedelta(minutes=minute))
    assert auth.locked_until(db_engine, "alice", config, T0 + timedelta(minutes=18)) == T0 + timedelta(minutes=19)
    after = auth.authenticate(db_engine, config, "alice", "wrong", now=T0 + timedelta(minutes=19, seconds=30))
    assert not after.locked and not after.ok
