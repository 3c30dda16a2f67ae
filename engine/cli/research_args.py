"""Shared options of the research commands: bars from the database or a CSV, strategy params, costs, grids."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.data.providers.base import parse_date_option
from engine.errors import DataError, ParameterError

if TYPE_CHECKING:
    from engine.backtest import BacktestConfig
    from engine.strategies.base import Strategy

INTRADAY_SESSION_HOURS = 6.5  # equities: bars per session for annualising intraday figures
DEMO_SYMBOL = "DEMO"  # generated bars for commands that may run without data (lookahead)


def add_data_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    """--symbol | --csv, --interval, --start, --end, --raw (without --symbol/--csv: demo bars, if allowed)."""
    src = p.add_mutually_exclusive_group(required=required)
    src.add_argument("--symbol", help="a stored symbol, e.g. INFY.NS (fetch it first with `sync`)")
    src.add_argument("--csv", metavar="FILE", help="a CSV with Date, Open, High, Low, Close[, Adj Close, Volume]")
    p.add_argument("--interval", default="1d", help="bar interval (default 1d)")
    p.add_argument("--start", help="first date, YYYY-MM-DD")
    p.add_argument("--end", help="last date, inclusive, YYYY-MM-DD")
    p.add_argument("--raw", action="store_true", help="traded prices instead of split/dividend-adjusted ones")


def add_strategy_args(p: argparse.ArgumentParser) -> None:
    """--strategy and repeatable --param name=value."""
    p.add_argument("--strategy", required=True, help="strategy name (see `strategies`)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="strategy parameter, repeatable (e.g. --param fast=10 --param slow=30)")


def add_config_args(p: argparse.ArgumentParser) -> None:
    """Backtest settings: cash, costs, slippage, fill, sizing, shorts, annualisation."""
    p.add_argument("--cash", type=float, default=100_000.0, help="starting cash (default 100000)")
    p.add_argument("--commission", default="0",
                   help="costs: a fraction per order (0.001 = 0.1 %%), pct:0.1, flat:20, nse_delivery, nse_intraday")
    p.add_argument("--slippage-bps", type=float, default=0.0, help="slippage in basis points (default 0)")
    p.add_argument("--fill", default="next_open", choices=["next_open", "close"], help="when signals fill")
    p.add_argument("--sizing", default="pct_equity:95",
                   help="MODE:VALUE with MODE pct_equity, fixed_amount, fixed_qty or risk_pct (default pct_equity:95)")
    p.add_argument("--allow-short", action="store_true", help="let the backtester take short signals")
    p.add_argument("--periods-per-year", type=int,
                   help="bars per year for annualising (default: 252 for stocks, 365 for crypto, scaled by interval)")
    p.add_argument("--rf", type=float, default=0.0, help="annual risk-free rate as a decimal (default 0)")


def add_grid_args(p: argparse.ArgumentParser) -> None:
    """--grid name=lo:hi:step | name=v1,v2 and --param-range name."""
    p.add_argument("--grid", action="append", default=[], metavar="NAME=LO:HI:STEP",
                   help="values to sweep, repeatable: fast=5:50:5 (inclusive) or fast=5,10,20")
    p.add_argument("--param-range", action="append", default=[], metavar="NAME",
                   help="sweep NAME over its declared range (see `strategies`), repeatable")
    p.add_argument("--method", default="grid", choices=["grid", "random"])
    p.add_argument("--samples", type=int, default=200, help="combinations to draw with --method random")
    p.add_argument("--seed", type=int, default=0, help="random seed for --method random")
    p.add_argument("--objective", default="sharpe", help="metric to maximise (default sharpe)")
    p.add_argument("--jobs", type=int, help="worker processes (default: all cores; 1 = no workers)")


def parse_pairs(items: list[str], flag: str = "--param") -> dict[str, str]:
    """["fast=10", ...] -> {"fast": "10"}; raises ParameterError for an item without a name and value."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ParameterError(f"{flag} expects NAME=VALUE (e.g. fast=10), got {item!r}")
        out[name.strip()] = value.strip()
    return out


