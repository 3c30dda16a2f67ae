"""Strategy base: declared parameters, validation with "did you mean", and the causal Signals contract."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from engine.errors import ParameterError


@dataclass(frozen=True)
class Param:
    """A declared strategy parameter: the UI renders it as a form field and sweeps use its range."""

    name: str
    type: type  # int | float | bool | str
    default: Any
    low: float | None = None  # inclusive bounds for int/float
    high: float | None = None
    step: float | None = None  # grid step for sweeps
    choices: tuple[Any, ...] | None = None  # for str (or fixed numeric) parameters
    help: str = ""

    def coerce(self, value: Any) -> Any:
        """Convert `value` to this parameter's type and check its range; raises ParameterError."""
        try:
            if self.type is bool:
                out = value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes"}
            elif self.type is int:
                as_float = float(value)
                if not as_float.is_integer():
                    raise ValueError
                out = int(as_float)
            else:
                out = self.type(value)
        except (TypeError, ValueError):
            raise ParameterError(
                f"parameter {self.name!r} must be a {self.type.__name__}, got {value!r}"
            ) from None
        if self.choices is not None and out not in self.choices:
            raise ParameterError(f"parameter {self.name!r} must be one of {list(self.choices)}, got {out!r}")
        if self.low is not None and out < self.low or self.high is not None and out > self.high:
            raise ParameterError(
                f"parameter {self.name!r} must be between {self.low} and {self.high}, got {out!r}"
            )
        return out


@dataclass
class Signals:
    """What a strategy decided on each bar, using only data up to and including that bar.

    All series share the bars' index. Entries/exits are booleans evaluated at the bar's close; the
    backtester fills them on the next bar's open by default. Stop/target are absolute price levels
    (NaN = none) taken from the entry bar; trailing_pct is a fraction (0.05 = 5 %) or None.
    """

    entries_long: pd.Series
    exits_long: pd.Series
    entries_short: pd.Series | None = None
    exits_short: pd.Series | None = None
    stop_loss: pd.Series | None = None
    take_profit: pd.Series | None = None
    trailing_pct: float | None = None
    strength: pd.Series | None = None
    extras: dict[str, pd.Series] = field(default_factory=dict)  # price-scale lines worth plotting
    oscillators: dict[str, pd.Series] = field(default_factory=dict)  # own-scale lines: a lower pane


class Strategy:
    """Subclass, declare `name`, `title`, `params`, and implement `signals(bars)`.

    `bars` has columns open, high, low, close, volume (and adj_close), a UTC DatetimeIndex named
    "ts", sorted ascending. Parameters are available as `self.p[name]` after validation.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()

    def __init__(self, **params: Any) -> None:
        self.p = self.resolve_params(params)
        self.validate(self.p)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default for p in cls.params}

    @classmethod
    def resolve_params(cls, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with `given`, coerced and range-checked; unknown names get a suggestion."""
        known = {p.name: p for p in cls.params}
        for key in given:
            if key not in known:
                close = difflib.get_close_matches(key, list(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known: {sorted(known)}"
                raise ParameterError(f"{cls.name} has no parameter {key!r}{hint}")
        return {name: p.coerce(given.get(name, p.default)) for name, p in known.items()}

    def validate(self, p: dict[str, Any]) -> None:
        """Cross-parameter checks (e.g. fast < slow); raise ParameterError with a fix-it message."""

    def warmup(self) -> int:
        """Bars needed before the first meaningful signal (used by look-ahead checks and paper ticks)."""
        return 0

    def signals(self, bars: pd.DataFrame) -> Signals:
        raise NotImplementedError
