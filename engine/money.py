"""Money formatting: INR with Indian digit grouping (₹1,23,45,678.90) and lakh/crore, others plainly."""

from __future__ import annotations

import math

SYMBOLS = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def group_indian(value: float, decimals: int = 2) -> str:
    """12345678.9 -> '1,23,45,678.90' (last three digits, then groups of two)."""
    if not math.isfinite(value):
        return "—"
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.{decimals}f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    body = ",".join([*groups, tail]) if groups else tail
    return f"{sign}{body}{'.' + frac if frac else ''}"


def format_money(value: float, currency: str = "INR", decimals: int = 2, compact: bool = False) -> str:
    """Amount with its currency symbol; INR grouped the Indian way, compact as lakh (L) / crore (Cr)."""
    if value is None or not math.isfinite(value):
        return "—"
    sym = SYMBOLS.get(currency, f"{currency} " if currency else "")
    if currency == "INR":
        if compact and abs(value) >= 1e7:
            return f"{sym}{value / 1e7:,.2f} Cr"
        if compact and abs(value) >= 1e5:
            return f"{sym}{value / 1e5:,.2f} L"
        text = group_indian(value, decimals)
    else:
        text = f"{value:,.{decimals}f}"
    return f"-{sym}{text[1:]}" if text.startswith("-") else f"{sym}{text}"


def format_price(value: float, currency: str = "") -> str:
    """A price: two decimals, the currency symbol when known."""
    return format_money(float(value), currency or "", 2)
