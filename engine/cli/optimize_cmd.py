"""Optimiser command: `optimize` — weights, expected return/volatility/Sharpe, lot allocation, frontier points."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from engine.__main__ import emit
from engine.cli.research_args import json_safe, parse_pairs, records
from engine.data.providers.base import parse_date_option
from engine.errors import OptimizationError
from engine.money import format_money
from engine.optimizer import (
    ALLOCATION_METHODS,
    OBJECTIVES,
    RETURN_METHODS,
    RISK_METHODS,
    BlackLittermanSpec,
    Constraints,
    OptimizeSpec,
    allocate_lots,
    efficient_frontier,
    optimise,
    parse_view,
)
from engine.optimizer.universe import Universe, load_benchmark, load_universe, parse_symbols


def _float_pairs(items: list[str], flag: str) -> dict[str, float]:
    out = {}
    for name, value in parse_pairs(items, flag).items():
        try:
            out[name] = float(value)
        except ValueError:
            raise OptimizationError(f"{flag} expects NAME=NUMBER, got {name}={value!r}") from None
    return out


def _spec(args: argparse.Namespace, universe: Universe) -> OptimizeSpec:
    caps = _float_pairs(args.sector_cap, "--sector-cap")
    unknown = sorted(set(caps) - set(universe.sectors.values()))
    if unknown:
        raise OptimizationError(f"no chosen symbol is in sector {', '.join(unknown)}; sectors here: "
                                f"{', '.join(sorted(set(universe.sectors.values())))}")
    bl = None
    if args.view or args.market_cap or args.delta is not None:
        bl = BlackLittermanSpec(views=tuple(parse_view(v) for v in args.view),
                                market_caps={k.upper(): v for k, v in _float_pairs(args.market_cap,
                                                                                   "--market-cap").items()} or None,
                                risk_aversion=args.delta, tau=args.tau)
    return OptimizeSpec(
        objective=args.objective, returns_method=args.returns, risk_method=args.risk, risk_free_rate=args.rf,
        target_volatility=args.target_vol, target_return=args.target_return, risk_aversion=args.risk_aversion,
        constraints=Constraints(args.min_weight, args.max_weight, universe.sectors, caps, args.l2_gamma),
        black_litterman=bl)


def cmd_optimize(args: argparse.Namespace) -> int:
    from engine.cli.data_cmd import open_db

    db = open_db()
    symbols = parse_symbols(args.symbols)
    start, end = parse_date_option(args.start, "--start"), parse_date_option(args.end, "--end")
    last = None if end is None else end + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")  # whole --end day
    universe = load_universe(db, symbols, start, last)
    benchmark = load_benchmark(db, args.benchmark, start, last) if args.benchmark else None
    spec = _spec(args, universe)
    result = optimise(universe.prices, spec, benchmark=benchmark)
    prices = universe.prices
    payload: dict[str, Any] = {"symbols": symbols, "bars": len(prices), "start": prices.index[0].date().isoformat(),
                               "end": prices.index[-1].date().isoformat(), **result.as_dict(),
                               "expected_returns": result.expected_returns.to_dict()}
    lines = [f"{result.method}", f"{len(prices)} daily bars {payload['start']} → {payload['end']}",
             *[f"  {s:<14} {w:7.2%}" for s, w in result.held().items()],
             f"expected return {result.expected_return:.2%}  volatility {result.volatility:.2%}  "
             f"Sharpe {result.sharpe:.2f}  (annual, status {result.status})"]
    if args.cash:
        currency = universe.currency()
        alloc = allocate_lots(result.weights, universe.latest, args.cash, universe.lot_sizes, method=args.allocation)
        payload["allocation"] = {**alloc.as_dict(), "currency": currency}
        money = lambda v: format_money(v, currency)  # noqa: E731
        lines += [f"allocation of {money(args.cash)} ({alloc.method}):",
                  *[f"  {r.symbol:<14} {r.quantity:>8,} ({r.lots} × lot {r.lot_size}) @ {money(r.price)} = "
                    f"{money(r.value)}" for r in alloc.table().itertuples() if r.quantity],
                  f"  leftover cash {money(alloc.leftover)}"]
    if args.frontier:
        front = efficient_frontier(result.expected_returns, result.cov, spec.constraints, n_points=args.frontier,
                                   risk_free_rate=args.rf)
        payload["frontier"] = records(front.curve)
        lines.append(f"frontier: {len(front.curve)} points, min volatility {front.min_volatility.volatility:.2%}")
    lines += [f"note: {n}" for n in result.notes]
    emit(json_safe(payload), args.json, "\n".join(lines))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `optimize` to the CLI."""
    p = subparsers.add_parser("optimize", help="optimise portfolio weights over stored daily closes")
    p.add_argument("--symbols", required=True, help="comma-separated stored symbols, e.g. RELIANCE.NS,TCS.NS,INFY.NS")
    p.add_argument("--objective", default="max_sharpe", choices=list(OBJECTIVES))
    p.add_argument("--returns", default="mean", choices=list(RETURN_METHODS), help="expected-return estimate")
    p.add_argument("--risk", default="ledoit_wolf", choices=list(RISK_METHODS), help="covariance estimate")
    p.add_argument("--min-weight", type=float, default=0.0, help="smallest weight per symbol, 0.05 = 5%% (default 0)")
    p.add_argument("--max-weight", type=float, default=1.0, help="largest weight per symbol, 0.4 = 40%% (default 1)")
    p.add_argument("--sector-cap", action="append", default=[], metavar="SECTOR=CAP",
                   help="cap a sector's total weight, repeatable: --sector-cap 'Financial Services=0.4'")
    p.add_argument("--l2-gamma", type=float, default=0.0, help="L2 regularisation; > 0 spreads weights (default 0)")
    p.add_argument("--target-vol", type=float, help="annual volatility for efficient_risk, 0.18 = 18%%")
    p.add_argument("--target-return", type=float, help="annual return for efficient_return, 0.15 = 15%%")
    p.add_argument("--risk-aversion", type=float, default=1.0, help="for max_quadratic_utility (default 1)")
    p.add_argument("--rf", type=float, default=0.0, help="annual risk-free rate as a decimal (default 0)")
    p.add_argument("--benchmark", help="stored index for CAPM returns and Black-Litterman delta, e.g. ^NSEI")
    p.add_argument("--view", action="append", default=[], metavar="VIEW",
                   help="Black-Litterman view, repeatable: TCS.NS=0.10@0.6 or INFY.NS>TCS.NS=0.02@0.5")
    p.add_argument("--market-cap", action="append", default=[], metavar="SYMBOL=CAP",
                   help="market cap per symbol for the Black-Litterman prior (default: equal)")
    p.add_argument("--delta", type=float, help="Black-Litterman risk aversion (default: from --benchmark, else 2.5)")
    p.add_argument("--tau", type=float, default=0.05, help="Black-Litterman tau (default 0.05)")
    p.add_argument("--cash", type=float, help="also allocate this much cash in whole lots")
    p.add_argument("--allocation", default="lp", choices=list(ALLOCATION_METHODS), help="lot allocation method")
    p.add_argument("--frontier", type=int, metavar="N", help="also compute N efficient-frontier points")
    p.add_argument("--start", help="first date, YYYY-MM-DD")
    p.add_argument("--end", help="last date, inclusive, YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_optimize)
