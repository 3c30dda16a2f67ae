"""Notification queries: in-app notifications (unread, mark read), channels (CRUD) and delivery attempts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import DataError
from storage.models import (
    CHANNEL_KINDS,
    DELIVERY_STATUSES,
    NOTIFICATION_SEVERITIES,
    DeliveryAttempt,
    Notification,
    NotificationChannel,
)

ATTEMPT_COLUMNS = ("id", "at", "channel", "kind", "notification_id", "title", "attempt", "status", "error")


def _utc(moment: datetime | None) -> datetime | None:
    """Aware UTC from a stored (naive UTC on SQLite) or any aware datetime; None stays None."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise DataError(f"{what} must be one of {list(allowed)}, got {value!r}")


@dataclass(frozen=True)
class NotificationRecord:
    """One in-app notification; times are aware UTC."""

    id: int
    created_at: datetime
    title: str
    body: str
    severity: str
    source: str
    ref_id: int | None
    read_at: datetime | None

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


@dataclass(frozen=True)
class ChannelRecord:
    """One external channel as stored: secrets stay encrypted here (engine.secrets decrypts them)."""

    id: int
    name: str
    kind: str
    config: dict[str, Any] = field(default_factory=dict)
    secret_encrypted: str = field(default="", repr=False)
    enabled: bool = True
    rate_limit_per_hour: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)


def _notification(row: Notification) -> NotificationRecord:
    return NotificationRecord(id=row.id, created_at=_utc(row.created_at), title=row.title, body=row.body or "",
                              severity=row.severity, source=row.source, ref_id=row.ref_id,
                              read_at=_utc(row.read_at))


def _channel(row: NotificationChannel) -> ChannelRecord:
    return ChannelRecord(id=row.id, name=row.name, kind=row.kind, config=dict(row.config or {}),
                         secret_encrypted=row.secret_encrypted or "", enabled=bool(row.enabled),
                         rate_limit_per_hour=int(row.rate_limit_per_hour or 0), created_at=_utc(row.created_at),
                         updated_at=_utc(row.updated_at))


# --- in-app notifications -------------------------------------------------------------------------------

def add_notification(session: Session, *, title: str, body: str = "", severity: str = "info",
                     source: str = "alert", ref_id: int | None = None, now: datetime | None = None) -> int:
    """Store an unread in-app notification in the caller's transaction; returns its id."""
    _check_choice(severity, NOTIFICATION_SEVERITIES, "severity")
    row = Notification(created_at=now or _now(), title=title[:200], body=body, severity=severity,
                       source=source[:32], ref_id=ref_id, read_at=None)
    session.add(row)
    session.flush()
    return row.id


def list_notifications(session: Session, *, unread_only: bool = False, limit: int = 50) -> list[NotificationRecord]:
    """Newest first."""
    query = select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return [_notification(r) for r in session.scalars(query)]


def unread_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.read_at.is_(None))) or 0)


def mark_read(session: Session, notification_id: int, now: datetime | None = None) -> bool:
    """Mark one notification read; False if it does not exist or was already read."""
    result = session.execute(update(Notification)
                             .where(Notification.id == notification_id, Notification.read_at.is_(None))
                             .values(read_at=now or _now()))
    return result.rowcount == 1


def mark_all_read(session: Session, now: datetime | None = None) -> int:
    """Mark every unread notification read; returns how many were unread."""
    result = session.execute(update(Notification).where(Notification.read_at.is_(None))
                             .values(read_at=now or _now()))
    return int(result.rowcount or 0)


# --- channels -------------------------------------------------------------------------------------------

def add_channel(session: Session, *, name: str, kind: str, config: dict[str, Any], secret_encrypted: str = "",
                enabled: bool = True, rate_limit_per_hour: int = 30, now: datetime | None = None) -> int:
    """Add a channel (config validated, secrets already encrypted by the caller); DataError on a taken name."""
    _check_choice(kind, CHANNEL_KINDS, "kind")
    if rate_limit_per_hour < 0:
        raise DataError("rate limit per hour must be 0 (no limit) or more")
    moment = now or _now()
    row = NotificationChannel(name=name, kind=kind, config=dict(config), secret_encrypted=secret_encrypted,
                              enabled=enabled, rate_limit_per_hour=rate_limit_per_hour, created_at=moment,
                              updated_at=moment)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise DataError(f"a channel named {name!r} already exists — choose another name") from None
    return row.id


