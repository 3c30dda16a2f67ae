"""Login: bcrypt passwords, users from the secrets section, a database-backed failure limit, session expiry."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

import bcrypt
from sqlalchemy import Engine

from engine.errors import ConfigError, DataError
from storage import auth as store

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further; longer passwords are refused rather than silently cut
DEFAULT_ROUNDS = 12
DEFAULT_SESSION_MINUTES = 720.0
DEFAULT_MAX_FAILURES = 5
DEFAULT_LOCKOUT_MINUTES = 15.0
KEEP_ATTEMPTS_DAYS = 90
LOCAL_ADDRESSES = frozenset({"localhost", "::1", "ip6-localhost"})
HASH_COMMAND = "python -m engine auth hash-password"
_BCRYPT_HASH = re.compile(r"^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,63}$")
_SECTION_KEYS = ("required", "session_minutes", "idle_minutes", "max_failures", "lockout_minutes", "users",
                 "oidc_allow")


class WeakPassword(DataError):
    """A new password is empty, too short or too long: ask the user for another."""


# --- passwords ------------------------------------------------------------------------------------------

def check_password_policy(password: str) -> None:
    """Raise WeakPassword unless `password` has 8+ characters and at most 72 bytes in UTF-8."""
    if not password:
        raise WeakPassword("the password is empty — choose one of at least 8 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password has {len(password)} characters — use at least {MIN_PASSWORD_LENGTH}")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise WeakPassword(f"the password is longer than {MAX_PASSWORD_BYTES} bytes (bcrypt's limit) — "
                           "use a shorter one")


def hash_password(password: str, rounds: int = DEFAULT_ROUNDS) -> str:
    """A salted bcrypt hash ("$2b$12$…") of a password that passes the policy; raises WeakPassword."""
    check_password_policy(password)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches the bcrypt hash (bcrypt compares in constant time); never raises."""
    if not password or len(password.encode()) > MAX_PASSWORD_BYTES or not _BCRYPT_HASH.match(password_hash):
        return False
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    """A hash to check unknown usernames against, so they take as long as known ones."""
    return bcrypt.hashpw(b"not a password of anyone", bcrypt.gensalt(rounds)).decode()


def hash_rounds(password_hash: str) -> int:
    match = _BCRYPT_HASH.match(password_hash)
    return int(match.group(1)) if match else DEFAULT_ROUNDS


# --- configuration (the [quantdesk_auth] secrets section) -------------------------------------------------

@dataclass(frozen=True)
class User:
    username: str
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class AuthConfig:
    """Parsed [quantdesk_auth]: `required` None = decided by the server address; minutes as floats."""

    required: bool | None = None
    session_minutes: float = DEFAULT_SESSION_MINUTES
    idle_minutes: float = 0.0  # 0 = no idle limit
    max_failures: int = DEFAULT_MAX_FAILURES
    lockout_minutes: float = DEFAULT_LOCKOUT_MINUTES
    users: Mapping[str, User] = field(default_factory=dict)
    oidc_allow: tuple[str, ...] = ()


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _number(section: Mapping[str, Any], key: str, default: float, minimum: float) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(f"quantdesk_auth.{key} must be a number ≥ {minimum:g}, not {value!r}")
    return float(value)


def _user(name: str, record: Any) -> User:
    where = f"quantdesk_auth.users.{name}"
    if not _USERNAME.match(name):
        raise ConfigError(f"{where}: usernames use letters, digits and . _ @ + - (at most 64)")
    if not isinstance(record, Mapping):
        raise ConfigError(f"{where} must be a table with password_hash = \"$2b$…\"")
    if "password" in record:
        raise ConfigError(f"{where} holds a plain 'password' — store its bcrypt hash as password_hash "
                          f"instead (`{HASH_COMMAND}`)")
    password_hash = str(record.get("password_hash", ""))
    if not _BCRYPT_HASH.match(password_hash):
        raise ConfigError(f"{where}.password_hash is not a bcrypt hash — create one with `{HASH_COMMAND}`")
    return User(name, password_hash)


