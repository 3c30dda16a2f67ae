"""Settings → General and Risk & costs: forms that validate and write the editable settings to the config file."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import streamlit as st

from engine.config import Settings, get_settings
from engine.errors import ConfigError, QuantdeskError
from engine.settings_store import (
    EARLIEST_HISTORY,
    EDITABLE,
    PROVIDERS,
    SaveResult,
    SettingsInvalid,
    cost_choice,
    cost_spec,
    env_overrides,
    save_settings,
)
from pages._shared import get_scheduler
from pages._widgets import COST_MODELS

P = "settings_cfg"  # session-state prefix of these forms
PROVIDER_LABELS = {"yfinance": "Yahoo Finance (yfinance)", "demo": "Demo data (offline, generated)"}
CADENCES = ("sync_every_minutes", "paper_every_minutes", "alert_every_minutes", "news_every_minutes")
RISK_FIELDS = ("default_max_open_positions", "default_max_position_pct", "default_max_sector_pct",
               "default_daily_loss_pct", "default_max_drawdown_pct", "default_losing_streak")


def _key(name: str) -> str:
    return f"{P}_{name}"


def _errors() -> dict[str, str]:
    return st.session_state.setdefault(f"{P}_errors", {})


def _note(name: str, overrides: dict[str, str]) -> None:
    """Under a field: who sets it when the environment does, and what to fix after a refused save."""
    if name in overrides:
        st.caption(f"🔒 set by {overrides[name]} — change or unset that variable to edit it here")
    if name in _errors():
        st.error(_errors()[name], icon="⚠️")


def _flash(form: str) -> None:
    """After a save: a toast, and the details (file, skipped values, scheduler) above the form that saved."""
    flash = st.session_state.get(f"{P}_flash")
    if flash and flash[0] == form:
        del st.session_state[f"{P}_flash"]
        st.toast(f"Settings saved to {flash[2]}", icon="✅")
        st.success(flash[1], icon="✅")


def _forget(names: Iterable[str]) -> None:
    """Drop the saved widgets' state so they show the values as stored (normalised) on the next run."""
    for name in names:
        for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(_key(name))]:
            del st.session_state[key]


def _apply_to_scheduler(result: SaveResult, cfg: Settings) -> str:
    """Restart this process's scheduler when its settings changed; say how the change takes effect."""
    if not result.needs_scheduler_restart or cfg.scheduler == "off":
        return ""
    if cfg.scheduler == "worker":
        return "Restart `python -m engine worker` to apply the new schedule and watchlist to its jobs."
    get_scheduler.clear()  # on_release shuts the old one down; it hands the lease over when its job ends
    try:
        get_scheduler()
    except QuantdeskError as exc:  # the settings are saved; the app's next start runs them
        return f"The scheduler could not restart ({exc}); restart the app to apply the new schedule."
    return "The scheduler restarted with the new settings: new cadences count from now."


def _save(values: dict[str, Any], fields: tuple[str, ...], form: str) -> None:
    """Write `values`; refused values are shown under their fields, success as a toast and a note."""
    errors = _errors()
    for name in (*fields, f"_{form}"):
        errors.pop(name, None)
    try:
        result = save_settings(values)
    except SettingsInvalid as exc:
        for name, message in exc.errors.items():
            errors[name if name in fields else f"_{form}"] = (
                message if name in fields else f"{EDITABLE[name].label if name in EDITABLE else name}: {message}")
        st.rerun()
    except ConfigError as exc:
        errors[f"_{form}"] = str(exc)
        st.rerun()
    except OSError as exc:
        errors[f"_{form}"] = f"could not write the config file ({exc.strerror or exc}): check its folder's permissions"
        st.rerun()
    _forget(fields)
    st.cache_data.clear()
    lines = [f"Saved to `{result.path}`."]
    lines += [f"{EDITABLE[k].label} is set by {v}, so it was not written."
              for k, v in result.skipped.items()]
    scheduler_note = _apply_to_scheduler(result, get_settings())
    if scheduler_note:
        lines.append(scheduler_note)
    st.session_state[f"{P}_flash"] = (form, "\n\n".join(lines), result.path.name)
    st.rerun()


def _form_error(form: str) -> None:
    """Under a form: a refused save's problems that belong to no field shown in it (e.g. the file)."""
    if f"_{form}" in _errors():
        st.error(f"Not saved: {_errors()[f'_{form}']}", icon="⚠️")


