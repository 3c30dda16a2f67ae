"""Alert commands: `alerts add|list|check|history|ack|snooze|disable|rearm|delete|kinds` (every one takes --json)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pandas as pd

from engine.__main__ import emit
from engine.cli.data_cmd import open_db
from engine.errors import DataError

LIST_COLUMNS = ["id", "state", "mode", "kind", "symbol", "name", "last_fired_at", "snooze_until", "last_error"]
HISTORY_COLUMNS = ["id", "rule_id", "fired_at", "bar_time", "message", "acknowledged_at"]


def _params(items: list[str] | None) -> dict[str, Any]:
    """`name=value` pairs (numbers and booleans read as JSON, anything else kept as text) into a dict."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise DataError(f"parameter {item!r} must look like name=value, e.g. level=1500")
        name, raw = item.split("=", 1)
        try:
            out[name.strip()] = json.loads(raw)
        except ValueError:
            out[name.strip()] = raw.strip()
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _table(frame: pd.DataFrame, columns: list[str], empty: str) -> str:
    if frame.empty:
        return empty
    shown = frame[columns].copy()
    for col in shown.columns:
        if isinstance(shown[col].dtype, pd.DatetimeTZDtype):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d %H:%M").fillna("")
    return shown.fillna("").to_string(index=False)


def cmd_add(args: argparse.Namespace) -> int:
    from engine.alerts import add_rule, get_rule

    db = open_db()
    rule_id = add_rule(db, kind=args.kind, symbol=args.symbol, params=_params(args.param), name=args.name or "",
                       mode=args.mode, cooldown_minutes=args.cooldown, channels=args.channel)
    rule = get_rule(db, rule_id)
    emit(rule.as_dict(), args.json, f"alert rule {rule_id} added: {rule.name} ({rule.mode})")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from engine.alerts import list_rules

    frame = list_rules(open_db())
    emit(_records(frame), args.json, _table(frame, LIST_COLUMNS, "no alert rules — add one with `alerts add`"))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from engine.alerts import check_alerts

    events = check_alerts(open_db(), now=args.now)
    try:
        from engine.notify import wait_for_deliveries
    except ImportError:
        pass
    else:
        wait_for_deliveries(timeout=60)  # external channels deliver in threads: let them finish before exiting
    text = "\n".join(f"#{e.rule_id} {e.message}" for e in events) or "no alert fired"
    emit([e.as_dict() for e in events], args.json, text)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from engine.alerts import history

    frame = history(open_db(), args.rule, limit=args.limit)
    emit(_records(frame), args.json, _table(frame, HISTORY_COLUMNS, "no alert events yet"))
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    from engine.alerts import acknowledge, get_rule

    db = open_db()
    count = acknowledge(db, args.id)
    state = get_rule(db, args.id).state
    emit({"id": args.id, "acknowledged": count, "state": state}, args.json,
         f"alert rule {args.id}: {count} event(s) acknowledged; now {state}")
    return 0


def cmd_snooze(args: argparse.Namespace) -> int:
    from engine.alerts import get_rule, snooze

    db = open_db()
    get_rule(db, args.id)
    until = snooze(db, args.id, args.minutes)
    text = f"alert rule {args.id} snoozed until {until:%Y-%m-%d %H:%M} UTC" if until else f"alert rule {args.id} awake"
    emit({"id": args.id, "snooze_until": until.isoformat() if until else None}, args.json, text)
    return 0


def cmd_state(args: argparse.Namespace) -> int:
    from engine import alerts

    db = open_db()
    action = args.alerts_command
    if action == "delete":
        if not alerts.delete(db, args.id):
            raise DataError(f"no alert rule with id {args.id}; list them with `alerts list`")
        emit({"id": args.id, "deleted": True}, args.json, f"alert rule {args.id} deleted")
        return 0
    getattr(alerts, action)(db, args.id)
    state = alerts.get_rule(db, args.id).state
    emit({"id": args.id, "state": state}, args.json, f"alert rule {args.id}: {state}")
    return 0


def cmd_kinds(args: argparse.Namespace) -> int:
    from engine.alerts import list_kinds

    rows = [{"kind": k.name, "title": k.title, "needs_symbol": k.needs_symbol, "help": k.help,
             "params": {p.name: p.default for p in k.params}} for k in list_kinds()]
    text = "\n".join(f"{r['kind']:<16} {r['help']}  params: "
                     + (", ".join(f"{n}={v}" for n, v in r["params"].items()) or "none") for r in rows)
    emit(rows, args.json, text)
    return 0


def _with_id(sub: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=text)
    p.add_argument("id", type=int, help="alert rule id (see `alerts list`)")
    p.add_argument("--json", action="store_true", help="print JSON")
    return p


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `alerts …` to the CLI."""
    alerts = subparsers.add_parser("alerts", help="alert rules, checks and events")
    sub = alerts.add_subparsers(dest="alerts_command", required=True, parser_class=type(alerts))
    p = sub.add_parser("add", help="add an alert rule")
    p.add_argument("--kind", required=True, help="price_above, price_cross, rsi, … (see `alerts kinds`)")
    p.add_argument("--symbol", help="Yahoo-style symbol, e.g. INFY.NS (not for breaker/deployment_pnl)")
    p.add_argument("--param", action="append", help="rule parameter name=value, e.g. level=1500 (repeatable)")
    p.add_argument("--name", help="a name for the rule (default: its condition in words)")
    p.add_argument("--mode", default="one_shot", choices=["one_shot", "repeating"])
    p.add_argument("--cooldown", type=int, default=0, help="minutes before a repeating rule may fire again")
    p.add_argument("--channel", action="append", help="notification channel name (repeatable; default in-app)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("list", help="alert rules with state, last firing and errors")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("check", help="evaluate every rule now against stored bars and fire events")
    p.add_argument("--now", help="the clock (UTC), default: now")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("history", help="alert events, newest first")
    p.add_argument("--rule", type=int, help="only this rule's events")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_history)
    _with_id(sub, "ack", "acknowledge a rule's events").set_defaults(func=cmd_ack)
    p = _with_id(sub, "snooze", "silence a rule for some minutes (0 wakes it)")
    p.add_argument("--minutes", type=float, required=True)
    p.set_defaults(func=cmd_snooze)
    for name, text in (("disable", "stop evaluating a rule"), ("rearm", "make a fired or disabled rule active again"),
                       ("delete", "delete a rule and its events")):
        _with_id(sub, name, text).set_defaults(func=cmd_state)
    p = sub.add_parser("kinds", help="alert kinds and their parameters")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_kinds)
