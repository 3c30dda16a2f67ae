"""Options commands: `options price` (price and Greeks), `options iv` (implied vol), `options chain` (Yahoo)."""

from __future__ import annotations

import argparse
import math
from typing import Any

from engine.__main__ import emit
from engine.errors import DataError
from engine.options import bsm_greeks, implied_vol, years_from_days
from engine.options import chain as option_chain

# Largest plausible decimal for each input; above it the value was surely typed as a percent (7 for 7 %).
DECIMAL_LIMITS = {"rate": 1.0, "vol": 5.0, "div": 1.0}


def decimal(name: str, value: float) -> float:
    """`value` as an annualised decimal; DataError when it looks like a percent ("rate 7 … pass 0.07")."""
    if not math.isfinite(value):
        raise DataError(f"{name} must be a finite number (got {value})")
    if abs(value) > DECIMAL_LIMITS[name]:
        raise DataError(f"{name} {value:g} looks like a percent; pass {value / 100:g}")
    return value


def _terms(args: argparse.Namespace) -> dict[str, Any]:
    return {"type": args.type, "spot": args.spot, "strike": args.strike, "days": args.days,
            "years": years_from_days(args.days), "rate": decimal("rate", args.rate), "div": decimal("div", args.div)}


def _greeks_text(g: dict[str, Any]) -> str:
    return (f"price {g['price']:.4f} · delta {g['delta']:.4f} · gamma {g['gamma']:.4f} · theta/day "
            f"{g['theta_per_day']:.4f} · vega/1% {g['vega_pct']:.4f} · rho/1% {g['rho_pct']:.4f}")


def cmd_price(args: argparse.Namespace) -> int:
    terms = _terms(args)
    vol = decimal("vol", args.vol)
    greeks = bsm_greeks(args.spot, args.strike, terms["years"], terms["rate"], vol, terms["div"], args.type)
    payload = {**terms, "vol": vol, **greeks.as_dict()}
    emit(payload, args.json, f"{args.type} {args.strike:g} on {args.spot:g}, {args.days:g} days, vol {vol:.2%}: "
                             + _greeks_text(payload))
    return 0


def cmd_iv(args: argparse.Namespace) -> int:
    terms = _terms(args)
    vol = implied_vol(args.price, args.spot, args.strike, terms["years"], terms["rate"], terms["div"], args.type)
    greeks = bsm_greeks(args.spot, args.strike, terms["years"], terms["rate"], vol, terms["div"], args.type)
    payload = {**terms, "price": args.price, "iv": vol, "greeks": greeks.as_dict()}
    emit(payload, args.json, f"{args.type} {args.strike:g} on {args.spot:g}, {args.days:g} days at {args.price:g}: "
                             f"implied vol {vol:.2%}")
    return 0


def _records(df: Any, model: bool) -> list[dict[str, Any]]:
    cols = ["strike", "bid", "ask", "mid", "last", "volume", "open_interest", "iv"] + (["model_iv"] if model else [])
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
            for row in df[cols].to_dict("records")]


def cmd_chain(args: argparse.Namespace) -> int:
    chain = option_chain.load_chain(args.symbol, args.expiry)
    model = args.rate is not None
    if model:
        chain = option_chain.with_model_iv(chain, decimal("rate", args.rate), decimal("div", args.div))
    summary = option_chain.chain_summary(chain)
    payload = {**summary, "calls": _records(chain.calls, model), "puts": _records(chain.puts, model)}
    fmt = lambda v, spec: "—" if v is None else format(v, spec)  # noqa: E731
    text = (f"{chain.symbol} options expiring {chain.expiry} (spot {fmt(chain.spot, ',.2f')} {chain.currency}): "
            f"{summary['calls']} calls, {summary['puts']} puts · put-call ratio OI {fmt(summary['pcr_open_interest'], '.2f')}"
            f", volume {fmt(summary['pcr_volume'], '.2f')} · max pain {fmt(summary['max_pain'], ',.2f')}\n"
            f"expiries: {', '.join(chain.expiries)}")
    emit(payload, args.json, text)
    return 0


def _contract_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spot", type=float, required=True, help="underlying price")
    p.add_argument("--strike", type=float, required=True, help="strike price")
    p.add_argument("--days", type=float, required=True, help="calendar days to expiry (years = days / 365)")
    p.add_argument("--rate", type=float, required=True, help="risk-free rate, annualised decimal: 0.07 = 7%%")
    p.add_argument("--div", type=float, default=0.0, help="continuous dividend yield, decimal (default 0)")
    p.add_argument("--type", default="call", choices=["call", "put"], help="option type (default call)")
    p.add_argument("--json", action="store_true", help="print JSON")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `options price|iv|chain` to the CLI."""
    options = subparsers.add_parser("options", help="options: Black-Scholes-Merton price, Greeks, implied vol, chains")
    sub = options.add_subparsers(dest="options_command", required=True, parser_class=type(options))
    p = sub.add_parser("price", help="price and Greeks of a European option (Black-Scholes-Merton)")
    _contract_args(p)
    p.add_argument("--vol", type=float, required=True, help="volatility, annualised decimal: 0.2 = 20%%")
    p.set_defaults(func=cmd_price)
    p = sub.add_parser("iv", help="implied volatility of an option price")
    _contract_args(p)
    p.add_argument("--price", type=float, required=True, help="the option's market price")
    p.set_defaults(func=cmd_iv)
    p = sub.add_parser("chain", help="an option chain from Yahoo Finance: PCR, max pain, IV by strike")
    p.add_argument("--symbol", required=True, help="US-listed symbol, e.g. AAPL (Yahoo has no NSE chains)")
    p.add_argument("--expiry", help="expiry date YYYY-MM-DD (default: the nearest)")
    p.add_argument("--rate", type=float, help="risk-free rate (decimal): also recompute IV from mid prices")
    p.add_argument("--div", type=float, default=0.0, help="dividend yield (decimal) for the recomputed IV")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_chain)
