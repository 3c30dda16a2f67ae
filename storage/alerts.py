"""Alert queries: rules (create, read, state changes, check bookkeeping) and their events (dedupe, ack, history)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import DataError
from storage.models import ALERT_MODES, ALERT_STATES, AlertEvent, AlertRule, SyncRun

RULE_COLUMNS = ("id", "name", "kind", "symbol", "params", "state", "mode", "cooldown_minutes", "snooze_until",
                "channels", "last_fired_at", "last_value", "last_bar_time", "last_checked_at", "last_error",
                "created_at", "updated_at")
EVENT_COLUMNS = ("id", "rule_id", "rule", "kind", "symbol", "fired_at", "bar_time", "value", "message",
                 "acknowledged_at")


def _utc(moment: datetime | None) -> datetime | None:
    """Aware UTC from a stored (naive UTC on SQLite) or any aware datetime; None stays None."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RuleRecord:
    """One stored alert rule; times are aware UTC datetimes (or None)."""

    id: int
    name: str
    kind: str
    symbol: str | None
    params: dict[str, Any]
    state: str
    mode: str
    cooldown_minutes: int
    snooze_until: datetime | None
    channels: list[str] = field(default_factory=list)
    last_fired_at: datetime | None = None
    last_value: float | None = None
    last_bar_time: datetime | None = None
    last_checked_at: datetime | None = None
    last_error: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in RULE_COLUMNS}


def _record(row: AlertRule) -> RuleRecord:
    return RuleRecord(
        id=row.id, name=row.name, kind=row.kind, symbol=row.symbol, params=dict(row.params or {}),
        state=row.state, mode=row.mode, cooldown_minutes=int(row.cooldown_minutes or 0),
        snooze_until=_utc(row.snooze_until), channels=list(row.channels or []), last_fired_at=_utc(row.last_fired_at),
        last_value=row.last_value, last_bar_time=_utc(row.last_bar_time), last_checked_at=_utc(row.last_checked_at),
        last_error=row.last_error or "", created_at=_utc(row.created_at), updated_at=_utc(row.updated_at),
    )


def _check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise DataError(f"{what} must be one of {list(allowed)}, got {value!r}")