def _submitted(names: tuple[str, ...], values: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    return {n: values[n] for n in names if n not in overrides}


def general_form() -> None:
    """Watchlist, data provider, history start and the scheduler's cadences."""
    cfg, overrides = get_settings(), env_overrides()
    _flash("general")
    fields = ("watchlist", "provider", "history_start", *CADENCES)
    values: dict[str, Any] = {}
    with st.form(f"{P}_general_form"):
        values["watchlist"] = st.multiselect(
            "Watchlist", list(cfg.watchlist), default=list(cfg.watchlist), accept_new_options=True,
            key=_key("watchlist"), disabled="watchlist" in overrides, placeholder="Type a ticker, press Enter",
            help="Yahoo-style tickers: INFY.NS (NSE), 500325.BO (BSE), ^NSEI (index), AAPL, BTC-USD. "
                 "Type one and press Enter to add it; click × to remove one.")
        _note("watchlist", overrides)
        c1, c2 = st.columns(2)
        with c1:
            values["provider"] = st.selectbox(
                "Data provider", PROVIDERS, index=PROVIDERS.index(cfg.provider) if cfg.provider in PROVIDERS else 0,
                format_func=PROVIDER_LABELS.get, key=_key("provider"), disabled="provider" in overrides)
            _note("provider", overrides)
        with c2:
            values["history_start"] = st.date_input(
                "History start", _history_default(cfg), min_value=EARLIEST_HISTORY, max_value=date.today(),
                key=_key("history_start"), disabled="history_start" in overrides,
                help="The first day a sync fetches for a symbol it has no bars of.")
            _note("history_start", overrides)
        st.markdown("**Scheduler cadences** (minutes)")
        for row in (CADENCES[:2], CADENCES[2:]):
            for col, name in zip(st.columns(2), row, strict=True):
                with col:
                    rule = EDITABLE[name]
                    values[name] = st.number_input(
                        rule.label, min_value=0.0, value=float(getattr(cfg, name)), step=1.0, format="%.1f",
                        key=_key(name), disabled=name in overrides,
                        help=f"Between {rule.low:g} and {rule.high:,g} minutes.")
                    _note(name, overrides)
        _form_error("general")
        saved = st.form_submit_button("Save", type="primary", icon="💾", key=_key("general_save"))
    if saved:
        _save(_submitted(fields, values, overrides), fields, "general")


def _history_default(cfg: Settings) -> date:
    try:
        return min(date.fromisoformat(cfg.history_start), date.today())
    except ValueError:
        return date(2015, 1, 1)


def _costs_inputs(cfg: Settings, overrides: dict[str, str]) -> str:
    """The default commission model (and its rate or amount), as the backtest form shows it."""
    model, number = cost_choice(cfg.default_costs)
    locked = "default_costs" in overrides
    c1, c2 = st.columns(2)
    with c1:
        choice = st.selectbox("Default commission model", list(COST_MODELS), format_func=COST_MODELS.get,
                              index=list(COST_MODELS).index(model) if model in COST_MODELS else 0,
                              key=_key("default_costs_model"), disabled=locked,
                              help="Pre-selected in new backtests and paper deployments.")
        _note("default_costs", overrides)
    with c2:
        if choice == "percent":
            number = st.number_input("Commission % per order", 0.0, 5.0, number if model == "percent" else 0.1,
                                     0.01, format="%.3f", key=_key("default_costs_pct"), disabled=locked)
        elif choice == "flat":
            number = st.number_input("Commission per order", 0.0, 10_000.0, number if model == "flat" else 20.0,
                                     1.0, key=_key("default_costs_flat"), disabled=locked)
    return cost_spec(choice, number)


def risk_costs_form() -> None:
    """Default costs and slippage for new backtests, default risk limits and breaker rules for new deployments."""
    cfg, overrides = get_settings(), env_overrides()
    _flash("risk")
    fields = ("default_costs", "default_slippage_bps", *RISK_FIELDS)
    values: dict[str, Any] = {}
    with st.container(border=True):
        st.markdown("**Costs** — defaults of new backtests and paper deployments")
        values["default_costs"] = _costs_inputs(cfg, overrides)
        values["default_slippage_bps"] = st.number_input(
            "Default slippage (bps)", 0.0, 500.0, float(cfg.default_slippage_bps), 1.0,
            key=_key("default_slippage_bps"), disabled="default_slippage_bps" in overrides,
            help="Basis points against you on every market and stop fill (1 bp = 0.01 %).")
        _note("default_slippage_bps", overrides)
        st.markdown("**Risk limits** — defaults of new paper deployments (0 = off)")
        for row in (RISK_FIELDS[:3], RISK_FIELDS[3:]):
            for col, name in zip(st.columns(3), row, strict=True):
                with col:
                    whole = EDITABLE[name].whole
                    current = getattr(cfg, name)
                    values[name] = st.number_input(
                        EDITABLE[name].label, 0 if whole else 0.0, 100 if whole else 100.0,
                        int(current) if whole else float(current), 1 if whole else 0.5,
                        key=_key(name), disabled=name in overrides)
                    _note(name, overrides)
        _form_error("risk")
        if st.button("Save", type="primary", icon="💾", key=_key("risk_save")):
            _save(_submitted(fields, values, overrides), fields, "risk")
