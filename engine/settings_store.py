"""Edit the config TOML: validate the editable settings, merge them into the file in place, write it atomically."""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, ValidationError

from engine import toml_lines
from engine.config import Settings, config_path, get_settings
from engine.errors import ConfigError, QuantdeskError

MAX_SYMBOLS = 100
MAX_SYMBOL_LENGTH = 20
EARLIEST_HISTORY = date(1950, 1, 1)
TICKER = re.compile(r"^\^?[A-Z0-9][A-Z0-9.&=\-]*$")  # INFY.NS, ^NSEI, BTC-USD, M&M.NS, EURUSD=X, GC=F
PROVIDERS = ("yfinance", "demo")


@dataclass(frozen=True)
class FieldRule:
    """An editable setting: its label and, for numbers, inclusive bounds (whole = integers only)."""

    label: str
    low: float | None = None
    high: float | None = None
    whole: bool = False


# Only these are ever written; secrets (secret_key, channel secrets) never are.
EDITABLE: dict[str, FieldRule] = {
    "watchlist": FieldRule("Watchlist"),
    "provider": FieldRule("Data provider"),
    "history_start": FieldRule("History start"),
    "sync_every_minutes": FieldRule("Data sync every (minutes)", 1, 1440),
    "paper_every_minutes": FieldRule("Paper tick every (minutes)", 0.5, 1440),
    "alert_every_minutes": FieldRule("Alert check every (minutes)", 0.5, 1440),
    "news_every_minutes": FieldRule("News fetch every (minutes)", 5, 1440),
    "default_costs": FieldRule("Default costs"),
    "default_slippage_bps": FieldRule("Default slippage (bps)", 0, 500),
    "default_max_open_positions": FieldRule("Max open positions", 0, 100, whole=True),
    "default_max_position_pct": FieldRule("Max position (% of capital)", 0, 100),
    "default_max_sector_pct": FieldRule("Max sector (% of equity)", 0, 100),
    "default_daily_loss_pct": FieldRule("Breaker: daily loss %", 0, 100),
    "default_max_drawdown_pct": FieldRule("Breaker: drawdown %", 0, 100),
    "default_losing_streak": FieldRule("Breaker: losing streak (trades)", 0, 100, whole=True),
}
# Settings the scheduler's jobs read: a running scheduler uses them only once it is rebuilt.
SCHEDULER_FIELDS = frozenset({"watchlist", "provider", "history_start", "sync_every_minutes",
                              "paper_every_minutes", "alert_every_minutes", "news_every_minutes"})
COST_PERCENT_MAX = 5.0  # % per order, as the backtest form allows
COST_FLAT_MAX = 10_000.0


class SettingsInvalid(ConfigError):
    """Some values were refused; `errors` maps each setting to what to fix (nothing was written)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{label(k)}: {v}" for k, v in self.errors.items()))


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the file, the values written, those left out (env override) and those now different."""

    path: Path
    written: dict[str, Any]
    skipped: dict[str, str]  # setting → environment variable that overrides it
    changed: frozenset[str]

    @property
    def needs_scheduler_restart(self) -> bool:
        return bool(self.changed & SCHEDULER_FIELDS)


def label(name: str) -> str:
    return EDITABLE[name].label if name in EDITABLE else name


def env_names(name: str) -> tuple[str, ...]:
    """Environment variables that set field `name` (upper case): QUANTDESK_<NAME> or its aliases."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(a).upper() for a in alias.choices)
    return (f"QUANTDESK_{name}".upper(),)


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Setting → the environment variable (as spelled in the environment) that overrides the config file."""
    environ = os.environ if environ is None else environ
    present = {k.upper(): k for k in environ}  # pydantic-settings matches names case-insensitively
    out = {}
    for name in Settings.model_fields:
        for var in env_names(name):
            if var in present:
                out[name] = present[var]
                break
    return out


