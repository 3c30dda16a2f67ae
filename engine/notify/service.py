"""Notifications: store in-app, fan out to external channels (each on its own, rate-limited, logged), channel CRUD."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from engine.config import Settings, get_settings
from engine.errors import QuantdeskError
from engine.notify.capture import scrub
from engine.notify.delivery import RetryPolicy, deliver_with_retry, send_once
from engine.notify.kinds import KINDS, build_url, describe, kind_spec, validate_channel, validate_name
from engine.secrets import SecretKeyError, decrypt_secrets, encrypt_secrets
from storage import notifications as store
from storage.db import transaction
from storage.models import NOTIFICATION_SEVERITIES

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.notifications import ChannelRecord

log = logging.getLogger(__name__)
IN_APP = "in-app"
IST = ZoneInfo("Asia/Kolkata")
DEFAULT_RATE_LIMIT = 30  # deliveries per hour and channel
SEVERITY_ALIASES = {"error": "critical", "danger": "critical", "warn": "warning", "ok": "success"}
_executor: ThreadPoolExecutor | None = None
_pending: set[Future] = set()
_pool_lock = threading.Lock()


@dataclass(frozen=True)
class DeliveryResult:
    """How one channel fared: ok | failed | rate_limited, after `attempts` tries, with the (scrubbed) error."""

    channel_id: int
    channel: str
    status: str
    attempts: int
    error: str = ""


@dataclass(frozen=True)
class ChannelView:
    """A channel as the UI may show it: non-secret config plus which secret fields are set, never their values."""

    id: int
    name: str
    kind: str
    title: str
    summary: str
    config: dict[str, Any]
    enabled: bool
    rate_limit_per_hour: int
    secrets_set: tuple[str, ...]
    secret_error: str = ""  # the stored secrets cannot be decrypted (the key changed)


def _cfg(settings: Settings | None) -> Settings:
    return settings or get_settings()


def retry_policy(settings: Settings | None = None) -> RetryPolicy:
    cfg = _cfg(settings)
    return RetryPolicy(attempts=cfg.notify_attempts, wait_s=cfg.notify_retry_wait_s, timeout_s=cfg.notify_timeout_s)


# --- channels -------------------------------------------------------------------------------------------

def add_channel(db: Engine, *, name: str, kind: str, config: dict[str, Any], secrets: dict[str, str],
                enabled: bool = True, rate_limit_per_hour: int = DEFAULT_RATE_LIMIT,
                settings: Settings | None = None) -> int:
    """Validate and store a channel with its secrets encrypted; ChannelConfigError/DataError say what to fix."""
    name = validate_name(name)
    clean_config, clean_secrets = validate_channel(kind, config, secrets)
    token = encrypt_secrets(clean_secrets, _cfg(settings))
    with transaction(db) as session:
        return store.add_channel(session, name=name, kind=kind, config=clean_config, secret_encrypted=token,
                                 enabled=enabled, rate_limit_per_hour=int(rate_limit_per_hour))


def update_channel(db: Engine, channel_id: int, *, config: dict[str, Any] | None = None,
                   secrets: dict[str, str] | None = None, enabled: bool | None = None,
                   rate_limit_per_hour: int | None = None, settings: Settings | None = None) -> None:
    """Change a channel; blank secrets keep the stored ones. Raises SecretKeyError when stored secrets must be
    kept but cannot be decrypted (enter them again), ChannelConfigError/DataError for invalid input."""
    cfg = _cfg(settings)
    with transaction(db) as session:
        current = store.get_channel(session, channel_id)
    token = None
    if config is not None or secrets is not None:
        new_secrets = {k: v for k, v in (secrets or {}).items() if v}
        try:
            kept = decrypt_secrets(current.secret_encrypted, cfg)
        except SecretKeyError:
            if set(kind_spec(current.kind).secret_fields) - set(new_secrets) and current.has_secret:
                raise
            kept = {}
        merged_config = {**current.config, **(config or {})}
        clean_config, clean_secrets = validate_channel(current.kind, merged_config, {**kept, **new_secrets})
        config, token = clean_config, encrypt_secrets(clean_secrets, cfg)
    with transaction(db) as session:
        store.update_channel(session, channel_id, config=config, secret_encrypted=token, enabled=enabled,
                             rate_limit_per_hour=rate_limit_per_hour)


def delete_channel(db: Engine, channel_id: int) -> bool:
    with transaction(db) as session:
        return store.delete_channel(session, channel_id)


def _view(record: ChannelRecord, cfg: Settings) -> ChannelView:
    secret_error, names = "", ()
    try:
        names = tuple(sorted(decrypt_secrets(record.secret_encrypted, cfg)))
    except QuantdeskError as exc:
        secret_error = str(exc)
    spec = KINDS.get(record.kind)
    return ChannelView(id=record.id, name=record.name, kind=record.kind, title=spec.title if spec else record.kind,
                       summary=describe(record.kind, record.config), config=dict(record.config),
                       enabled=record.enabled, rate_limit_per_hour=record.rate_limit_per_hour, secrets_set=names,
                       secret_error=secret_error)


def list_channels(db: Engine, settings: Settings | None = None) -> list[ChannelView]:
    """All channels by name, secrets masked (only which secret fields are set)."""
    with transaction(db) as session:
        records = store.list_channels(session)
    cfg = _cfg(settings)
    return [_view(r, cfg) for r in records]


def channel_names(db: Engine) -> list[str]:
    """Names of the enabled external channels (what an alert rule can pick besides "in-app")."""
    with transaction(db) as session:
        return [c.name for c in store.list_channels(session, enabled_only=True)]


# --- delivery -------------------------------------------------------------------------------------------

def _log_attempt(db: Engine, channel_id: int, notification_id: int | None, attempt: int, status: str,
                 error: str) -> None:
    try:
        with transaction(db) as session:
            store.log_attempt(session, channel_id=channel_id, notification_id=notification_id, attempt=attempt,
                              status=status, error=error[:2000])
    except Exception:  # noqa: BLE001 - e.g. the channel was deleted meanwhile; never stop the delivery
        log.exception("could not log a delivery attempt on channel %s", channel_id)


def _over_rate_limit(db: Engine, channel: ChannelRecord, now: datetime) -> bool:
    if channel.rate_limit_per_hour <= 0:
        return False
    with transaction(db) as session:
        sent = store.count_recent_deliveries(session, channel.id, now - timedelta(hours=1))
    return sent >= channel.rate_limit_per_hour


def deliver(db: Engine, channel: ChannelRecord, *, title: str, body: str, severity: str = "info",
            notification_id: int | None = None, policy: RetryPolicy | None = None, respect_limit: bool = True,
            settings: Settings | None = None, now: datetime | None = None) -> DeliveryResult:
    """Deliver one message through one channel with retries, logging every try. Never raises."""
    policy = policy or retry_policy(settings)
    record = partial(_log_attempt, db, channel.id, notification_id)
    secrets: dict[str, str] = {}
    try:
        if respect_limit and _over_rate_limit(db, channel, now or datetime.now(UTC)):
            error = f"rate limit of {channel.rate_limit_per_hour} deliveries per hour reached — kept in-app only"
            record(1, "rate_limited", error)
            return DeliveryResult(channel.id, channel.name, "rate_limited", 0, error)
        secrets = decrypt_secrets(channel.secret_encrypted, _cfg(settings))
        config, secrets = validate_channel(channel.kind, channel.config, secrets)
        url = build_url(channel.kind, config, secrets)
    except Exception as exc:  # noqa: BLE001 - a broken channel is a logged failure, never the caller's problem
        error = scrub(str(exc) if isinstance(exc, QuantdeskError) else f"{type(exc).__name__}: {exc}",
                      secrets.values())
        record(1, "failed", error)
        return DeliveryResult(channel.id, channel.name, "failed", 1, error)
    send = partial(send_once, url, title=title, body=body, severity=severity, timeout_s=policy.timeout_s,
                   secrets=[*secrets.values(), url])
    delivered, tries, error = deliver_with_retry(send, policy, record)
    if not delivered:
        log.warning("notification %s: channel %r failed after %d tries: %s", notification_id, channel.name, tries,
                    error)
    return DeliveryResult(channel.id, channel.name, "ok" if delivered else "failed", tries, error)


def send_test(db: Engine, channel_id: int, *, settings: Settings | None = None,
              policy: RetryPolicy | None = None) -> DeliveryResult:
    """Send a test message through one channel now (one try unless `policy` says otherwise; no rate limit)."""
    cfg = _cfg(settings)
    with transaction(db) as session:
        channel = store.get_channel(session, channel_id)
    sent = datetime.now(UTC).astimezone(IST).strftime("%d %b %Y %H:%M IST")
    body = f"Test from Quantdesk: the channel '{channel.name}' ({KINDS[channel.kind].title}) works. Sent {sent}."
    return deliver(db, channel, title="Quantdesk test notification", body=body, severity="info",
                   policy=policy or RetryPolicy(attempts=1, wait_s=0, timeout_s=cfg.notify_timeout_s),
                   respect_limit=False, settings=cfg)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _pool_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="quantdesk-notify")
        return _executor


def _fan_out(db: Engine, names: list[str], *, title: str, body: str, severity: str, notification_id: int | None,
             cfg: Settings) -> list[Future]:
    with transaction(db) as session:
        found = {n: store.get_channel_by_name(session, n) for n in names}
    futures = []
    for name, channel in found.items():
        if channel is None:
            log.warning("notification %s: no channel named %r", notification_id, name)
        elif not channel.enabled:
            log.info("notification %s: channel %r is disabled", notification_id, name)
        else:
            future = _pool().submit(deliver, db, channel, title=title, body=body, severity=severity,
                                    notification_id=notification_id, settings=cfg)
            with _pool_lock:
                _pending.add(future)
            future.add_done_callback(_forget)
            futures.append(future)
    return futures


def _forget(future: Future) -> None:
    with _pool_lock:
        _pending.discard(future)


def wait_for_deliveries(timeout: float | None = None) -> bool:
    """Wait for the external deliveries still running; True if none is left."""
    with _pool_lock:
        pending = set(_pending)
    _, not_done = wait_futures(pending, timeout=timeout)
    return not not_done


def notify(db_engine: Engine, *, title: str, body: str, severity: str = "info", source: str = "alert",
           ref_id: int | None = None, channels: list[str] | None = None, settings: Settings | None = None,
           wait: bool = False) -> None:
    """Store an in-app notification, then deliver it through each named external channel ("in-app" and
    unknown or disabled names are skipped). Channels are delivered independently in background threads (set
    `wait` to block until they finish); a failing channel is retried and logged, and never raises."""
    severity = SEVERITY_ALIASES.get(severity, severity)
    severity = severity if severity in NOTIFICATION_SEVERITIES else "info"
    notification_id = None
    try:
        with transaction(db_engine) as session:
            notification_id = store.add_notification(session, title=title, body=body, severity=severity,
                                                     source=source, ref_id=ref_id)
    except Exception:  # noqa: BLE001 - still try the external channels
        log.exception("could not store the in-app notification %r", title)
    names = list(dict.fromkeys(n for n in (channels or []) if n and n != IN_APP))
    if not names:
        return
    try:
        futures = _fan_out(db_engine, names, title=title, body=body, severity=severity,
                           notification_id=notification_id, cfg=_cfg(settings))
    except Exception:  # noqa: BLE001 - the in-app notification is stored; channels must never break the caller
        log.exception("notification %s: could not start the channel deliveries", notification_id)
        return
    if wait:
        wait_futures(futures)


# --- in-app ---------------------------------------------------------------------------------------------

def unread_count(db: Engine) -> int:
    with transaction(db) as session:
        return store.unread_count(session)


def recent_notifications(db: Engine, *, limit: int = 20, unread_only: bool = False) -> list[store.NotificationRecord]:
    with transaction(db) as session:
        return store.list_notifications(session, unread_only=unread_only, limit=limit)


def mark_read(db: Engine, notification_id: int) -> bool:
    with transaction(db) as session:
        return store.mark_read(session, notification_id)


def mark_all_read(db: Engine) -> int:
    with transaction(db) as session:
        return store.mark_all_read(session)
