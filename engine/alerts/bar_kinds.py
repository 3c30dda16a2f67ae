"""Alert kinds evaluated on a symbol's closed bars: price levels and crosses, moves, gaps, volume, RSI, indicators, highs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from engine.alerts import indicator_expr as ix
from engine.alerts.spec import DIRECTIONS, INTERVAL, AlertRuleError, Kind, observations
from engine.indicators import crossover, crossunder, rsi
from engine.strategies.base import Param

RSI_ZONES = ("either", "overbought", "oversold")


def _level_param(help_text: str) -> Param:
    return Param("level", float, 100.0, 0.0, 1e12, help=help_text)


def _positive_level(p: dict[str, Any]) -> None:
    if p["level"] <= 0:
        raise AlertRuleError(f"level must be a price above 0, got {p['level']:g}")


def _cross(a: pd.Series, b: pd.Series | float, direction: str) -> tuple[pd.Series, pd.Series]:
    """Bars where a crosses b (crossed above / below) for `direction`, and the note naming which."""
    up, down = crossover(a, b).to_numpy(), crossunder(a, b).to_numpy()
    hit = {"up": up, "down": down, "any": up | down}[direction]
    note = pd.Series("", index=a.index).mask(up, "crossed above").mask(down, "crossed below")
    return pd.Series(hit, index=a.index), note


def price_above(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    return observations(bars.index, bars["close"], bars["close"] > p["level"])


def price_below(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    return observations(bars.index, bars["close"], bars["close"] < p["level"])


def price_cross(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    hit, note = _cross(bars["close"], float(p["level"]), p["direction"])
    return observations(bars.index, bars["close"], hit, note)


def pct_change(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    """Close-to-close change over `window` bars in percent against `threshold` (a move of at least that size)."""
    change = (bars["close"] / bars["close"].shift(p["window"]) - 1.0) * 100.0
    up, down = change >= p["threshold"], change <= -p["threshold"]
    return observations(bars.index, change, {"up": up, "down": down, "any": up | down}[p["direction"]])


def _gap(bars: pd.DataFrame) -> pd.Series:
    """Open against the previous bar's close, percent."""
    return (bars["open"] / bars["close"].shift(1) - 1.0) * 100.0


