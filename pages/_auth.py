"""Login gate for app.py: decides whether a login is needed and stops every run until someone is logged in."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import streamlit as st
from sqlalchemy import Engine

from engine.auth import (
    AuthConfig,
    OidcProvider,
    authenticate,
    is_oidc_user_allowed,
    login_required,
    oidc_providers,
    parse_auth_config,
    session_state,
)
from engine.config import get_settings
from engine.errors import ConfigError
from storage.db import make_engine
from storage.migrate import upgrade

PAGES_DIR = Path(__file__).resolve().parent
SESSION_KEYS = ("auth_user", "auth_method", "auth_login_at", "auth_seen_at")
NOTICES = {
    "expired": "Your session expired — log in again.",
    "idle": "You were logged out after a while without activity — log in again.",
    "logged_out": "You are logged out.",
}
SECRETS_SNIPPET = """[quantdesk_auth]
session_minutes = 720

[quantdesk_auth.users.alice]
password_hash = "$2b$12$…"  # printed by step 1"""


@st.cache_resource(show_spinner=False)
def _auth_db(url: str) -> Engine:
    """The database for login attempts, migrated; opened without the first-start data sync of get_db()."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return list(value) if isinstance(value, tuple) else value


def _secrets_section(name: str) -> dict[str, Any]:
    """A secrets.toml section as plain dicts; {} without a secrets file. A broken file stops the app."""
    try:
        section = st.secrets.get(name)
    except FileNotFoundError:
        return {}
    except Exception as exc:  # noqa: BLE001 - a TOML error: never fall through to an open app
        _stop_with_error(f".streamlit/secrets.toml could not be read ({exc}) — fix the file and restart Quantdesk.")
    return _plain(section) if isinstance(section, Mapping) else {}


def _show_gate(render: Callable[[], None]) -> NoReturn:
    """Run `render` as the app's only page, hidden, and stop: no navigation of the app shows while nobody is
    logged in (a sidebar left from before a log-out is replaced). The page also answers every page file's
    URL, so /market keeps its address through the login and opens Market afterwards."""
    twins = sorted(f.stem for f in PAGES_DIR.glob("*.py") if not f.stem.startswith("_"))
    pages = [st.Page(render, title="Log in", icon="🔒", default=True)]
    pages += [st.Page(render, title="Log in", icon="🔒", url_path=name) for name in twins]
    st.navigation(pages, position="hidden").run()
    st.stop()


def _error_view(message: str) -> None:
    st.error(message, icon="🔒")


def _stop_with_error(message: str) -> NoReturn:
    _show_gate(partial(_error_view, message))


def _client() -> str:
    ip = st.context.ip_address
    return ip if isinstance(ip, str) else ""


def _oidc_identity() -> dict[str, Any] | None:
    """The identity claims of a user logged in through st.login, or None."""
    try:
        return dict(st.user.to_dict()) if st.user.is_logged_in else None
    except (AttributeError, KeyError):  # no identity cookie (AppTest has no user at all)
        return None


def _claim_time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) and value > 0 else None


def _start_session(user: str, method: str, login_at: datetime) -> None:
    st.session_state.update(auth_user=user, auth_method=method, auth_login_at=login_at, auth_seen_at=login_at)
    st.session_state.pop("auth_notice", None)


def _end_session(notice: str) -> None:
    for key in SESSION_KEYS:
        st.session_state.pop(key, None)
    st.session_state["auth_notice"] = notice


def _session_user(config: AuthConfig, providers: list[OidcProvider], now: datetime) -> str | None:
    """The logged-in username of this browser session, or None (after ending an expired or idle one)."""
    state = st.session_state
    if "auth_user" not in state:
        identity = _oidc_identity() if providers else None
        if identity is None:
            return None
        email = identity.get("email")
        if not is_oidc_user_allowed(email, identity.get("email_verified"), config.oidc_allow):
            _refuse_identity(str(email or identity.get("sub") or "this account"))
        _start_session(str(email or identity.get("sub")), "oidc", _claim_time(identity.get("iat")) or now)
    status = session_state(state["auth_login_at"], state.get("auth_seen_at"), config, now)
    if status != "active":
        method = state.get("auth_method")
        _end_session(status)
        if method == "oidc":
            st.logout()  # drops the identity cookie, else the next run would log the same token in again
        return None
    state["auth_seen_at"] = now
    return str(state["auth_user"])


def _refuse_identity(who: str) -> NoReturn:
    _show_gate(partial(_refusal_view, who))


def _refusal_view(who: str) -> None:
    st.error(f"{who} may not use this Quantdesk — its owner can add the address (or its @domain) to "
             "`oidc_allow` in the `[quantdesk_auth]` secrets.", icon="🔒")
    if st.button("Log out", key="auth_refused_logout"):
        st.logout()


def _how_to_set_a_password() -> None:
    _, middle, _ = st.columns([1, 2, 1])
    middle.title("📈 Quantdesk", anchor=False)
    with middle:
        _how_to_steps()


def _how_to_steps() -> None:
    st.error("Quantdesk is reachable beyond this computer, so it needs a login — but no user is configured. "
             "It stays closed until one is.", icon="🔒")
    st.markdown("1. Create a password hash (the password is read without echo and never stored):")
    st.code(".venv/bin/python -m engine auth hash-password --user alice", language="bash")
    st.markdown("2. Put the printed lines into `.streamlit/secrets.toml` (git-ignored), e.g.:")
    st.code(SECRETS_SNIPPET, language="toml")
    st.markdown("3. Restart Quantdesk and log in. Single sign-on (OpenID Connect) through Streamlit's own "
                "`[auth]` section works too — see the README, *Login*.")


def _password_form(config: AuthConfig, now: datetime) -> None:
    with st.form("auth_login_form", clear_on_submit=True):
        username = st.text_input("Username", key="auth_username", autocomplete="username")
        password = st.text_input("Password", type="password", key="auth_password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary", key="auth_submit", width="stretch")
    if not submitted:
        return
    outcome = authenticate(_auth_db(get_settings().database_url), config, username, password, client=_client(),
                           now=now)
    if outcome.ok:
        _start_session(outcome.username, "password", now)
        st.rerun()
    st.error(outcome.message, icon="🔒")


def _oidc_buttons(providers: list[OidcProvider]) -> None:
    ready = importlib.util.find_spec("authlib") is not None
    for provider in providers:
        if st.button(f"Log in with {provider.label}", key=f"auth_oidc_{provider.name or 'default'}",
                     disabled=not ready, width="stretch"):
            st.login(provider.name)
    if not ready:
        st.caption("Single sign-on needs the Authlib package: `.venv/bin/pip install 'Authlib>=1.3.2'`.")


def _login_page(config: AuthConfig, providers: list[OidcProvider], now: datetime) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("📈 Quantdesk", anchor=False)
        notice = st.session_state.get("auth_notice")
        if notice in NOTICES:
            st.info(NOTICES[notice], icon="⏱️" if notice != "logged_out" else "👋")
        if config.users:
            _password_form(config, now)
        if providers:
            if config.users:
                st.caption("or")
            _oidc_buttons(providers)


@st.fragment(run_every=60)
def _expiry_watch(config: AuthConfig) -> None:
    """Once a minute: a session that ran out reruns the whole app, so even auto-refreshing views close."""
    login_at = st.session_state.get("auth_login_at")
    if login_at is None or session_state(login_at, st.session_state.get("auth_seen_at"), config) != "active":
        st.rerun(scope="app")


def _account_sidebar(user: str, config: AuthConfig) -> None:
    with st.sidebar:
        if st.button(f"Log out · {user}", key="auth_logout", icon=":material/logout:", help="End this session"):
            method = st.session_state.get("auth_method")
            _end_session("logged_out")
            if method == "oidc":
                st.logout()
            st.rerun()
        _expiry_watch(config)


def require_login() -> None:
    """Return when no login is needed or someone is logged in; otherwise show the login form and st.stop()."""
    auth_section, oidc_section = _secrets_section("quantdesk_auth"), _secrets_section("auth")
    try:
        config = parse_auth_config(auth_section)
    except ConfigError as exc:
        _stop_with_error(f"Login settings in .streamlit/secrets.toml: {exc}.")
    if not login_required(config.required, get_settings().auth_required, st.get_option("server.address")):
        return
    providers = oidc_providers(oidc_section)
    if not config.users and not providers:
        _show_gate(_how_to_set_a_password)
    now = datetime.now(UTC)
    user = _session_user(config, providers, now)
    if user is None:
        _show_gate(partial(_login_page, config, providers, now))
    _account_sidebar(user, config)
