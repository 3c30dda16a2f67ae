"""Research commands: `backtest`, `sweep`, `walkforward`, `lookahead`, `strategies` (JSON with --json)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from engine.__main__ import emit
from engine.cli.research_args import (
    add_config_args,
    add_data_args,
    add_grid_args,
    add_strategy_args,
    build_config,
    json_safe,
    load_cli_bars,
    make_cli_strategy,
    parse_grid,
    parse_pairs,
    records,
)
from engine.errors import ParameterError

STAT_LINES = ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "win_rate", "profit_factor", "n_trades",
              "final_equity", "exposure")


def _load_plugins(args: argparse.Namespace) -> None:
    """Register the user's plugin strategies; a broken plugin is a note, not a failure."""
    from engine.config import get_settings
    from engine.strategies import load_plugins

    for problem in load_plugins(get_settings().strategies_dir):
        if not getattr(args, "json", False):
            sys.stderr.write(f"note: plugin {problem}\n")


def _stats_text(stats: dict[str, Any]) -> list[str]:
    return [f"{k:<16} {v:.6g}" if isinstance(v, float) else f"{k:<16} {v}" for k, v in stats.items()
            if k in STAT_LINES]


def cmd_backtest(args: argparse.Namespace) -> int:
    from engine.backtest import run_backtest

    _load_plugins(args)
    params = parse_pairs(args.param)
    strategy = make_cli_strategy(args.strategy, params)
    bars, label = load_cli_bars(args)
    config = build_config(args, strategy.p, args.symbol)
    result = run_backtest(bars, strategy, config, symbol=args.symbol or "asset")
    trades = result.trades.assign(entry_time=result.trades["entry_time"].map(str),
                                  exit_time=result.trades["exit_time"].map(str))
    payload = {"strategy": strategy.name, "params": strategy.p, "data": label, "bars": len(bars),
               "config": config.to_dict(), "stats": json_safe(result.stats), "trades": records(trades)}
    text = [f"{strategy.name} {strategy.p} on {label}: {len(bars)} bars", *_stats_text(result.stats)]
    emit(json_safe(payload), args.json, "\n".join(text))
    return 0


def _space(args: argparse.Namespace, strategy_name: str) -> dict[str, list]:
    """The sweep space from --grid / --param-range / --param (fixed values)."""
    from engine.backtest.sweep import param_space
    from engine.strategies import get_strategy

    cls = get_strategy(strategy_name)
    grids = dict(parse_grid(item) for item in args.grid)
    if not grids and not args.param_range:
        raise ParameterError("choose what to sweep: --grid fast=5:50:5 (repeatable) or --param-range fast")
    fixed = {k: [v] for k, v in parse_pairs(args.param).items()}
    space = param_space(cls, {**fixed, **grids}, vary=args.param_range)
    chosen = set(grids) | set(args.param_range) | set(fixed)
    return {k: v for k, v in space.items() if k in chosen}


def _progress(args: argparse.Namespace):  # noqa: ANN202 - a small callback or None
    if args.json or not sys.stderr.isatty():
        return None
    return lambda done, total: sys.stderr.write(f"\r{done}/{total} combinations" + ("\n" if done == total else ""))


def _sweep_config(args: argparse.Namespace, space: dict[str, list]):  # noqa: ANN202
    wants_short = any(str(v).lower() in {"1", "true", "yes"} for v in space.get("allow_short", []))
    return build_config(args, {"allow_short": wants_short}, args.symbol)


def cmd_sweep(args: argparse.Namespace) -> int:
    from engine.backtest.sweep import run_sweep

    _load_plugins(args)
    space = _space(args, args.strategy)
    bars, label = load_cli_bars(args)
    result = run_sweep(bars, args.strategy, space, _sweep_config(args, space), method=args.method,
                       n_samples=args.samples, seed=args.seed, objective=args.objective, progress=_progress(args),
                       n_jobs=args.jobs)
    top = result.top(args.top)
    payload = {"strategy": args.strategy, "data": label, "bars": len(bars), "objective": result.objective,
               "method": result.method, "best_params": result.best_params, "best_value": result.best_value,
               "evaluated": len(result.table), "skipped": result.skipped, "elapsed_s": round(result.elapsed_s, 3),
               "top": records(top)}
    text = [f"{args.strategy} on {label}: {len(result.table)} combinations ({result.skipped} skipped) "
            f"in {result.elapsed_s:.1f}s; best {result.objective} {result.best_value:.4g} with {result.best_params}",
            top.to_string(index=False)]
    emit(json_safe(payload), args.json, "\n".join(text))
    return 0