def parse_auth_config(section: Mapping[str, Any] | None) -> AuthConfig:
    """AuthConfig from the secrets section (a plain mapping; None or {} = defaults); raises ConfigError."""
    section = dict(section or {})
    for key in section:
        if key not in _SECTION_KEYS:
            close = difflib.get_close_matches(key, _SECTION_KEYS, n=1)
            hint = f" — did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(_SECTION_KEYS)}"
            raise ConfigError(f"unknown setting quantdesk_auth.{key}{hint}")
    required = section.get("required")
    if required is not None and not isinstance(required, bool):
        raise ConfigError(f"quantdesk_auth.required must be true or false, not {required!r}")
    users_section = section.get("users") or {}
    if not isinstance(users_section, Mapping):
        raise ConfigError("quantdesk_auth.users must be a table of [quantdesk_auth.users.<name>] tables")
    users: dict[str, User] = {}
    for raw_name, record in users_section.items():
        name = normalise_username(str(raw_name))
        if name in users:
            raise ConfigError(f"quantdesk_auth.users lists {name!r} twice (usernames ignore case)")
        users[name] = _user(name, record)
    allow = section.get("oidc_allow", ())
    if isinstance(allow, str) or not all(isinstance(a, str) for a in allow):
        raise ConfigError('quantdesk_auth.oidc_allow must be a list like ["me@example.com", "@example.com"]')
    return AuthConfig(
        required=required,
        session_minutes=_number(section, "session_minutes", DEFAULT_SESSION_MINUTES, 1),
        idle_minutes=_number(section, "idle_minutes", 0, 0),
        max_failures=int(_number(section, "max_failures", DEFAULT_MAX_FAILURES, 1)),
        lockout_minutes=_number(section, "lockout_minutes", DEFAULT_LOCKOUT_MINUTES, 1),
        users=users,
        oidc_allow=tuple(a.strip().lower() for a in allow if a.strip()),
    )


def is_local_address(address: str | None) -> bool:
    """True for loopback-only addresses; None or "" means every interface (Streamlit's default)."""
    host = (address or "").strip().strip("[]").lower()
    return host in LOCAL_ADDRESSES or host.startswith("127.")


def login_required(config_flag: bool | None, setting_flag: bool | None, server_address: str | None) -> bool:
    """Either flag set to true forces login on; false (and no true) turns it off; else: on unless loopback."""
    if True in (config_flag, setting_flag):
        return True
    if False in (config_flag, setting_flag):
        return False
    return not is_local_address(server_address)


# --- OpenID Connect (Streamlit's own [auth] section, st.login) ---------------------------------------------

@dataclass(frozen=True)
class OidcProvider:
    """One st.login provider: `name` None is the unnamed default ([auth] itself holds client_id…)."""

    name: str | None
    label: str


def _provider_label(name: str | None, settings: Mapping[str, Any]) -> str:
    if name:
        return name.replace("-", " ").title()
    host = re.sub(r"^https?://", "", str(settings.get("server_metadata_url", ""))).split("/")[0]
    known = {"google": "Google", "microsoftonline": "Microsoft", "okta": "Okta", "auth0": "Auth0"}
    return next((label for key, label in known.items() if key in host), host or "single sign-on")


def oidc_providers(auth_section: Mapping[str, Any] | None) -> list[OidcProvider]:
    """Providers configured in Streamlit's [auth] secrets (redirect_uri and cookie_secret set, plus client_id
    in [auth] or in [auth.<name>] tables); [] when none is."""
    section = auth_section or {}
    if not section.get("redirect_uri") or not section.get("cookie_secret"):
        return []
    providers = [OidcProvider(None, _provider_label(None, section))] if section.get("client_id") else []
    for name, sub in section.items():
        if isinstance(sub, Mapping) and sub.get("client_id") and "_" not in name and name != "client_kwargs":
            providers.append(OidcProvider(name, _provider_label(name, sub)))
    return providers


def is_oidc_user_allowed(email: str | None, email_verified: bool | None, allow: tuple[str, ...]) -> bool:
    """Whether an identity from the provider may in: its email listed, its "@domain" listed, or "*" listed.

    Any account of a public provider (Google…) could log in otherwise; an unverified email never matches.
    """
    if "*" in allow:
        return True
    if not email or email_verified is False:
        return False
    address = email.strip().lower()
    return address in allow or ("@" + address.rsplit("@", 1)[-1]) in allow


