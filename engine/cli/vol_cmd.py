"""Volatility command: `vol` — five estimators, the vol regime and an optional GARCH(1,1) forecast of a stored symbol."""

from __future__ import annotations

import argparse
from typing import Any

from engine.__main__ import emit
from engine.errors import DataError

REGIME_LOOKBACK, REGIME_MIN_HISTORY = 756, 126  # as on the Risk page: three years of daily vols, at least six months
FORECAST_DAYS = (1, 5, 10, 20, 60, 120, 250)  # horizons printed in the text output


def _regime(close_to_close: Any) -> tuple[dict[str, Any] | None, str | None]:  # noqa: ANN401 - a pandas Series
    from engine.volatility import vol_regime

    try:
        regime = vol_regime(close_to_close, lookback=REGIME_LOOKBACK, min_history=REGIME_MIN_HISTORY)
    except DataError as exc:
        return None, str(exc)
    return {"label": regime.current, "percentile": regime.current_percentile, "vol": regime.current_vol,
            "lookback": REGIME_LOOKBACK, "based_on": "close_to_close"}, None


def _text(payload: dict[str, Any]) -> str:
    from engine.volatility import ESTIMATORS

    lines = [f"{payload['symbol']} · {payload['window']}-bar volatility, annualised (×√{payload['periods_per_year']}), "
             f"{'adjusted' if payload['adjusted'] else 'traded'} daily bars {payload['first']} to {payload['last']}"]
    lines += [f"{label:<16} {payload['current'][name] * 100:6.2f}%" for name, label in ESTIMATORS.items()]
    regime = payload["regime"]
    lines.append(f"{'regime':<16} " + (f"{regime['label']} ({regime['percentile'] * 100:.0f}th percentile of "
                                        f"the last {regime['lookback']} close-to-close vols)" if regime
                                       else f"— ({payload['regime_note']})"))
    garch = payload.get("garch")
    if garch:
        long_run = "—" if garch["long_run_vol"] is None else f"{garch['long_run_vol'] * 100:.2f}%"
        lines.append(f"{'GARCH(1,1)':<16} alpha {garch['alpha']:.4f}, beta {garch['beta']:.4f}, persistence "
                     f"{garch['persistence']:.4f}, long-run {long_run}, now {garch['current_vol'] * 100:.2f}%")
        points = [f"{p['h']}d {p['term'] * 100:.2f}%" for p in garch["forecast"] if p["h"] in FORECAST_DAYS]
        lines.append(f"{'vol over next':<16} " + ", ".join(points))
    return "\n".join(lines)


def cmd_vol(args: argparse.Namespace) -> int:
    from engine.cli.data_cmd import open_db
    from engine.data.instruments import instrument_for, normalise_symbol
    from engine.data.sync import load_bars
    from engine.volatility import CONVENTIONS, ESTIMATORS, fit_garch, log_returns, volatility_table

    symbol = normalise_symbol(args.symbol)
    periods_per_year = args.periods_per_year or instrument_for(symbol).periods_per_year
    bars = load_bars(open_db(), symbol, "1d", adjusted=not args.raw)
    table = volatility_table(bars, args.window, periods_per_year)
    regime, regime_note = _regime(table["close_to_close"])
    payload: dict[str, Any] = {
        "symbol": symbol, "interval": "1d", "adjusted": not args.raw, "bars": len(bars),
        "first": bars.index[0].date().isoformat(), "last": bars.index[-1].date().isoformat(),
        "window": args.window, "periods_per_year": periods_per_year, "conventions": CONVENTIONS,
        "current": {name: float(table[name].iloc[-1]) for name in ESTIMATORS},
        "regime": regime, "regime_note": regime_note,
    }
    if args.garch:
        fit = fit_garch(log_returns(bars), periods_per_year=periods_per_year, horizon=args.horizon)
        payload["garch"] = fit.as_dict()
    emit(payload, args.json, _text(payload))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `vol` to the CLI."""
    p = subparsers.add_parser("vol", help="volatility of a stored symbol: estimators, regime, GARCH(1,1) forecast")
    p.add_argument("--symbol", required=True, help="a stored symbol, e.g. RELIANCE.NS (fetch it first with `sync`)")
    p.add_argument("--window", type=int, default=20, help="rolling window in daily bars (default 20)")
    p.add_argument("--garch", action="store_true", help="also fit GARCH(1,1) and forecast volatility")
    p.add_argument("--horizon", type=int, default=60, help="GARCH forecast horizon in days (default 60)")
    p.add_argument("--periods-per-year", type=int,
                   help="annualisation factor (default: 252 for equities and indices, 365 for crypto)")
    p.add_argument("--raw", action="store_true", help="traded prices instead of split/dividend-adjusted ones")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_vol)