def read_config(path: Path | None = None) -> dict[str, Any]:
    """The config file's contents ({} when it does not exist); raises ConfigError when it is not valid TOML."""
    path = path or config_path()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or remove it first") from exc


def normalise_watchlist(value: str | Sequence[str]) -> list[str]:
    """Symbols as upper-case Yahoo tickers (text may be comma, space or line separated); ValueError says why not."""
    items = re.split(r"[\s,;]+", value) if isinstance(value, str) else list(value)
    symbols = [str(s).strip().upper() for s in items if str(s).strip()]
    for symbol in symbols:
        if len(symbol) > MAX_SYMBOL_LENGTH:
            raise ValueError(f"{symbol!r} is longer than {MAX_SYMBOL_LENGTH} characters")
        if not TICKER.match(symbol):
            raise ValueError(f"{symbol!r} is not a Yahoo-style ticker: use letters, digits and . - & = "
                             "(an index starts with ^), e.g. INFY.NS, ^NSEI, BTC-USD")
    seen: set[str] = set()
    for symbol in symbols:
        if symbol in seen:
            raise ValueError(f"{symbol} is listed twice")
        seen.add(symbol)
    if len(symbols) > MAX_SYMBOLS:
        raise ValueError(f"at most {MAX_SYMBOLS} symbols, got {len(symbols)}")
    return symbols


def _number(name: str, value: Any) -> float | int:
    rule = EDITABLE[name]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("enter a number")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError("enter a finite number")
    if rule.whole and number != int(number):
        raise ValueError(f"must be a whole number, got {number:g}")
    if (rule.low is not None and number < rule.low) or (rule.high is not None and number > rule.high):
        raise ValueError(f"must be between {rule.low:g} and {rule.high:,g}, got {number:g}")
    return int(number) if rule.whole or number.is_integer() else number  # 15, not 15.0, in the file


def _history_start(value: Any, today: date | None = None) -> str:
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    today = today or date.today()
    if day > today:
        raise ValueError(f"{day} is in the future; pick a day up to {today}")
    if day < EARLIEST_HISTORY:
        raise ValueError(f"pick a day from {EARLIEST_HISTORY} on")
    return day.isoformat()


def normalise_costs(spec: str) -> str:
    """A default cost spec checked like the backtest form checks it: percent 0–5, flat 0–10,000, named models."""
    model, number = cost_choice(spec, strict=True)
    if model == "percent" and not 0 <= (number or 0) <= COST_PERCENT_MAX:
        raise ValueError(f"percent per order must be between 0 and {COST_PERCENT_MAX:g}")
    if model == "flat" and not 0 <= (number or 0) <= COST_FLAT_MAX:
        raise ValueError(f"flat cost per order must be between 0 and {COST_FLAT_MAX:,.0f}")
    return cost_spec(model, number)


def cost_choice(spec: str, strict: bool = False) -> tuple[str, float | None]:
    """A cost spec as (form model, number): 'pct:0.1' → ('percent', 0.1); 'flat:20' → ('flat', 20.0);
    '0.001' → ('percent', 0.1); 'nse_delivery' → ('nse_delivery', None); '' / 'none' → ('none', None).

    An unknown spec gives ('percent', 0.1), or ValueError when `strict`.
    """
    from engine.costs import make_cost_model  # the charges schedule loads on import

    text = str(spec).strip().lower()
    kind, _, number = text.partition(":")
    try:
        make_cost_model(text)
        if kind in ("pct", "flat") and number:
            return ("percent" if kind == "pct" else "flat"), float(number)
        if text in ("", "none", "0", "0.0"):
            return "none", None
        if re.fullmatch(r"[a-z]+_[a-z]+", text):
            return text, None
        return "percent", float(text) * 100
    except (ValueError, QuantdeskError) as exc:  # BacktestError / ChargesError from make_cost_model
        if strict:
            raise ValueError(str(exc)) from None
        return "percent", 0.1