def _channel_row(session: Session, channel_id: int) -> NotificationChannel:
    row = session.get(NotificationChannel, channel_id)
    if row is None:
        raise DataError(f"notification channel {channel_id} does not exist")
    return row


def get_channel(session: Session, channel_id: int) -> ChannelRecord:
    return _channel(_channel_row(session, channel_id))


def get_channel_by_name(session: Session, name: str) -> ChannelRecord | None:
    row = session.scalar(select(NotificationChannel).where(NotificationChannel.name == name))
    return None if row is None else _channel(row)


def list_channels(session: Session, *, enabled_only: bool = False) -> list[ChannelRecord]:
    query = select(NotificationChannel).order_by(NotificationChannel.name)
    if enabled_only:
        query = query.where(NotificationChannel.enabled.is_(True))
    return [_channel(r) for r in session.scalars(query)]


def update_channel(session: Session, channel_id: int, *, config: dict[str, Any] | None = None,
                   secret_encrypted: str | None = None, enabled: bool | None = None,
                   rate_limit_per_hour: int | None = None, now: datetime | None = None) -> None:
    """Change the given fields only (None = keep); DataError if the channel does not exist."""
    row = _channel_row(session, channel_id)
    if config is not None:
        row.config = dict(config)
    if secret_encrypted is not None:
        row.secret_encrypted = secret_encrypted
    if enabled is not None:
        row.enabled = enabled
    if rate_limit_per_hour is not None:
        if rate_limit_per_hour < 0:
            raise DataError("rate limit per hour must be 0 (no limit) or more")
        row.rate_limit_per_hour = rate_limit_per_hour
    row.updated_at = now or _now()


def delete_channel(session: Session, channel_id: int) -> bool:
    """Remove a channel and its delivery attempts; True if it existed."""
    session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.channel_id == channel_id))
    result = session.execute(delete(NotificationChannel).where(NotificationChannel.id == channel_id))
    return result.rowcount == 1


# --- delivery attempts ----------------------------------------------------------------------------------

def log_attempt(session: Session, *, channel_id: int, notification_id: int | None, attempt: int, status: str,
                error: str = "", at: datetime | None = None) -> int:
    """Record one delivery try (the error text must already be free of secrets); returns its id."""
    _check_choice(status, DELIVERY_STATUSES, "status")
    row = DeliveryAttempt(notification_id=notification_id, channel_id=channel_id, attempt=attempt, status=status,
                          error=error, at=at or _now())
    session.add(row)
    session.flush()
    return row.id


def count_recent_deliveries(session: Session, channel_id: int, since: datetime) -> int:
    """Successful deliveries through a channel at or after `since` (aware UTC): what the rate limit counts."""
    since_utc = since.astimezone(UTC)
    return int(session.scalar(
        select(func.count()).select_from(DeliveryAttempt)
        .where(DeliveryAttempt.channel_id == channel_id, DeliveryAttempt.status == "ok",
               DeliveryAttempt.at >= since_utc)) or 0)


def attempts_frame(engine: Engine, *, channel_id: int | None = None, limit: int = 200) -> pd.DataFrame:
    """Recent delivery attempts, newest first, with channel name/kind and notification title (aware UTC `at`)."""
    query = (select(DeliveryAttempt.id, DeliveryAttempt.at, NotificationChannel.name.label("channel"),
                    NotificationChannel.kind, DeliveryAttempt.notification_id, Notification.title,
                    DeliveryAttempt.attempt, DeliveryAttempt.status, DeliveryAttempt.error)
             .join(NotificationChannel, NotificationChannel.id == DeliveryAttempt.channel_id)
             .outerjoin(Notification, Notification.id == DeliveryAttempt.notification_id)
             .order_by(DeliveryAttempt.at.desc(), DeliveryAttempt.id.desc()).limit(limit))
    if channel_id is not None:
        query = query.where(DeliveryAttempt.channel_id == channel_id)
    with Session(engine) as session:
        rows = session.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(ATTEMPT_COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["title"] = frame["title"].fillna("(channel test)")
    return frame
