"""Charges command: `costs` — NSE/BSE charges, net P&L and breakeven of a buy/sell round trip (no database)."""

from __future__ import annotations

import argparse
from datetime import date

from engine.__main__ import emit
from engine.charges import (
    COMPONENT_LABELS,
    COMPONENTS,
    SEGMENTS,
    Brokerage,
    ChargesError,
    TradeCharges,
    trade_charges,
)
from engine.money import format_money


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-01") from None


def brokerage_from_args(args: argparse.Namespace) -> Brokerage | None:
    """The brokerage the flags describe (percent flags in percent), or None for the segment's default."""
    if args.brokerage_flat is None and args.brokerage_pct is None and args.brokerage_cap is None:
        return None
    pct = args.brokerage_pct
    if pct is not None and not 0 <= pct < 10:
        raise ChargesError(f"--brokerage-pct is a percent of order value in [0, 10), e.g. 0.03 for 0.03 %, got {pct:g}")
    if args.brokerage_cap is not None and pct is None:
        raise ChargesError("--brokerage-cap needs --brokerage-pct (a percent brokerage capped per order)")
    return Brokerage(flat=args.brokerage_flat, pct=None if pct is None else pct / 100, cap=args.brokerage_cap)


def quantity_from_args(args: argparse.Namespace) -> int:
    """Units traded: --qty, or --lots × --lot-size for F&O."""
    if (args.qty is None) == (args.lots is None):
        raise ChargesError("give either --qty (shares or units) or --lots with --lot-size")
    if args.lots is not None:
        if args.lot_size is None or args.lot_size < 1:
            raise ChargesError("--lots needs --lot-size, the units per lot (e.g. 75 for NIFTY)")
        return args.lots * args.lot_size
    return args.qty


def render(t: TradeCharges) -> str:
    """Human text: one line per component, then total, P&L and breakeven, money with Indian grouping."""
    lines = [f"{t.exchange} {t.segment} · {t.qty:g} bought at {format_money(t.buy_price)}, sold at "
             f"{format_money(t.sell_price)} · brokerage {t.brokerage} · rates effective {t.effective}"]
    rows = [(COMPONENT_LABELS[c], format_money(t.components[c])) for c in COMPONENTS
            if t.components[c] or c not in ("ipft", "dp")]
    rows += [("Total charges", format_money(t.total)), ("Gross P&L", format_money(t.gross_pnl)),
             ("Net P&L", format_money(t.net_pnl)), ("Points to breakeven", f"{t.points_to_breakeven:,.2f}")]
    width = max(len(label) for label, _ in rows)
    lines += [f"  {label:<{width}}  {value:>14}" for label, value in rows]
    lines.append(f"  Breakeven: sell at {format_money(t.breakeven_sell)} or higher after buying at "
                 f"{format_money(t.buy_price)}; buy back at {format_money(t.breakeven_buy)} or lower after "
                 f"shorting at {format_money(t.sell_price)}")
    return "\n".join(lines)


def cmd_costs(args: argparse.Namespace) -> int:
    result = trade_charges(args.buy, args.sell, quantity_from_args(args), args.segment, args.exchange,
                           brokerage_from_args(args), args.as_of, args.schedule, args.dp_charge)
    emit({**result.as_dict(), "currency": "INR"}, args.json, render(result))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `costs` to the CLI."""
    p = subparsers.add_parser("costs", help="NSE/BSE charges, net P&L and breakeven of a round trip")
    p.add_argument("--segment", default="delivery", help=f"one of {', '.join(SEGMENTS)} (default delivery)")
    p.add_argument("--exchange", default="NSE", help="NSE or BSE (default NSE)")
    p.add_argument("--buy", type=float, required=True, help="buy price in rupees (options: the premium)")
    p.add_argument("--sell", type=float, required=True, help="sell price in rupees (options: the premium)")
    p.add_argument("--qty", type=int, help="shares or units traded")
    p.add_argument("--lots", type=int, help="F&O lots traded (with --lot-size), instead of --qty")
    p.add_argument("--lot-size", type=int, help="units per lot, e.g. 75 for NIFTY")
    p.add_argument("--brokerage-flat", type=float, help="rupees per order (with --brokerage-pct: the lower of the two)")
    p.add_argument("--brokerage-pct", type=float, help="percent of order value per order, 0.03 = 0.03%%")
    p.add_argument("--brokerage-cap", type=float, help="most brokerage per order in rupees (percent brokerage)")
    p.add_argument("--dp-charge", type=float, help="DP charge per scrip per sell day, before GST (delivery; "
                                                   "default: the schedule's)")
    p.add_argument("--as-of", type=_date, help="use the rates in force on this date (default today)")
    p.add_argument("--schedule", help="a charges schedule TOML file (default: the bundled one)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_costs)
