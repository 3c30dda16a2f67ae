"""Indicator expressions for alerts: "sma(20)", "macd(12,26,9).signal", "close" or a number, computed on bars."""

from __future__ import annotations

import difflib
import inspect
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.alerts.spec import AlertRuleError
from engine.errors import QuantdeskError
from engine.indicators import INDICATORS

BAR_INPUTS = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
NOT_INDICATORS = {"crossover", "crossunder"}  # signals, not series to compare
_EXPR = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(?:\(([^()]*)\))?\s*(?:\.\s*([a-z_][a-z0-9_]*))?\s*$")


def indicator_names() -> list[str]:
    """Names usable in an expression: bar columns and the engine's indicators."""
    return [*PRICE_COLUMNS, *sorted(n for n in INDICATORS if n not in NOT_INDICATORS)]


@dataclass(frozen=True)
class IndicatorExpr:
    """A parsed expression: a bar column, an indicator call with positional numbers and a column, or a level."""

    text: str
    name: str = ""
    args: tuple[float, ...] = ()
    column: str = ""
    level: float | None = None

    @property
    def is_level(self) -> bool:
        return self.level is not None


def _number(text: str, expr: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise AlertRuleError(f"{text.strip()!r} in {expr!r} is not a number; write e.g. sma(20) or bollinger(20, 2)"
                             ) from None


def parse(text: object) -> IndicatorExpr:
    """Parse an expression; raises AlertRuleError with a "did you mean" for unknown names."""
    if isinstance(text, bool):
        raise AlertRuleError(f"{text!r} is not an indicator expression; write e.g. sma(20), rsi(14) or 70")
    if isinstance(text, int | float):
        return IndicatorExpr(str(text), level=float(text))
    raw = str(text).strip()
    try:
        return IndicatorExpr(raw, level=float(raw))
    except ValueError:
        pass
    match = _EXPR.match(raw.lower())
    if not match:
        raise AlertRuleError(f"cannot read indicator {raw!r}; write a name with numbers in brackets, e.g. "
                             "sma(20), macd(12,26,9).signal, close or a level such as 70")
    name, args, column = match.group(1), match.group(2), match.group(3) or ""
    known = indicator_names()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
        raise AlertRuleError(f"unknown indicator {name!r}{hint}")
    values = tuple(_number(a, raw) for a in args.split(",")) if args and args.strip() else ()
    if name in PRICE_COLUMNS and (values or column):
        raise AlertRuleError(f"{name!r} is a bar column and takes no numbers or column; write just {name}")
    return IndicatorExpr(raw, name, values, column)


def _call(expr: IndicatorExpr, bars: pd.DataFrame) -> pd.Series | pd.DataFrame:
    fn = INDICATORS[expr.name]
    sig = inspect.signature(fn).parameters
    inputs = {n: bars[n] for n in sig if n in BAR_INPUTS}
    tunable = [p for n, p in sig.items() if n not in BAR_INPUTS]
    numeric = [p for p in tunable if isinstance(p.default, int | float) and not isinstance(p.default, bool)]
    if len(expr.args) > len(numeric):
        names = ", ".join(p.name for p in numeric) or "no numbers"
        raise AlertRuleError(f"{expr.name} takes at most {len(numeric)} numbers ({names}); got {expr.text!r}")
    given = {}
    for p, v in zip(numeric, expr.args):
        given[p.name] = int(v) if isinstance(p.default, int) and float(v).is_integer() else v
    return fn(**inputs, **given)


def compute(expr: IndicatorExpr, bars: pd.DataFrame) -> pd.Series | float:
    """The expression's values on `bars` (a Series on the bars' index), or its level.

    Raises AlertRuleError for a wrong column or argument count, and the indicator's own ParameterError /
    DataError (e.g. a negative period) as AlertRuleError naming the expression.
    """
    if expr.is_level:
        return float(expr.level)
    if expr.name in PRICE_COLUMNS:
        return bars[expr.name].astype(float)
    try:
        out = _call(expr, bars)
    except AlertRuleError:
        raise
    except QuantdeskError as exc:
        raise AlertRuleError(f"indicator {expr.text!r}: {exc}") from None
    if isinstance(out, pd.DataFrame):
        columns = [str(c) for c in out.columns]
        if expr.column not in columns:
            pick = f"{expr.name}({', '.join(f'{a:g}' for a in expr.args)}).{columns[0]}"
            what = f"has no column {expr.column!r}" if expr.column else "returns several columns"
            raise AlertRuleError(f"{expr.name} {what}: pick one of {columns}, e.g. {pick}")
        return out[expr.column].astype(float)
    if expr.column:
        raise AlertRuleError(f"{expr.name} returns one series; drop '.{expr.column}' from {expr.text!r}")
    return out.astype(float)


def sample_bars(n: int = 120) -> pd.DataFrame:
    """Deterministic synthetic daily bars to dry-run expressions when a rule is created."""
    t = np.arange(n, dtype=float)
    close = 100.0 + 10.0 * np.sin(t / 7.0) + 0.1 * t
    index = pd.date_range("2020-01-01", periods=n, freq="D", tz="UTC", name="ts")
    return pd.DataFrame({"open": close - 0.5, "high": close + 1.0, "low": close - 1.0, "close": close,
                         "adj_close": close, "volume": 1000.0 + 100.0 * np.cos(t / 5.0)}, index=index)
