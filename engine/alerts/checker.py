"""The alert check: evaluate every watched rule in one pass over stored data, store edge-triggered events, notify.

Which rules are watched: all but disabled ones and one-shot rules that already fired (they wait to be re-armed).
A watched rule always advances its memory (`last_bar_time`, `last_value`), but fires only when it may: not
snoozed, and for repeating rules not within `cooldown_minutes` of the last firing. So a cross that happens
while a rule is snoozed or cooling down is skipped, not reported late. One broken rule stores its error and
never stops the others; notifications go out after the event is committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from engine.alerts.kinds import get_kind, validate_params
from engine.alerts.spec import Kind, format_value
from engine.data.instruments import instrument_for
from engine.errors import DataError, QuantdeskError
from engine.jobs import register_alert_check
from engine.money import format_price
from engine.paper.clock import as_utc, last_closed_bar
from storage import alerts as store
from storage.candles import BAR_COLUMNS, tail_candles
from storage.db import transaction

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.alerts import RuleRecord

try:
    from engine.notify import notify
except ImportError:  # notifications not installed: events are stored and shown in the app only
    notify = None

log = logging.getLogger(__name__)
TAIL_BARS = 400  # bars read per symbol at least; kinds with a longer warm-up read more


@dataclass(frozen=True)
class Event:
    """An alert event just stored: which rule fired, on which bar (or observation), what it saw and said."""

    id: int
    rule_id: int
    rule_name: str
    kind: str
    symbol: str | None
    fired_at: datetime
    bar_time: datetime | None
    value: float | None
    message: str
    severity: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rule_id": self.rule_id, "rule": self.rule_name, "kind": self.kind,
                "symbol": self.symbol, "fired_at": self.fired_at.isoformat(),
                "bar_time": None if self.bar_time is None else self.bar_time.isoformat(), "value": self.value,
                "message": self.message, "severity": self.severity}


@dataclass(frozen=True)
class Verdict:
    """One evaluation: the observation to report (if any) and what to remember (newest time and value seen)."""

    fire_at: pd.Timestamp | None = None
    value: float | None = None
    note: str = ""
    seen_until: pd.Timestamp | None = None
    last_value: float | None = None


def is_watched(rule: RuleRecord) -> bool:
    """Evaluated at all: not disabled, and not a one-shot rule that fired and waits to be re-armed."""
    if rule.state == "disabled":
        return False
    return not (rule.mode == "one_shot" and rule.state in ("triggered", "acknowledged"))


def cooldown_over(rule: RuleRecord, now: pd.Timestamp) -> bool:
    return rule.last_fired_at is None or now >= rule.last_fired_at + timedelta(minutes=rule.cooldown_minutes)


def may_fire(rule: RuleRecord, now: pd.Timestamp) -> bool:
    """Allowed to store an event now: watched, not snoozed, and (repeating) past the cooldown."""
    if not is_watched(rule) or (rule.snooze_until is not None and rule.snooze_until > now):
        return False
    return rule.mode == "one_shot" or cooldown_over(rule, now)


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def decide(frame: pd.DataFrame, kind: Kind, params: dict[str, Any], rule: RuleRecord) -> Verdict:
    """Which observation (if any) fires: only observations newer than the rule's memory count (a fresh rule
    looks at the newest one only); "level" kinds fire where the condition turns true, "event" kinds on each
    hit. With several candidates the newest is reported."""
    if frame.empty:
        return Verdict()
    hits, times, last = frame["hit"].to_numpy(dtype=bool), frame.index, rule.last_bar_time
    n = len(frame)
    if last is None:
        candidates = np.arange(n) == n - 1
    else:
        candidates = np.asarray(times >= last if kind.revisable else times > last)
    fires = hits & candidates
    if kind.edge == "level" and last is not None:
        before = np.empty(n, dtype=bool)
        before[1:] = hits[:-1]
        before[0] = bool(kind.hit_of is not None and rule.last_value is not None
                         and kind.hit_of(rule.last_value, params))
        fires &= ~before
    seen = Verdict(seen_until=times[-1], last_value=_float(frame["value"].iloc[-1]))
    chosen = np.flatnonzero(fires)
    if not chosen.size:
        return seen
    i = int(chosen[-1])
    return Verdict(times[i], _float(frame["value"].iloc[i]), str(frame["note"].iloc[i]), seen.seen_until,
                   seen.last_value)


class _Bars:
    """Closed bars per (symbol, interval), read once per check pass (errors remembered too)."""

    def __init__(self, db: Engine, now: pd.Timestamp) -> None:
        self.db, self.now = db, now
        self._cache: dict[tuple[str, str], tuple[int, pd.DataFrame | Exception]] = {}

    def get(self, symbol: str, interval: str, need: int) -> pd.DataFrame:
        key, n = (symbol, interval), max(TAIL_BARS, need)
        if key not in self._cache or (self._cache[key][0] < n and not isinstance(self._cache[key][1], Exception)):
            try:
                self._cache[key] = (n, self._load(symbol, interval, n))
            except Exception as exc:  # noqa: BLE001 - every rule on this symbol reports the same error
                self._cache[key] = (n, exc)
        found = self._cache[key][1]
        if isinstance(found, Exception):
            raise found
        return found

    def _load(self, symbol: str, interval: str, n: int) -> pd.DataFrame:
        with transaction(self.db) as session:
            frame = tail_candles(session, symbol, interval, n)
        if frame.empty:
            raise DataError(f"no {interval} bars stored for {symbol}; fetch them with "
                            f"`python -m engine sync --symbols {symbol} --interval {interval}`")
        closed = frame.index <= last_closed_bar(symbol, interval, self.now)
        return frame.loc[closed, list(BAR_COLUMNS)]


def observe(db: Engine, kind: Kind, rule: RuleRecord, params: dict[str, Any], bars: _Bars) -> pd.DataFrame:
    if kind.source == "bars":
        return kind.observe(bars.get(rule.symbol or "", params["interval"], kind.warmup(params)), params)
    return kind.observe(db, rule.symbol, params)


def message_for(rule: RuleRecord, kind: Kind, params: dict[str, Any], verdict: Verdict) -> str:
    """"INFY.NS closed above ₹1,500.00 · ₹1,523.40 · bar 28 Jun 2024" (times in the exchange's zone)."""
    meta = instrument_for(rule.symbol) if rule.symbol else None
    price = (lambda v: format_price(v, meta.currency)) if meta else (lambda v: f"{v:,.2f}")  # noqa: E731
    what = kind.describe(params, price, verdict.note)
    when = verdict.fire_at
    if when is not None:
        daily = when == when.normalize() and (kind.source == "db" or params.get("interval") in ("1d", "1wk"))
        when_text = when.strftime("%d %b %Y") if daily else when.tz_convert(
            meta.timezone if meta else "UTC").strftime("%d %b %Y %H:%M %Z")
    subject = f"{rule.symbol} " if rule.symbol and not what.startswith(rule.symbol) else ""
    value = format_value(verdict.value, kind.value_format, price)
    return f"{subject}{what} · {value}" + (f" · bar {when_text}" if when is not None else "")


def _apply(db: Engine, rule: RuleRecord, kind: Kind, params: dict[str, Any], verdict: Verdict,
           now: pd.Timestamp) -> Event | None:
    """Store one evaluation (and its event, if it fires) in one transaction."""
    at = now.to_pydatetime()
    with transaction(db) as session:
        if rule.mode == "repeating" and rule.state == "acknowledged" and cooldown_over(rule, now):
            store.set_state(session, rule.id, "active")
        store.record_check(session, rule.id, checked_at=at, last_bar_time=None if verdict.seen_until is None
                           else verdict.seen_until.to_pydatetime(), last_value=verdict.last_value)
        if verdict.fire_at is None or not may_fire(rule, now):
            return None
        bar_time = verdict.fire_at.to_pydatetime()
        message = message_for(rule, kind, params, verdict)
        event_id = store.record_fire(session, rule.id, fired_at=at, bar_time=bar_time, value=verdict.value,
                                     message=message)
    if event_id is None:
        return None
    return Event(event_id, rule.id, rule.name, rule.kind, rule.symbol, at, bar_time, verdict.value, message,
                 kind.severity)


def _record_error(db: Engine, rule: RuleRecord, error: str, now: pd.Timestamp) -> None:
    try:
        with transaction(db) as session:
            store.record_check(session, rule.id, checked_at=now.to_pydatetime(), last_bar_time=None,
                               last_value=None, error=error)
    except Exception:  # noqa: BLE001 - e.g. the rule was deleted meanwhile
        log.exception("alert rule %s: could not store its error", rule.id)


def _notify(db: Engine, event: Event, channels: list[str]) -> None:
    if notify is None:
        return
    try:
        notify(db, title=f"🔔 {event.rule_name}", body=event.message, severity=event.severity, source="alert",
               ref_id=event.id, channels=list(channels) or None)
    except Exception:  # noqa: BLE001 - the event is stored; a notification problem must not stop the check
        log.exception("alert event %s: notification failed", event.id)


def check_rule(db: Engine, rule: RuleRecord, now: pd.Timestamp, bars: _Bars) -> Event | None:
    """Evaluate one rule and store the outcome; raises whatever the evaluation raised (after recording it)."""
    try:
        kind = get_kind(rule.kind)
        params = validate_params(kind, rule.params)
        verdict = decide(observe(db, kind, rule, params, bars), kind, params, rule)
    except Exception as exc:
        _record_error(db, rule, str(exc) if isinstance(exc, QuantdeskError) else f"{type(exc).__name__}: {exc}", now)
        raise
    return _apply(db, rule, kind, params, verdict, now)


def check_alerts(db_engine: Engine, now: pd.Timestamp | datetime | str | None = None) -> list[Event]:
    """Evaluate all watched rules against stored, closed bars (each symbol read once) and stored state; store
    the events, notify their channels, and return them. A failing rule keeps its error in `last_error`."""
    now = as_utc(now)
    with transaction(db_engine) as session:
        rules = [r for r in store.list_rules(session) if is_watched(r)]
    bars, events = _Bars(db_engine, now), []
    for rule in rules:
        try:
            event = check_rule(db_engine, rule, now, bars)
        except Exception:  # noqa: BLE001 - one broken rule never stops the others
            log.warning("alert rule %s (%s) failed", rule.id, rule.kind, exc_info=True)
            continue
        if event is not None:
            events.append(event)
            _notify(db_engine, event, rule.channels)
    return events


def run_alert_rules(db_engine: Engine) -> None:
    """The scheduler's alert check (registered with engine.jobs): `check_alerts` at the current time."""
    events = check_alerts(db_engine)
    if events:
        log.info("alert check: %d event(s) fired", len(events))


register_alert_check(run_alert_rules)