def parse_grid(item: str) -> tuple[str, list[Any]]:
    """"fast=5:50:5" -> ("fast", [5, 10, …, 50]) (inclusive); "fast=5,10" -> ("fast", ["5", "10"])."""
    name, text = next(iter(parse_pairs([item], "--grid").items()))
    if ":" not in text:
        return name, [v.strip() for v in text.split(",") if v.strip()]
    parts = text.split(":")
    try:
        lo, hi, step = (float(v) for v in parts) if len(parts) == 3 else (float("nan"),) * 3
    except ValueError:
        lo = hi = step = float("nan")
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(step)) or step <= 0 or hi < lo:
        raise ParameterError(f"--grid expects NAME=LOW:HIGH:STEP with LOW <= HIGH and STEP > 0, got {item!r}")
    count = int(math.floor((hi - lo) / step + 1e-9)) + 1
    values = [round(lo + k * step, 10) for k in range(count)]
    return name, [int(v) if float(v).is_integer() else v for v in values]


def build_config(args: argparse.Namespace, params: dict[str, Any], symbol: str | None) -> BacktestConfig:
    """BacktestConfig from the command line; raises ParameterError/BacktestError for bad values."""
    from engine.backtest import BacktestConfig

    mode, sep, value = str(args.sizing).partition(":")
    try:
        size_value = float(value)
    except ValueError:
        raise ParameterError(f"--sizing expects MODE:VALUE such as pct_equity:95, got {args.sizing!r}") from None
    if not sep:
        raise ParameterError(f"--sizing expects MODE:VALUE such as pct_equity:95, got {args.sizing!r}")
    wants_short = str(params.get("allow_short", "")).strip().lower() in {"1", "true", "yes"}
    return BacktestConfig(
        cash=args.cash, costs=args.commission, slippage_bps=args.slippage_bps, fill=args.fill, sizing=mode.strip(),
        size_value=size_value, allow_short=bool(args.allow_short or wants_short),
        periods_per_year=args.periods_per_year or default_periods_per_year(symbol, args.interval), rf=args.rf,
    )


def default_periods_per_year(symbol: str | None, interval: str) -> int:
    """252 (stocks) or 365 (crypto) per year for daily bars, 52 weekly, scaled by bars per day intraday."""
    from engine.data.providers.base import INTERVALS
    from engine.metrics import periods_per_year_for

    base = periods_per_year_for(symbol or "equity")
    if interval == "1d":
        return base
    if interval == "1wk":
        return 52
    hours = 24.0 if base == 365 else INTRADAY_SESSION_HOURS
    return int(base * math.ceil(pd.Timedelta(hours=hours) / INTERVALS[interval]))


def load_cli_bars(args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    """(bars, label) for --symbol (database) or --csv; raises DataError with the fix."""
    from engine.data.providers.base import check_interval

    check_interval(args.interval)
    start, end = parse_date_option(args.start, "--start"), parse_date_option(args.end, "--end")
    if not args.symbol and not args.csv:
        from engine.data.providers.demo import generate_demo_bars

        demo = generate_demo_bars(DEMO_SYMBOL, args.interval, start or "2015-01-01", end or "2020-01-01",
                                  now=pd.Timestamp("2020-01-01", tz="UTC"))
        return demo, f"demo bars ({DEMO_SYMBOL})"
    if args.symbol:
        from engine.cli.data_cmd import open_db
        from engine.data.instruments import normalise_symbol
        from engine.data.sync import load_bars

        symbol = normalise_symbol(args.symbol)
        last = None if end is None else end + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")  # whole --end day
        return load_bars(open_db(), symbol, args.interval, start, last, adjusted=not args.raw), symbol
    from engine.data.providers.csv_provider import parse_csv

    bars, problems = parse_csv(args.csv, None, args.interval)
    if problems and not getattr(args, "json", False):
        sys.stderr.write(f"note: {len(problems)} CSV rows skipped or repaired, e.g. {problems[0]}\n")
    keep = pd.Series(True, index=bars.index)
    if start is not None:
        keep &= bars.index >= start
    if end is not None:
        keep &= bars.index < end + pd.Timedelta(days=1)  # --end is inclusive
    bars = bars[keep.to_numpy()]
    if bars.empty:
        raise DataError(f"{args.csv} has no bars between {args.start or 'the start'} and {args.end or 'the end'}")
    if not args.raw:
        factor = bars["adj_close"] / bars["close"]
        bars = bars.assign(**{c: bars[c] * factor for c in ("open", "high", "low", "close")})
    return bars, str(args.csv)




def make_cli_strategy(name: str, params: dict[str, str]) -> Strategy:
    """The strategy with the given text params; StrategyError ("did you mean") / ParameterError."""
    from engine.strategies import make_strategy

    return make_strategy(name, **params)


def json_safe(value: Any) -> Any:
    """`value` with NaN/inf as None, Timestamps as ISO text and numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-safe dicts."""
    return [json_safe(row) for row in frame.to_dict(orient="records")]