def cost_spec(model: str, number: float | None = None) -> str:
    """The spec of a form choice: ('percent', 0.1) → 'pct:0.1'; ('flat', 20) → 'flat:20.0'; else the model."""
    if model == "percent":
        return f"pct:{float(number or 0)!r}"
    if model == "flat":
        return f"flat:{float(number or 0)!r}"
    return model


def validate(values: Mapping[str, Any], today: date | None = None) -> dict[str, Any]:
    """The values normalised (upper-case symbols, ISO dates, numbers in bounds); raises SettingsInvalid."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, value in values.items():
        try:
            if name not in EDITABLE:
                raise ValueError("is not a setting the Settings page edits")
            if name == "watchlist":
                out[name] = normalise_watchlist(value)
            elif name == "provider":
                if value not in PROVIDERS:
                    raise ValueError(f"choose {' or '.join(PROVIDERS)}, not {value!r}")
                out[name] = value
            elif name == "history_start":
                out[name] = _history_start(value, today)
            elif name == "default_costs":
                out[name] = normalise_costs(value)
            else:
                out[name] = _number(name, value)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise SettingsInvalid(errors)
    return out


def _check_with_settings(merged: Mapping[str, Any]) -> None:
    """Build Settings from the merged file contents (as the app will); pydantic errors → SettingsInvalid."""
    known = {k: v for k, v in merged.items() if k in Settings.model_fields}
    try:
        Settings(**known)
    except ValidationError as exc:
        raise SettingsInvalid({str(e["loc"][0]) if e["loc"] else "config": friendly(e)
                               for e in exc.errors()}) from None


_BOUNDS = {"greater_than_equal": "at least", "greater_than": "above", "less_than_equal": "at most",
           "less_than": "below"}
_TYPES = {"int_parsing": "a whole number", "int_from_float": "a whole number", "int_type": "a whole number",
          "float_parsing": "a number", "float_type": "a number", "bool_parsing": "true or false",
          "bool_type": "true or false", "string_type": "text", "date_from_datetime_parsing": "a date"}


def friendly(error: Mapping[str, Any]) -> str:
    """A pydantic error as a short instruction ("must be at least 1")."""
    kind = str(error.get("type", ""))
    if kind in _BOUNDS:
        limit = next(iter((error.get("ctx") or {}).values()), "")
        return f"must be {_BOUNDS[kind]} {limit}"
    if kind in _TYPES:
        return f"must be {_TYPES[kind]}"
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")


def save_settings(values: Mapping[str, Any], today: date | None = None) -> SaveResult:
    """Validate `values` (editable settings only), merge them into the config file and write it atomically.

    The file is the one Settings reads (engine.config.config_path(): $QUANTDESK_CONFIG or quantdesk.toml).

    Values overridden by an environment variable are not written (see SaveResult.skipped). The file
    keeps its other keys, tables and comments. Raises SettingsInvalid (per-setting messages, nothing
    written) or ConfigError (the current file is not valid TOML).
    """
    path = config_path()
    overrides = env_overrides()
    skipped = {k: overrides[k] for k in values if k in overrides and k in EDITABLE}
    clean = validate({k: v for k, v in values.items() if k not in skipped}, today)
    current = read_config(path)
    _check_with_settings({**current, **clean})
    before = _effective()
    text = path.read_text(encoding="utf-8") if path.exists() else toml_lines.HEADER
    toml_lines.write_atomic(path, toml_lines.set_top_level(text, clean))
    get_settings.cache_clear()
    after = _effective()
    changed = frozenset(k for k in clean if before.get(k) != after.get(k))
    return SaveResult(path, clean, skipped, changed)


def _effective() -> dict[str, Any]:
    """The editable settings as Settings() would build them now (environment included)."""
    try:
        built = Settings()
    except (ValidationError, ConfigError):
        return {}
    return {k: getattr(built, k) for k in EDITABLE}

