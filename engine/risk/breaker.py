"""Circuit breaker: a state machine that stops new entries after a daily loss, drawdown, losing streak or rapid loss.

Pure functions over an immutable `BreakerState` that carries its own rules and serialises to a JSON
dict (`as_dict` / `BreakerState.from_dict`), so callers store it per deployment and the tripped state
survives restarts. Call `update` on every tick (before deciding on entries) with the current equity
and any trades closed since the last tick; then ask `allows_entry`. Once TRIPPED it stays tripped
until `reset` (by the user), or — with reset_mode "next_session" — until an update at or after the
open of the next session of the rules' calendar symbol. A reset re-bases peak, day-start equity and
the loss streak at the last equity, so the breaker does not trip again on the same loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import pandas as pd

from engine.errors import DataError, ParameterError
from engine.risk._records import from_stored

OK, TRIPPED = "OK", "TRIPPED"
RESET_MODES = ("manual", "next_session")
STATE_VERSION = 1


@dataclass(frozen=True)
class BreakerRules:
    """Trip thresholds (None = rule off). Percentages are percent (3 = 3 %).

    daily_loss_pct: loss since the day-start equity; max_drawdown_pct: fall from the peak equity;
    max_consecutive_losses: closed losing trades in a row; rapid_loss_pct within rapid_loss_minutes:
    fall from the highest equity seen in that window. `calendar_symbol` decides what a day and the
    next session are (its exchange calendar and time zone).
    """

    daily_loss_pct: float | None = None
    max_drawdown_pct: float | None = None
    max_consecutive_losses: int | None = None
    rapid_loss_pct: float | None = None
    rapid_loss_minutes: float | None = None
    reset_mode: str = "manual"
    calendar_symbol: str = "^NSEI"

    def __post_init__(self) -> None:
        for name in ("daily_loss_pct", "max_drawdown_pct", "rapid_loss_pct"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and 0 < value <= 100):
                raise ParameterError(f"{name} must be a percentage in (0, 100] (3 = 3 %), got {value!r}")
        if self.max_consecutive_losses is not None and not (
                isinstance(self.max_consecutive_losses, int) and self.max_consecutive_losses >= 1):
            raise ParameterError(f"max_consecutive_losses must be a whole number >= 1, got {self.max_consecutive_losses!r}")
        if (self.rapid_loss_pct is None) != (self.rapid_loss_minutes is None):
            raise ParameterError("the rapid-loss rule needs both rapid_loss_pct and rapid_loss_minutes")
        if self.rapid_loss_minutes is not None and not self.rapid_loss_minutes > 0:
            raise ParameterError(f"rapid_loss_minutes must be above zero, got {self.rapid_loss_minutes!r}")
        if self.reset_mode not in RESET_MODES:
            raise ParameterError(f"reset_mode must be one of {list(RESET_MODES)}, got {self.reset_mode!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreakerRules:
        """Rules from a stored dict; unknown keys raise ParameterError naming the known ones."""
        return from_stored(cls, data, "circuit-breaker rule", "rules")


@dataclass(frozen=True)
class BreakerState:
    """Where the breaker stands. Times are tz-aware UTC; `day` is the session date (YYYY-MM-DD, local)."""

    rules: BreakerRules
    status: str = OK
    reason: str = ""
    tripped_at: pd.Timestamp | None = None
    peak: float | None = None
    day: str | None = None
    day_start_equity: float | None = None
    last_equity: float | None = None
    last_update: pd.Timestamp | None = None
    consecutive_losses: int = 0
    recent: tuple[tuple[pd.Timestamp, float], ...] = field(default_factory=tuple)
    reset_by: str | None = None
    reset_at: pd.Timestamp | None = None

    @property
    def is_tripped(self) -> bool:
        return self.status == TRIPPED

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (timestamps as ISO strings) that `from_dict` turns back into this state."""
        out = asdict(self)
        out["rules"] = self.rules.as_dict()
        for key in ("tripped_at", "last_update", "reset_at"):
            out[key] = _iso(getattr(self, key))
        out["recent"] = [[_iso(ts), eq] for ts, eq in self.recent]
        out["version"] = STATE_VERSION
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreakerState:
        """The state stored by `as_dict`; raises DataError if the dict is not one."""
        try:
            body = dict(data)
            body.pop("version", None)
            rules = BreakerRules.from_dict(body.pop("rules"))
            known = {f.name for f in fields(cls)} - {"rules"}
            if set(body) - known:
                raise KeyError(sorted(set(body) - known))
            for key in ("tripped_at", "last_update", "reset_at"):
                body[key] = _ts(body.get(key))
            body["recent"] = tuple((_ts(ts), float(eq)) for ts, eq in body.get("recent", ()))
            state = cls(rules=rules, **body)
        except (KeyError, TypeError, ValueError, ParameterError) as exc:
            raise DataError(f"stored circuit-breaker state is not readable ({exc}); reset the breaker") from None
        if state.status not in (OK, TRIPPED):
            raise DataError(f"stored circuit-breaker status {state.status!r} is unknown; reset the breaker")
        return state


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None else ts.isoformat()


def _ts(value: Any) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")


def new_breaker(rules: BreakerRules) -> BreakerState:
    """A fresh, untripped breaker for `rules`; the first `update` sets peak and day-start equity."""
    return BreakerState(rules=rules)


def allows_entry(state: BreakerState) -> bool:
    """True unless the breaker is tripped (exits are always allowed; only new entries are blocked)."""
    return state.status == OK


