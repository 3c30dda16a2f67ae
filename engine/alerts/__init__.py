"""Alert rules watched by the scheduler: kinds with validated params, edge-triggered checks, events, notifications."""

from engine.alerts.checker import Event, check_alerts
from engine.alerts.kinds import KINDS, get_kind, list_kinds, validate_params
from engine.alerts.service import (
    acknowledge,
    add_rule,
    available_channels,
    delete,
    disable,
    get_rule,
    history,
    list_rules,
    rearm,
    snooze,
)
from engine.alerts.spec import AlertRuleError, Kind

__all__ = [
    "KINDS", "AlertRuleError", "Event", "Kind", "acknowledge", "add_rule", "available_channels", "check_alerts",
    "delete", "disable", "get_kind", "get_rule", "history", "list_kinds", "list_rules", "rearm", "snooze", "validate_params",
]