def gap_up(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    gap = _gap(bars)
    return observations(bars.index, gap, gap >= p["threshold"])


def gap_down(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    gap = _gap(bars)
    return observations(bars.index, gap, gap <= -p["threshold"])


def volume_spike(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    """Volume as a multiple of the average volume of the `days` bars before it (the current bar excluded)."""
    average = bars["volume"].shift(1).rolling(p["days"], min_periods=p["days"]).mean()
    ratio = bars["volume"] / average.where(average > 0)
    return observations(bars.index, ratio, ratio >= p["multiple"])


def rsi_zone(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    """RSI crossing INTO a zone: above `overbought` from at or below it, below `oversold` from at or above it."""
    value = rsi(bars["close"], p["period"])
    into_ob, into_os = crossover(value, p["overbought"]).to_numpy(), crossunder(value, p["oversold"]).to_numpy()
    hit = {"overbought": into_ob, "oversold": into_os, "either": into_ob | into_os}[p["zone"]]
    note = (pd.Series("", index=bars.index).mask(into_ob, f"RSI({p['period']}) moved into overbought "
                                                          f"(above {p['overbought']:g})")
            .mask(into_os, f"RSI({p['period']}) moved into oversold (below {p['oversold']:g})"))
    return observations(bars.index, value, hit, note)


def indicator_cross(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    a, b = ix.compute(ix.parse(p["a"]), bars), ix.compute(ix.parse(p["b"]), bars)
    if not isinstance(a, pd.Series):
        raise AlertRuleError(f"'a' must be an indicator or bar column, not the number {p['a']!r}; put levels in 'b'")
    hit, note = _cross(a, b, p["direction"])
    note = note.map(lambda how: f"{p['a']} {how} {p['b']}" if how else "")
    return observations(bars.index, a, hit, note)


def new_high(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    """The bar's high above the highest high of the `days` bars before it."""
    prior = bars["high"].shift(1).rolling(p["days"], min_periods=p["days"]).max()
    return observations(bars.index, bars["high"], bars["high"] > prior)


def new_low(bars: pd.DataFrame, p: dict[str, Any]) -> pd.DataFrame:
    """The bar's low below the lowest low of the `days` bars before it."""
    prior = bars["low"].shift(1).rolling(p["days"], min_periods=p["days"]).min()
    return observations(bars.index, bars["low"], bars["low"] < prior)


def _describe_cross(p: dict[str, Any], price: Callable[[float], str], note: str) -> str:
    """"crossed above ₹1,500.00": the direction the bar actually crossed, else the one the rule watches."""
    words = note or {"up": "crossed above", "down": "crossed below", "any": "crossed"}[p["direction"]]
    return f"{words} {price(p['level'])}"


def _describe_rsi(p: dict[str, Any], price: Callable[[float], str], note: str) -> str:
    zones = {"overbought": f"overbought (above {p['overbought']:g})", "oversold": f"oversold (below {p['oversold']:g})"}
    zones["either"] = f"{zones['overbought']} or {zones['oversold']}"
    return note or f"RSI({p['period']}) moved into {zones[p['zone']]}"


def _check_rsi(p: dict[str, Any]) -> None:
    if not p["oversold"] < p["overbought"]:
        raise AlertRuleError(f"oversold ({p['oversold']:g}) must be below overbought ({p['overbought']:g})")


def _check_indicators(p: dict[str, Any]) -> None:
    a, b = ix.parse(p["a"]), ix.parse(p["b"])
    if a.is_level:
        raise AlertRuleError(f"'a' must be an indicator or bar column, not the number {p['a']!r}; put levels in 'b'")
    sample = ix.sample_bars()
    ix.compute(a, sample), ix.compute(b, sample)  # wrong columns, argument counts or periods fail now


def _indicator_warmup(p: dict[str, Any]) -> int:
    numbers = [*ix.parse(p["a"]).args, *ix.parse(p["b"]).args]
    return int(max(numbers, default=1)) * 3 + 2


DIRECTION = Param("direction", str, "any", choices=DIRECTIONS, help="Which way the cross must go: up, down or any.")
THRESHOLD = Param("threshold", float, 2.0, 0.0001, 1000.0, help="Size in percent (2 = 2 %).")
BAR_KINDS: tuple[Kind, ...] = (
    Kind("price_above", "Price above", "The close moves above a level (fires at once if it already is).",
         (_level_param("Price level the close must exceed."), INTERVAL), price_above,
         lambda p, f, note: note or f"closed above {f(p['level'])}", validate=_positive_level),
    Kind("price_below", "Price below", "The close moves below a level (fires at once if it already is).",
         (_level_param("Price level the close must fall under."), INTERVAL), price_below,
         lambda p, f, note: note or f"closed below {f(p['level'])}", validate=_positive_level),
    Kind("price_cross", "Price cross", "The close crosses a level, on the bar it happens.",
         (_level_param("Price level to watch."), DIRECTION, INTERVAL), price_cross,
         _describe_cross, edge="event", validate=_positive_level),
    Kind("pct_change", "% change", "The close moved at least `threshold` % over `window` bars.",
         (Param("window", int, 1, 1, 5000, help="Bars to measure the change over (1 = since the previous close)."),
          Param("threshold", float, 5.0, 0.0001, 1000.0, help="Size of the move in percent (5 = 5 %)."),
          DIRECTION, INTERVAL), pct_change,
         lambda p, f, note: note or f"moved {p['threshold']:g}% or more over {p['window']} bar(s)", value_format="pct",
         warmup=lambda p: p["window"] + 2),
    Kind("gap_up", "Gap up", "The open is at least `threshold` % above the previous close.",
         (THRESHOLD, INTERVAL), gap_up, lambda p, f, note: note or f"gapped up {p['threshold']:g}% or more",
         edge="event", value_format="pct"),
    Kind("gap_down", "Gap down", "The open is at least `threshold` % below the previous close.",
         (THRESHOLD, INTERVAL), gap_down, lambda p, f, note: note or f"gapped down {p['threshold']:g}% or more",
         edge="event", value_format="pct"),
    Kind("volume_spike", "Volume spike", "Volume is at least `multiple` × the average of the previous `days` bars.",
         (Param("multiple", float, 2.0, 1.0, 1000.0, help="Multiple of the average volume (2 = twice)."),
          Param("days", int, 20, 1, 5000, help="Bars in the average (the current bar is not included)."),
          INTERVAL), volume_spike,
         lambda p, f, note: note or f"volume {p['multiple']:g}× its {p['days']}-bar average or more", value_format="ratio",
         warmup=lambda p: p["days"] + 2),
    Kind("rsi", "RSI into zone", "RSI crosses into the overbought or oversold zone.",
         (Param("period", int, 14, 2, 1000, help="RSI period in bars."),
          Param("overbought", float, 70.0, 0.0, 100.0, help="Overbought level (RSI above it)."),
          Param("oversold", float, 30.0, 0.0, 100.0, help="Oversold level (RSI below it)."),
          Param("zone", str, "either", choices=RSI_ZONES, help="Which zone to watch."), INTERVAL), rsi_zone,
         _describe_rsi, edge="event", value_format="number",
         validate=_check_rsi, warmup=lambda p: p["period"] * 10),
    Kind("indicator_cross", "Indicator cross", "One indicator crosses another, or a level (e.g. sma(20) vs sma(50)).",
         (Param("a", str, "sma(20)", help="Indicator expression, e.g. sma(20), ema(9), macd(12,26,9).macd, close."),
          Param("b", str, "sma(50)", help="Indicator expression or a level, e.g. sma(50) or 70."),
          DIRECTION, INTERVAL), indicator_cross, lambda p, f, note: note or f"{p['a']} crossed {p['b']}", edge="event",
         value_format="number", validate=_check_indicators, warmup=_indicator_warmup),
    Kind("new_high", "New N-bar high", "The bar's high exceeds the highest high of the previous `days` bars.",
         (Param("days", int, 20, 1, 5000, help="Look-back in bars (252 ≈ a year of daily bars)."), INTERVAL),
         new_high, lambda p, f, note: note or f"made a new {p['days']}-bar high", warmup=lambda p: p["days"] + 2),
    Kind("new_low", "New N-bar low", "The bar's low falls under the lowest low of the previous `days` bars.",
         (Param("days", int, 20, 1, 5000, help="Look-back in bars (252 ≈ a year of daily bars)."), INTERVAL),
         new_low, lambda p, f, note: note or f"made a new {p['days']}-bar low", warmup=lambda p: p["days"] + 2),
)
