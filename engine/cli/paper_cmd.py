"""Paper commands: `paper deploy|list|tick|positions|orders|trades|fills|order|cancel|replay|pause|resume|stop|reset|delete`."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pandas as pd

from engine.__main__ import emit
from engine.cli.data_cmd import open_db
from engine.data.providers.base import INTERVALS
from engine.errors import DataError


def _params(items: list[str] | None) -> dict[str, Any]:
    """`k=v` pairs (values parsed as JSON when possible) into a dict."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise DataError(f"parameter {item!r} must look like name=value, e.g. fast=10")
        name, raw = item.split("=", 1)
        try:
            out[name.strip()] = json.loads(raw)
        except ValueError:
            out[name.strip()] = raw
    return out


def _json_arg(text: str | None, flag: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise DataError(f"{flag} must be a JSON object, e.g. '{{\"limits\": {{\"max_open_positions\": 3}}}}'") from None
    if not isinstance(value, dict):
        raise DataError(f"{flag} must be a JSON object")
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def cmd_deploy(args: argparse.Namespace) -> int:
    from engine.paper.deployments import DeploymentSpec, create_deployment

    config: dict[str, Any] = {"cash": args.cash, "costs": args.costs, "slippage_bps": args.slippage_bps,
                              "fill": args.fill, "sizing": args.sizing, "size_value": args.size_value,
                              "allow_short": args.allow_short}
    if args.max_positions:
        config["max_positions"] = args.max_positions
    spec = DeploymentSpec(strategy=args.strategy, symbols=args.symbols.split(","), params=_params(args.param),
                          interval=args.interval, config=config, risk=_json_arg(args.risk, "--risk"),
                          name=args.name or "", start=args.start, history_start=args.history_start)
    dep_id = create_deployment(open_db(), spec)
    emit({"id": dep_id}, args.json, f"deployment {dep_id} created and running")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from storage.paper import list_deployments

    frame = list_deployments(open_db()).drop(columns=["params", "config"])
    emit(_records(frame), args.json, frame.to_string(index=False) if len(frame) else "no paper deployments")
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    from engine.paper.runner import tick_all, tick_deployment

    db = open_db()
    if args.id is not None:
        summary = tick_deployment(db, args.id, args.now)
    else:
        from engine.config import get_settings

        summary = tick_all(db, args.now, sync=not args.no_sync, settings=get_settings())  # configured provider
    emit(summary, args.json)
    return 1 if summary.get("status") == "failed" or summary.get("failed") else 0


def _frame_cmd(args: argparse.Namespace, loader: str) -> int:
    from engine.paper.deployments import get
    from storage import paper

    db = open_db()

    get(db, args.id)  # raises DataError for an unknown id
    frame = getattr(paper, loader)(db, args.id)
    if loader == "orders_frame" and args.status:
        frame = frame[frame["status"] == args.status.upper()]
    emit(_records(frame), args.json, frame.to_string(index=False) if len(frame) else "nothing yet")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from engine.paper.runner import replay

    emit(replay(open_db(), args.id, args.start, args.end), args.json)
    return 0


def cmd_order(args: argparse.Namespace) -> int:
    from engine.paper.manual import place_order

    placed = place_order(open_db(), args.id, args.symbol, args.side, args.qty, args.type, args.limit, args.stop)
    emit(placed, args.json, f"order {placed['id']}: {placed['status']} {placed['reason']}".strip())
    return 0 if placed["status"] == "OPEN" else 1


def cmd_cancel(args: argparse.Namespace) -> int:
    from engine.paper.manual import cancel_order

    if not cancel_order(open_db(), args.id, args.order):
        raise DataError(f"order {args.order} is not an open manual order of deployment {args.id}")
    emit({"id": args.order, "status": "CANCELLED"}, args.json, f"order {args.order} cancelled")
    return 0


def cmd_control(args: argparse.Namespace) -> int:
    from engine.paper import deployments

    db = open_db()
    action = args.paper_command
    if action == "delete":
        if not deployments.delete(db, args.id):
            raise DataError(f"no paper deployment with id {args.id}; list them with `paper list`")
    else:
        getattr(deployments, action)(db, args.id)
    emit({"id": args.id, "done": action}, args.json, f"deployment {args.id}: {action} done")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `paper …` to the CLI."""
    paper = subparsers.add_parser("paper", help="paper trading deployments")
    sub = paper.add_subparsers(dest="paper_command", required=True)
    p = sub.add_parser("deploy", help="deploy a strategy to paper trading")
    p.add_argument("--strategy", required=True)
    p.add_argument("--symbols", required=True, help="comma-separated tickers")
    p.add_argument("--param", action="append", help="strategy parameter name=value (repeatable)")
    p.add_argument("--interval", default="1d", choices=list(INTERVALS))
    p.add_argument("--cash", type=float, default=100_000.0)
    p.add_argument("--costs", default="0.001", help="cost spec: 0.001, flat:20, nse_delivery …")
    p.add_argument("--slippage-bps", type=float, default=0.0)
    p.add_argument("--fill", default="next_open", choices=["next_open", "close"])
    p.add_argument("--sizing", default="pct_equity", choices=["fixed_qty", "fixed_amount", "pct_equity", "risk_pct"])
    p.add_argument("--size-value", type=float, default=95.0)
    p.add_argument("--allow-short", action="store_true")
    p.add_argument("--max-positions", type=int)
    p.add_argument("--risk", help='JSON: {"limits": {...}, "breaker": {...}}')
    p.add_argument("--name")
    p.add_argument("--start", help="first bar that may trade (default: now)")
    p.add_argument("--history-start", help="first bar the signals use (default: a year before --start)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_deploy)
    p = sub.add_parser("list", help="deployments with status, cash and equity")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("tick", help="tick all running deployments (or one with --id)")
    p.add_argument("--id", type=int)
    p.add_argument("--now", help="the clock (UTC), default: now")
    p.add_argument("--no-sync", action="store_true", help="do not fetch the latest bars first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tick)
    for name, loader, text in (("positions", "positions_frame", "open positions"), ("orders", "orders_frame", "orders"),
                               ("trades", "trades_frame", "closed trades"), ("fills", "fills_frame", "fills")):
        p = sub.add_parser(name, help=f"a deployment's {text}")
        p.add_argument("--id", type=int, required=True)
        if name == "orders":
            p.add_argument("--status", help="only orders with this status (OPEN, FILLED, REJECTED …)")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=lambda a, loader=loader: _frame_cmd(a, loader))
    p = sub.add_parser("replay", help="replay stored history through paper ticks")
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--start", required=True)
    p.add_argument("--end", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_replay)
    p = sub.add_parser("order", help="place a manual order (fills from the next bar)")
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--symbol", required=True)
    p.add_argument("--side", required=True, choices=["buy", "sell"])
    p.add_argument("--qty", type=float, required=True)
    p.add_argument("--type", default="market", choices=["market", "limit", "stop", "stop_limit"])
    p.add_argument("--limit", type=float, help="limit price (limit, stop_limit)")
    p.add_argument("--stop", type=float, help="stop price (stop, stop_limit)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_order)
    p = sub.add_parser("cancel", help="cancel an open manual order")
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--order", type=int, required=True, help="order id (see `paper orders`)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cancel)
    for action in ("pause", "resume", "stop", "reset", "delete"):
        p = sub.add_parser(action, help=f"{action} a deployment")
        p.add_argument("--id", type=int, required=True)
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=cmd_control)
