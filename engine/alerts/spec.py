"""What an alert kind is: declared parameters, how it observes the market, and how its condition edges fire."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from engine.data.providers.base import INTERVALS
from engine.errors import QuantdeskError
from engine.strategies.base import Param

SEVERITIES = ("info", "warning", "critical")
DIRECTIONS = ("up", "down", "any")
INTERVAL = Param("interval", str, "1d", choices=tuple(INTERVALS),
                 help="Bar interval the condition is evaluated on (stored bars only).")
OBSERVATION_COLUMNS = ("value", "hit", "note")


class AlertRuleError(QuantdeskError):
    """An alert rule is unknown or has unusable parameters: report to the user, who must fix the rule."""


@dataclass(frozen=True)
class Kind:
    """One kind of alert condition.

    `observe` returns observations: a frame indexed by UTC times (bars, equity marks, sync runs, days)
    in ascending order with columns value (float), hit (bool: the condition holds there) and note (str,
    may be empty). Bar kinds get `(bars, params)` with closed bars only; the others `(db_engine, symbol,
    params)`. `edge` says when a hit is reported: "level" = when the condition becomes true (a fresh rule
    fires at once if it already holds), "event" = on every observation that is itself the event (a cross,
    a gap, a trip). `revisable` = the latest observation may still change (a day's sentiment), so it is
    re-read until a newer one appears; `hit_of(value, params)` then recalls whether the last value hit.
    """

    name: str
    title: str
    help: str
    params: tuple[Param, ...]
    observe: Callable[..., pd.DataFrame]
    describe: Callable[[dict[str, Any], Callable[[float], str], str], str]  # (params, price format, note)
    source: str = "bars"  # bars | db
    edge: str = "level"  # level | event
    needs_symbol: bool = True
    severity: str = "info"
    value_format: str = "price"  # price | pct | ratio | number
    validate: Callable[[dict[str, Any]], None] | None = None
    warmup: Callable[[dict[str, Any]], int] = lambda p: 2
    revisable: bool = False
    hit_of: Callable[[float, dict[str, Any]], bool] | None = None

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


def observations(index: pd.Index, value: pd.Series | Any, hit: pd.Series | Any, note: pd.Series | str = "") -> pd.DataFrame:
    """An observation frame (see Kind) with NaN values kept and NaN hits read as False."""
    frame = pd.DataFrame({"value": value, "hit": hit, "note": note}, index=index)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    frame["hit"] = frame["hit"].fillna(False).astype(bool)
    frame["note"] = frame["note"].fillna("").astype(str)
    return frame


def empty_observations() -> pd.DataFrame:
    return observations(pd.DatetimeIndex([], tz="UTC"), [], [], [])


def format_value(value: float | None, how: str, price: Callable[[float], str]) -> str:
    """A value as the kind reads it: a price with its currency, a percent, a multiple or a plain number."""
    if value is None or pd.isna(value):
        return "—"
    if how == "price":
        return price(value)
    if how == "pct":
        return f"{value:+.2f}%"
    if how == "ratio":
        return f"{value:.2f}×"
    return f"{value:.4g}"
