"""Login-attempt queries: record a try, the failures since the last success, an audit list, pruning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select

from storage.db import transaction
from storage.models import LoginAttempt

USERNAME_MAX = 64
CLIENT_MAX = 64


def _utc(moment: datetime) -> datetime:
    """Aware UTC from a stored (naive UTC on SQLite) or any aware datetime."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class AttemptRecord:
    """One stored login try; `at` is aware UTC."""

    id: int
    username: str
    at: datetime
    ok: bool
    client: str


def record_attempt(engine: Engine, username: str, ok: bool, at: datetime, client: str = "") -> int:
    """Store one login try (username and client cut to 64 characters); returns its id."""
    with transaction(engine) as session:
        row = LoginAttempt(username=username[:USERNAME_MAX], at=_utc(at), ok=ok, client=(client or "")[:CLIENT_MAX])
        session.add(row)
        session.flush()
        return row.id


def failures_since(engine: Engine, username: str, since: datetime) -> list[datetime]:
    """Failed tries of `username` at or after `since` and after its latest success, oldest first (aware UTC)."""
    name = username[:USERNAME_MAX]
    with transaction(engine) as session:
        last_ok = session.scalar(select(func.max(LoginAttempt.at))
                                 .where(LoginAttempt.username == name, LoginAttempt.ok.is_(True)))
        query = (select(LoginAttempt.at)
                 .where(LoginAttempt.username == name, LoginAttempt.ok.is_(False), LoginAttempt.at >= _utc(since))
                 .order_by(LoginAttempt.at, LoginAttempt.id))
        if last_ok is not None:
            query = query.where(LoginAttempt.at > last_ok)
        return [_utc(at) for at in session.scalars(query)]


def recent_attempts(engine: Engine, username: str | None = None, limit: int = 50) -> list[AttemptRecord]:
    """The latest login tries, newest first (optionally of one username)."""
    query = select(LoginAttempt).order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc()).limit(limit)
    if username is not None:
        query = query.where(LoginAttempt.username == username[:USERNAME_MAX])
    with transaction(engine) as session:
        return [AttemptRecord(r.id, r.username, _utc(r.at), r.ok, r.client) for r in session.scalars(query)]


def prune_attempts(engine: Engine, before: datetime) -> int:
    """Delete tries older than `before`; returns how many went."""
    with transaction(engine) as session:
        result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < _utc(before)))
        return int(result.rowcount or 0)
