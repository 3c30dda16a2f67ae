"""Alert rule actions for the CLI and pages: add (validated), list, acknowledge, snooze, disable, re-arm, delete."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.alerts.kinds import get_kind, validate_params
from engine.alerts.spec import AlertRuleError, Kind
from engine.data.instruments import instrument_for, normalise_symbol
from engine.money import format_price
from engine.paper.clock import as_utc
from storage import alerts as store
from storage.db import transaction
from storage.models import ALERT_MODES

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.alerts import RuleRecord

MAX_COOLDOWN_MINUTES = 60 * 24 * 365


def default_name(kind: Kind, symbol: str | None, params: dict[str, Any]) -> str:
    """"INFY.NS · closed above 1,500.00" — the rule's condition in words."""
    currency = instrument_for(symbol).currency if symbol else ""
    text = kind.describe(params, lambda v: format_price(v, currency), "")
    return f"{symbol} · {text}" if symbol else text[:1].upper() + text[1:]


def _symbol_for(kind: Kind, symbol: str | None) -> str | None:
    if not kind.needs_symbol:
        return None
    if not symbol or not str(symbol).strip():
        raise AlertRuleError(f"{kind.name} alerts watch one symbol; give one, e.g. --symbol INFY.NS")
    return normalise_symbol(symbol)


def add_rule(db: Engine, *, kind: str, symbol: str | None = None, params: dict[str, Any] | None = None,
             name: str = "", mode: str = "one_shot", cooldown_minutes: int = 0,
             channels: list[str] | None = None) -> int:
    """Validate and store a rule (active); returns its id.

    Raises AlertRuleError for an unknown kind, bad parameters, a missing symbol, mode or cooldown, and
    DataError for an invalid symbol or a deployment that does not exist.
    """
    spec = get_kind(kind)
    checked = validate_params(spec, params)
    sym = _symbol_for(spec, symbol)
    if mode not in ALERT_MODES:
        raise AlertRuleError(f"mode must be one of {list(ALERT_MODES)}, got {mode!r}")
    if isinstance(cooldown_minutes, bool) or not 0 <= int(cooldown_minutes) <= MAX_COOLDOWN_MINUTES:
        raise AlertRuleError(f"cooldown must be 0 to {MAX_COOLDOWN_MINUTES:,} minutes, got {cooldown_minutes}")
    if spec.name == "deployment_pnl" or (spec.name == "breaker" and checked["deployment"]):
        from engine.paper.deployments import get as get_deployment

        get_deployment(db, checked["deployment"])  # DataError naming `paper list` when it does not exist
    names = [str(c).strip() for c in channels or [] if str(c).strip() and str(c).strip() != "in-app"]
    with transaction(db) as session:
        return store.create_rule(session, name=name.strip() or default_name(spec, sym, checked), kind=spec.name,
                                 symbol=sym, params=checked, mode=mode, cooldown_minutes=int(cooldown_minutes),
                                 channels=names)


def get_rule(db: Engine, rule_id: int) -> RuleRecord:
    with transaction(db) as session:
        return store.get_rule(session, rule_id)


def list_rules(db: Engine) -> pd.DataFrame:
    """All rules, newest first (see storage.alerts.RULE_COLUMNS)."""
    return store.rules_frame(db)


def history(db: Engine, rule_id: int | None = None, limit: int = 200) -> pd.DataFrame:
    """Alert events, newest first (of one rule if given); raises DataError for an unknown rule."""
    if rule_id is not None:
        get_rule(db, rule_id)
    return store.events_frame(db, rule_id=rule_id, limit=limit)


def acknowledge(db: Engine, rule_id: int, now: pd.Timestamp | datetime | None = None) -> int:
    """Acknowledge a rule's events; a repeating rule past its cooldown is active again at once (else at the
    first check after it). Returns how many events were acknowledged."""
    at = as_utc(now)
    with transaction(db) as session:
        done = store.acknowledge(session, rule_id, at.to_pydatetime())
        rule = store.get_rule(session, rule_id)
        over = rule.last_fired_at is None or at >= rule.last_fired_at + timedelta(minutes=rule.cooldown_minutes)
        if rule.mode == "repeating" and rule.state == "acknowledged" and over:
            store.set_state(session, rule_id, "active")
    return done


def snooze(db: Engine, rule_id: int, minutes: float, now: pd.Timestamp | datetime | None = None) -> datetime | None:
    """Silence a rule for `minutes` from now (0 wakes it); returns the snooze end (None when woken)."""
    if not 0 <= float(minutes) <= MAX_COOLDOWN_MINUTES:
        raise AlertRuleError(f"snooze must be 0 to {MAX_COOLDOWN_MINUTES:,} minutes, got {minutes:g}")
    until = (as_utc(now) + pd.Timedelta(minutes=float(minutes))).to_pydatetime() if minutes else None
    with transaction(db) as session:
        store.set_snooze(session, rule_id, until)
    return until


def disable(db: Engine, rule_id: int) -> None:
    with transaction(db) as session:
        store.set_state(session, rule_id, "disabled")


def rearm(db: Engine, rule_id: int) -> None:
    """Make a rule active again (a fired one-shot, or a disabled rule); it watches from the newest bar on."""
    with transaction(db) as session:
        store.set_state(session, rule_id, "active", forget=True)


def delete(db: Engine, rule_id: int) -> bool:
    """Remove a rule and its events; True if it existed."""
    with transaction(db) as session:
        return store.delete_rule(session, rule_id)


def available_channels(db: Engine) -> list[str]:
    """"in-app" plus the enabled external notification channels (when notifications are installed)."""
    try:
        from engine.notify import channel_names
    except ImportError:
        return ["in-app"]
    try:
        return ["in-app", *[c for c in channel_names(db) if c != "in-app"]]
    except Exception:  # noqa: BLE001 - listing channels must never break the alerts page
        return ["in-app"]