def reset(state: BreakerState, by: str = "user", now: pd.Timestamp | None = None) -> BreakerState:
    """An untripped copy with peak, day-start equity, streak and rapid-loss window re-based at the last equity."""
    when = _ts(now) if now is not None else state.last_update
    recent = ((state.last_update, state.last_equity),) if state.last_update is not None \
        and state.last_equity is not None else ()
    return replace(state, status=OK, reason="", tripped_at=None, peak=state.last_equity,
                   day_start_equity=state.last_equity, consecutive_losses=0, recent=recent,
                   reset_by=by, reset_at=when)


def update(state: BreakerState, equity: float, now: pd.Timestamp,
           closed_trade_pnl: float | Sequence[float] | None = None) -> BreakerState:
    """The state after observing `equity` (currency) at `now` and the P&L of trades closed since the last update.

    Rolls the day over at the first update of a new session date (day-start equity = the last equity
    seen, so an overnight gap counts as today's loss), auto-resets a tripped breaker at the next
    session when configured, then checks the rules in order: daily loss, drawdown, losing streak,
    rapid loss. `now` is when the equity was observed — for bars, the bar's close time, not its label
    (a daily bar labelled 00:00 UTC precedes that day's open, so a next-session reset would wait a bar).
    Raises ParameterError for a non-finite equity or a `now` earlier than the last update.
    """
    if not isinstance(equity, (int, float)) or not math.isfinite(equity):
        raise ParameterError(f"equity must be a finite number, got {equity!r}")
    now = _ts(now)  # type: ignore[assignment]
    if state.last_update is not None and now < state.last_update:
        raise ParameterError(f"breaker updates must come in time order: {now} is before {state.last_update}")
    if state.is_tripped and state.rules.reset_mode == "next_session" and _next_session_open(state) <= now:
        state = reset(state, by="next_session", now=now)
    state = _roll_day(state, now)
    state = _observe(state, float(equity), now, closed_trade_pnl)
    if state.is_tripped:
        return state
    reason = _trip_reason(state, float(equity))
    if reason:
        return replace(state, status=TRIPPED, reason=reason, tripped_at=now)
    return state


def _local_day(symbol: str, now: pd.Timestamp) -> str:
    from engine.data.instruments import instrument_for

    return str(now.tz_convert(instrument_for(symbol).timezone).date())


def _roll_day(state: BreakerState, now: pd.Timestamp) -> BreakerState:
    day = _local_day(state.rules.calendar_symbol, now)
    if day == state.day:
        return state
    return replace(state, day=day, day_start_equity=state.last_equity)


def _observe(state: BreakerState, equity: float, now: pd.Timestamp,
             closed_trade_pnl: float | Sequence[float] | None) -> BreakerState:
    pnls = [] if closed_trade_pnl is None else (
        [closed_trade_pnl] if isinstance(closed_trade_pnl, (int, float)) else list(closed_trade_pnl))
    streak = state.consecutive_losses
    for pnl in pnls:
        streak = streak + 1 if pnl < 0 else 0
    recent = state.recent
    if state.rules.rapid_loss_minutes is not None:
        start = now - pd.Timedelta(minutes=state.rules.rapid_loss_minutes)
        recent = tuple(p for p in recent if p[0] >= start) + ((now, equity),)
    return replace(state, peak=equity if state.peak is None else max(state.peak, equity),
                   day_start_equity=equity if state.day_start_equity is None else state.day_start_equity,
                   last_equity=equity, last_update=now, consecutive_losses=streak, recent=recent)


def _fall_pct(high: float, equity: float) -> float:
    return (high - equity) / high * 100.0 if high > 0 else 0.0


def _trip_reason(state: BreakerState, equity: float) -> str:
    rules = state.rules
    daily = _fall_pct(state.day_start_equity or equity, equity)
    if rules.daily_loss_pct is not None and daily >= rules.daily_loss_pct:
        return f"daily loss {daily:.2f}% of day-start equity reached the {rules.daily_loss_pct:g}% limit"
    drawdown = _fall_pct(state.peak or equity, equity)
    if rules.max_drawdown_pct is not None and drawdown >= rules.max_drawdown_pct:
        return f"drawdown {drawdown:.2f}% from the peak reached the {rules.max_drawdown_pct:g}% limit"
    if rules.max_consecutive_losses is not None and state.consecutive_losses >= rules.max_consecutive_losses:
        return f"{state.consecutive_losses} losing trades in a row reached the limit of {rules.max_consecutive_losses}"
    if rules.rapid_loss_pct is not None and state.recent:
        fall = _fall_pct(max(eq for _, eq in state.recent), equity)
        if fall >= rules.rapid_loss_pct:
            return (f"rapid loss {fall:.2f}% within {rules.rapid_loss_minutes:g} minutes reached the "
                    f"{rules.rapid_loss_pct:g}% limit")
    return ""


def _next_session_open(state: BreakerState) -> pd.Timestamp:
    """UTC open of the first session after the one in which the breaker tripped."""
    from engine.data.calendars import session_open_utc, sessions

    symbol = state.rules.calendar_symbol
    tripped = state.tripped_at or state.last_update
    day = pd.Timestamp(_local_day(symbol, tripped))  # type: ignore[arg-type]
    later = sessions(symbol, day + pd.Timedelta(days=1), day + pd.Timedelta(days=30))
    if len(later) == 0:
        raise DataError(f"no session of {symbol} within 30 days after {day.date()}")
    return session_open_utc(symbol, later[0])
