"""Look-ahead check: a strategy's signals up to bar t must not change when later bars are removed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import DataError
from engine.strategies.base import Signals, Strategy

FIELDS = (
    "entries_long", "exits_long", "entries_short", "exits_short", "stop_loss", "take_profit", "strength"
)
RTOL, ATOL = 1e-9, 1e-12  # floats recomputed on a shorter history may differ by rounding only


@dataclass
class LookaheadReport:
    """Outcome of check_lookahead. Each violation is a dict with keys `checked_at` (the last bar kept),
    `bar` (first bar whose signal changed), `field`, `full` and `truncated` (the two values), `message`."""

    passed: bool
    checked: int
    violations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first(self) -> dict[str, Any] | None:
        """The earliest violation found (by bar), or None if the check passed."""
        return min(self.violations, key=lambda v: v["bar"]) if self.violations else None


def sample_points(n_bars: int, warmup: int, n_checks: int, events: np.ndarray) -> list[int]:
    """Positions t (warmup <= t < n_bars - 1) to truncate at: half spread evenly, half on signal bars.

    Signal bars matter most because a leak usually shows as a signal that vanishes when the future
    is cut off. Deterministic, so a report can be reproduced.
    """
    last = n_bars - 2  # truncating at the final bar would compare the full history with itself
    start = min(max(warmup, 0), last)
    if last < 0 or n_checks <= 0:
        return []
    candidates = np.arange(start, last + 1)
    if len(candidates) <= n_checks:
        return candidates.tolist()
    chosen = set(np.linspace(start, last, n_checks - n_checks // 2).round().astype(int).tolist())
    hits = events[(events >= start) & (events <= last)]
    if len(hits):
        picks = np.linspace(0, len(hits) - 1, min(n_checks // 2, len(hits))).round().astype(int)
        chosen.update(hits[picks].tolist())
    need = n_checks - len(chosen)
    if need > 0:  # event picks coincided with even ones: top up evenly from the bars not yet chosen
        rest = np.setdiff1d(candidates, np.fromiter(chosen, dtype=int))
        chosen.update(rest[np.linspace(0, len(rest) - 1, need).round().astype(int)].tolist())
    return sorted(chosen)


def _event_positions(signals: Signals) -> np.ndarray:
    mask = np.zeros(len(signals.entries_long), dtype=bool)
    for name in ("entries_long", "exits_long", "entries_short", "exits_short"):
        series = getattr(signals, name)
        if series is not None:
            mask |= series.to_numpy(dtype=bool)
    return np.flatnonzero(mask)


def _first_mismatch(full: pd.Series | None, short: pd.Series | None, n: int) -> int | str | None:
    """Position of the first differing bar among the first `n`, "presence"/"index" for shape problems."""
    if full is None or short is None:
        return None if full is None and short is None else "presence"
    if len(short) != n:
        return "index"
    a, b = full.to_numpy()[:n], short.to_numpy()
    if a.dtype == bool or b.dtype == bool:
        diff = a.astype(bool) != b.astype(bool)
    else:
        a, b = a.astype(float), b.astype(float)
        diff = ~(np.isclose(a, b, rtol=RTOL, atol=ATOL) | (np.isnan(a) & np.isnan(b)))
    hits = np.flatnonzero(diff)
    return int(hits[0]) if len(hits) else None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _compare(full: Signals, short: Signals, bars: pd.DataFrame, t: int) -> dict[str, Any] | None:
    """The earliest mismatch between the full run and the run on bars[:t+1], or None."""
    best: dict[str, Any] | None = None
    for name in FIELDS:
        a, b = getattr(full, name), getattr(short, name)
        pos = _first_mismatch(a, b, t + 1)
        if pos is None:
            continue
        if isinstance(pos, str):
            what = "is present in only one run" if pos == "presence" else "has the wrong length"
            found = {"bar_pos": t, "field": name, "full": None, "truncated": None, "problem": what}
        else:
            found = {"bar_pos": pos, "field": name, "problem": ""}
            found.update(full=_plain(a.iloc[pos]), truncated=_plain(b.iloc[pos]))
        if best is None or found["bar_pos"] < best["bar_pos"]:
            best = found
    if best is None:
        return None
    bar = bars.index[best.pop("bar_pos")]
    problem = best.pop("problem")
    message = (
        f"{best['field']} {problem} when history ends at {bars.index[t]}"
        if problem
        else f"{best['field']} at {bar} is {best['full']!r} with the full history but "
        f"{best['truncated']!r} when history ends at {bars.index[t]}: it uses later bars"
    )
    return {"checked_at": bars.index[t], "bar": bar, **best, "message": message}


def check_lookahead(
    strategy: Strategy,
    bars: pd.DataFrame,
    n_checks: int = 20,
    progress: Callable[[int, int], None] | None = None,
) -> LookaheadReport:
    """Recompute `strategy.signals` on bars[:t+1] for up to `n_checks` positions t after warm-up and
    compare every bar <= t (entries, exits, stop/target levels, strength) with the full-history run.

    `progress(done, total)` is called after each truncation. A signals() call that raises on a
    shorter history counts as a violation (field "error"). Raises DataError if `bars` is empty.
    """
    if bars.empty:
        raise DataError("the look-ahead check needs bars; load some price history first.")
    full = strategy.signals(bars)
    points = sample_points(len(bars), strategy.warmup(), n_checks, _event_positions(full))
    violations: list[dict[str, Any]] = []
    for done, t in enumerate(points, start=1):
        try:
            found = _compare(full, strategy.signals(bars.iloc[: t + 1]), bars, t)
        except Exception as exc:  # a strategy that breaks on a shorter history cannot be verified
            at = bars.index[t]
            found = {"checked_at": at, "bar": at, "field": "error", "full": None, "truncated": None,
                     "message": f"signals() failed when history ends at {at}: {type(exc).__name__}: {exc}"}
        if found is not None:
            violations.append(found)
        if progress is not None:
            progress(done, len(points))
    return LookaheadReport(passed=not violations, checked=len(points), violations=violations)