def cmd_walkforward(args: argparse.Namespace) -> int:
    from engine.backtest.walkforward import run_walkforward

    _load_plugins(args)
    space = _space(args, args.strategy)
    bars, label = load_cli_bars(args)
    result = run_walkforward(bars, args.strategy, space, _sweep_config(args, space), n_windows=args.windows,
                             train_bars=args.train_bars, test_bars=args.test_bars, anchored=args.anchored,
                             objective=args.objective, method=args.method, n_samples=args.samples, seed=args.seed,
                             progress=_progress(args), n_jobs=args.jobs)
    windows = result.windows.copy()
    daily = (bars.index == bars.index.normalize()).all()
    for col in ("train_start", "train_end", "test_start", "test_end"):
        windows[col] = windows[col].map(lambda ts: ts.date().isoformat() if daily else ts.isoformat())
    payload = {"strategy": args.strategy, "data": label, "objective": result.objective, "anchored": result.anchored,
               "efficiency": result.efficiency, "windows": records(windows), "stats": json_safe(result.stats)}
    text = [windows.to_string(index=False), f"efficiency (OOS/IS {result.objective}) {result.efficiency:.3g}",
            *_stats_text(result.stats)]
    emit(json_safe(payload), args.json, "\n".join(text))
    return 0


def cmd_lookahead(args: argparse.Namespace) -> int:
    from engine.backtest.lookahead import check_lookahead

    _load_plugins(args)
    strategy = make_cli_strategy(args.strategy, parse_pairs(args.param))
    bars, label = load_cli_bars(args)
    report = check_lookahead(strategy, bars, n_checks=args.checks)
    payload = {"strategy": strategy.name, "params": strategy.p, "data": label, "passed": report.passed,
               "checked": report.checked, "violations": report.violations}
    verdict = "passed" if report.passed else f"FAILED: {len(report.violations)} look-ahead violations"
    text = [f"{strategy.name} on {label}: {report.checked} truncations checked, {verdict}",
            *[f"  {v['message']}" for v in report.violations[:10]]]
    emit(json_safe(payload), args.json, "\n".join(text))
    return 0 if report.passed else 1


def _describe(cls: type) -> dict[str, Any]:
    from engine.strategies import origin

    params = [{"name": p.name, "type": p.type.__name__, "default": p.default, "low": p.low, "high": p.high,
               "step": p.step, "choices": None if p.choices is None else list(p.choices), "help": p.help}
              for p in cls.params]
    return {"name": cls.name, "title": cls.title, "description": cls.description, "origin": origin(cls),
            "params": params}


def cmd_strategies(args: argparse.Namespace) -> int:
    from engine.strategies import list_strategies

    _load_plugins(args)
    items = [_describe(cls) for cls in list_strategies()]
    lines = []
    for item in items:
        lines.append(f"{item['name']:<22} {item['title']}" + ("" if item["origin"] == "built-in" else
                                                             f"  [{item['origin']}]"))
        for p in item["params"]:
            span = f" {p['low']}..{p['high']} step {p['step']}" if p["low"] is not None else ""
            span = f" one of {p['choices']}" if p["choices"] else span
            lines.append(f"    {p['name']:<16} {p['type']:<5} default {p['default']!s:<6}{span}  {p['help']}")
    emit(json_safe(items), args.json, "\n".join(lines))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `backtest`, `sweep`, `walkforward`, `lookahead` and `strategies` to the CLI."""
    p = subparsers.add_parser("backtest", help="backtest one strategy on one symbol or CSV")
    for add in (add_data_args, add_strategy_args, add_config_args):
        add(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_backtest)

    p = subparsers.add_parser("sweep", help="grid or random search over strategy parameters")
    for add in (add_data_args, add_strategy_args, add_config_args, add_grid_args):
        add(p)
    p.add_argument("--top", type=int, default=10, help="rows of the ranking to show (default 10)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sweep)

    p = subparsers.add_parser("walkforward", help="optimise in-sample, test out-of-sample, window by window")
    for add in (add_data_args, add_strategy_args, add_config_args, add_grid_args):
        add(p)
    p.add_argument("--windows", type=int, default=5, help="number of out-of-sample windows (default 5)")
    p.add_argument("--train-bars", type=int, help="bars per training window (default: 4x the test window)")
    p.add_argument("--test-bars", type=int, help="bars per test window (default: derived from the data)")
    p.add_argument("--anchored", action="store_true", help="training windows all start at the first bar")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_walkforward)

    p = subparsers.add_parser("lookahead", help="check that a strategy's signals never use future bars")
    add_data_args(p, required=False)  # without --symbol/--csv: deterministic demo bars
    add_strategy_args(p)
    p.add_argument("--checks", type=int, default=20, help="history truncations to compare (default 20)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lookahead)

    p = subparsers.add_parser("strategies", help="list strategies and their parameters")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_strategies)
