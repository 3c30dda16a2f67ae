"""Risk commands: `risk size` — a position-size calculator (no database needed)."""

from __future__ import annotations

import argparse

from engine.__main__ import emit
from engine.data.instruments import instrument_for
from engine.money import format_money
from engine.risk.sizing import SIZING_METHODS, position_size


def cmd_size(args: argparse.Namespace) -> int:
    meta = instrument_for(args.symbol)
    result = position_size(
        args.method, capital=args.capital, price=args.entry, stop=args.stop, risk_pct=args.risk_pct,
        amount=args.amount, qty=args.qty, equity_pct=args.equity_pct, win_rate=args.win_rate,
        payoff=args.payoff, kelly_cap=args.kelly_cap, atr=args.atr, atr_mult=args.atr_mult,
        target_vol=args.target_vol, realised_vol=args.realised_vol,
        lot_size=args.lot_size or meta.lot_size, side=args.side, max_leverage=args.max_leverage,
    )
    payload = {"symbol": meta.symbol, "currency": meta.currency, "side": args.side, "entry": args.entry,
               "stop": args.stop, "capital": args.capital, **result.as_dict()}
    money = lambda v: format_money(v, meta.currency)  # noqa: E731
    text = (f"{meta.symbol} {args.side} · {result.method}: {result.qty:g} shares, amount {money(result.amount)}"
            + ("" if result.risk_amount is None else f", at risk {money(result.risk_amount)}")
            + (f"  ({result.note})" if result.note else ""))
    emit(payload, args.json, text)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `risk size` to the CLI."""
    risk = subparsers.add_parser("risk", help="risk tools: position sizing")
    sub = risk.add_subparsers(dest="risk_command", required=True, parser_class=type(risk))
    p = sub.add_parser("size", help="how many shares to trade for a given risk")
    p.add_argument("--symbol", required=True, help="Yahoo-style symbol, e.g. INFY.NS (sets currency and lot size)")
    p.add_argument("--entry", type=float, required=True, help="entry price")
    p.add_argument("--capital", type=float, required=True, help="account equity / capital to size from")
    p.add_argument("--method", default="risk_pct", choices=SIZING_METHODS, help="sizing method (default risk_pct)")
    p.add_argument("--stop", type=float, help="stop-loss price (needed by risk_pct)")
    p.add_argument("--risk-pct", type=float, help="percent of capital to lose at the stop (risk_pct, atr), 2 = 2%%")
    p.add_argument("--amount", type=float, help="currency to invest (fixed_amount)")
    p.add_argument("--qty", type=float, help="number of shares (fixed_qty)")
    p.add_argument("--equity-pct", type=float, help="percent of capital to invest (pct_equity)")
    p.add_argument("--win-rate", type=float, help="share of winning trades as a decimal, 0.55 (kelly)")
    p.add_argument("--payoff", type=float, help="average win / average loss (kelly)")
    p.add_argument("--kelly-cap", type=float, default=0.25, help="largest Kelly fraction used (default 0.25)")
    p.add_argument("--atr", type=float, help="average true range in price units (atr)")
    p.add_argument("--atr-mult", type=float, default=2.0, help="stop distance in ATRs (default 2)")
    p.add_argument("--target-vol", type=float, help="annualised target volatility, 0.15 = 15%% (vol_target)")
    p.add_argument("--realised-vol", type=float, help="annualised realised volatility, 0.25 = 25%% (vol_target)")
    p.add_argument("--lot-size", type=int, help="shares per lot (default: the instrument's)")
    p.add_argument("--side", default="long", choices=["long", "short"])
    p.add_argument("--max-leverage", type=float, default=1.0, help="position value cap as a multiple of capital")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_size)