def create_rule(session: Session, *, name: str, kind: str, symbol: str | None, params: dict[str, Any],
                mode: str = "one_shot", cooldown_minutes: int = 0, channels: list[str] | None = None,
                state: str = "active") -> int:
    """Add a rule in the caller's transaction and return its id (params must already be validated)."""
    _check_choice(mode, ALERT_MODES, "mode")
    _check_choice(state, ALERT_STATES, "state")
    if cooldown_minutes < 0:
        raise DataError(f"cooldown_minutes must be 0 or more, got {cooldown_minutes}")
    now = _now()
    row = AlertRule(name=name.strip()[:200] or kind, kind=kind, symbol=symbol, params=dict(params), state=state,
                    mode=mode, cooldown_minutes=int(cooldown_minutes), channels=list(channels or []),
                    last_error="", created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row.id


def _row(session: Session, rule_id: int) -> AlertRule:
    row = session.get(AlertRule, rule_id)
    if row is None:
        raise DataError(f"no alert rule with id {rule_id}; list them with `alerts list`")
    return row


def get_rule(session: Session, rule_id: int) -> RuleRecord:
    """One rule; raises DataError if it does not exist."""
    return _record(_row(session, rule_id))


def list_rules(session: Session, states: tuple[str, ...] | None = None) -> list[RuleRecord]:
    """Rules (optionally only those in `states`), oldest first."""
    stmt = select(AlertRule).order_by(AlertRule.id)
    if states is not None:
        stmt = stmt.where(AlertRule.state.in_(states))
    return [_record(r) for r in session.scalars(stmt)]


def set_state(session: Session, rule_id: int, state: str, *, forget: bool = False) -> None:
    """Move a rule to `state`; `forget` clears the evaluation memory (last bar and value) so the rule starts
    watching from the newest bar again. Raises DataError for an unknown rule or state."""
    _check_choice(state, ALERT_STATES, "state")
    row = _row(session, rule_id)
    row.state, row.updated_at = state, _now()
    if forget:
        row.last_bar_time = row.last_value = None


def set_snooze(session: Session, rule_id: int, until: datetime | None) -> None:
    """Snooze a rule until `until` (aware; None wakes it)."""
    row = _row(session, rule_id)
    row.snooze_until, row.updated_at = _utc(until), _now()


def delete_rule(session: Session, rule_id: int) -> bool:
    """Remove a rule and its events; True if it existed."""
    row = session.get(AlertRule, rule_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def record_check(session: Session, rule_id: int, *, checked_at: datetime, last_bar_time: datetime | None,
                 last_value: float | None, error: str = "") -> None:
    """Store what one evaluation saw (newest bar evaluated, value) and its error ("" when it worked)."""
    row = _row(session, rule_id)
    row.last_checked_at, row.last_error = checked_at, error[:2000]
    if last_bar_time is not None:
        row.last_bar_time = last_bar_time
    if last_value is not None:
        row.last_value = last_value


def record_fire(session: Session, rule_id: int, *, fired_at: datetime, bar_time: datetime | None,
                value: float | None, message: str) -> int | None:
    """Store an event and mark the rule triggered; returns the event id, or None when the rule already has an
    event for that bar (nothing changes then)."""
    row = _row(session, rule_id)
    if session.scalar(select(AlertEvent.id).where(AlertEvent.rule_id == rule_id, AlertEvent.bar_time == bar_time)):
        return None
    event = AlertEvent(rule_id=rule_id, fired_at=fired_at, bar_time=bar_time, value=value, message=message)
    try:
        with session.begin_nested():  # another check may have stored the same event a moment ago
            session.add(event)
    except IntegrityError:
        return None
    row.state, row.last_fired_at, row.updated_at = "triggered", fired_at, fired_at
    return event.id


def acknowledge(session: Session, rule_id: int, now: datetime | None = None) -> int:
    """Acknowledge a rule's open events and move it from triggered to acknowledged; returns events acknowledged."""
    now = now or _now()
    row = _row(session, rule_id)
    done = session.execute(update(AlertEvent).where(AlertEvent.rule_id == rule_id,
                                                    AlertEvent.acknowledged_at.is_(None))
                           .values(acknowledged_at=now)).rowcount or 0
    if row.state == "triggered":
        row.state, row.updated_at = "acknowledged", now
    return done


def rules_frame(engine: Engine) -> pd.DataFrame:
    """All rules with their state and memory, newest first (times are UTC Timestamps)."""
    with Session(engine) as session:
        records = list(reversed(list_rules(session)))
    frame = pd.DataFrame([r.as_dict() for r in records], columns=list(RULE_COLUMNS))
    for col in ("snooze_until", "last_fired_at", "last_bar_time", "last_checked_at", "created_at", "updated_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def events_frame(engine: Engine, rule_id: int | None = None, limit: int = 200,
                 since: datetime | None = None) -> pd.DataFrame:
    """Alert events with their rule's name, kind and symbol, newest first."""
    stmt = (select(AlertEvent.id, AlertEvent.rule_id, AlertRule.name, AlertRule.kind, AlertRule.symbol,
                   AlertEvent.fired_at, AlertEvent.bar_time, AlertEvent.value, AlertEvent.message,
                   AlertEvent.acknowledged_at)
            .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
            .order_by(AlertEvent.fired_at.desc(), AlertEvent.id.desc()).limit(max(1, limit)))
    if rule_id is not None:
        stmt = stmt.where(AlertEvent.rule_id == rule_id)
    if since is not None:
        stmt = stmt.where(AlertEvent.fired_at >= since)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(EVENT_COLUMNS))
    for col in ("fired_at", "bar_time", "acknowledged_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def sync_history(engine: Engine, symbol: str, limit: int = 20) -> pd.DataFrame:
    """The latest finished sync runs of one symbol (any interval), oldest first: started_at, status, error."""
    stmt = (select(SyncRun.started_at, SyncRun.status, SyncRun.error)
            .where(SyncRun.symbol == symbol, SyncRun.status != "running")
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(max(1, limit)))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame([tuple(r) for r in reversed(rows)], columns=["started_at", "status", "error"])
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    return frame