# --- failure limit ----------------------------------------------------------------------------------------

def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def minutes_until(moment: datetime, now: datetime) -> int:
    """Whole minutes from `now` to `moment`, rounded up, at least 1 (for "try again in N minutes")."""
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def locked_until(engine: Engine, username: str, config: AuthConfig, now: datetime | None = None) -> datetime | None:
    """When `username` may try again, or None when it is not locked.

    A failure that completes `max_failures` failures within `lockout_minutes` (all after the last success)
    locks the username for `lockout_minutes` from that failure.
    """
    now = _now(now)
    window = timedelta(minutes=config.lockout_minutes)
    # a lock still running began within one window; the failures that caused it, within one more
    failures = store.failures_since(engine, normalise_username(username), now - 2 * window)
    span = config.max_failures - 1
    ends = [failures[i] + window for i in range(span, len(failures)) if failures[i] - failures[i - span] <= window]
    until = max(ends, default=None)
    return until if until is not None and until > now else None


@dataclass(frozen=True)
class LoginOutcome:
    """What a login try came to: `username` (normalised) is set only when `ok`."""

    ok: bool
    message: str = ""
    username: str = ""
    locked: bool = False


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = minutes_until(until, now)
    return f"Too many failed logins — try again in {minutes} minute{'s' if minutes != 1 else ''}."


def authenticate(engine: Engine, config: AuthConfig, username: str, password: str, *, client: str = "",
                 now: datetime | None = None) -> LoginOutcome:
    """Check a username/password against the configured users, recording the try in the database.

    A locked username is refused without checking its password (and the refusal is not counted); unknown
    usernames cost a bcrypt check too and fail with the same message, so neither time nor text tells them apart.
    """
    now = _now(now)
    name = normalise_username(username)
    if not name or not password:
        return LoginOutcome(False, "Enter your username and password.")
    until = locked_until(engine, name, config, now)
    if until is not None:
        return LoginOutcome(False, _locked_message(until, now), locked=True)
    user = config.users.get(name)
    rounds = hash_rounds(next(iter(config.users.values())).password_hash) if config.users else DEFAULT_ROUNDS
    matched = verify_password(password, user.password_hash if user else _dummy_hash(rounds))
    ok = matched and user is not None
    store.record_attempt(engine, name, ok, now, client)
    if ok:
        store.prune_attempts(engine, now - timedelta(days=KEEP_ATTEMPTS_DAYS))
        return LoginOutcome(True, username=name)
    until = locked_until(engine, name, config, now)
    if until is not None:
        return LoginOutcome(False, _locked_message(until, now), locked=True)
    left = config.max_failures - len(store.failures_since(engine, name, now - timedelta(minutes=config.lockout_minutes)))
    return LoginOutcome(False, f"Wrong username or password ({left} more {'try' if left == 1 else 'tries'} "
                               f"before a {config.lockout_minutes:g}-minute lock).")


def unlock(engine: Engine, username: str, now: datetime | None = None, client: str = "cli unlock") -> None:
    """Lift a lock at once: a success row restarts the failure count (the failures stay for the record)."""
    store.record_attempt(engine, normalise_username(username), True, _now(now), client)


# --- sessions ---------------------------------------------------------------------------------------------

SessionState = Literal["active", "expired", "idle"]


def session_state(login_at: datetime, last_seen: datetime | None, config: AuthConfig,
                  now: datetime | None = None) -> SessionState:
    """"expired" `session_minutes` after login, "idle" when `idle_minutes` (> 0) passed since the last
    request, else "active"."""
    now = _now(now)
    if now >= login_at + timedelta(minutes=config.session_minutes):
        return "expired"
    if config.idle_minutes > 0 and last_seen is not None and now >= last_seen + timedelta(minutes=config.idle_minutes):
        return "idle"
    return "active"


def session_expires_at(login_at: datetime, config: AuthConfig) -> datetime:
    return login_at + timedelta(minutes=config.session_minutes)
