"""Run history on the Backtest page: save the current run, list saved runs, reopen one, compare several."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from engine import charts
from engine.backtest import BacktestResult
from engine.backtest import history as runs
from engine.errors import QuantdeskError
from pages._shared import get_db
from pages._widgets import CHART_CONFIG, format_stat, stat_label

SEP = " · "  # run names read "<strategy> · <symbols> · <interval>"
INTERVALS = ("1m", "5m", "15m", "30m", "1h", "1d", "1wk", "1mo")


def run_name(strategy_title: str, symbols: list[str], interval: str) -> str:
    return SEP.join([strategy_title, ", ".join(symbols), interval])


def interval_from_name(name: str) -> str:
    """The interval a run was made on, read back from its name (1d when the name does not say)."""
    parts = name.split(SEP)
    return parts[2] if len(parts) >= 3 and parts[2] in INTERVALS else "1d"


def _save(key_prefix: str) -> None:
    meta = st.session_state[f"{key_prefix}_meta"]
    result = BacktestResult.from_json(st.session_state[f"{key_prefix}_result"])
    try:
        meta["saved_id"] = runs.save_result(get_db(), result, meta["label"])
    except QuantdeskError as exc:
        st.session_state[f"{key_prefix}_history_error"] = str(exc)


def save_button(result: BacktestResult, meta: dict[str, Any], key_prefix: str) -> None:
    """"Save run" for the result on screen, or where it is saved."""
    if meta.get("saved_id"):
        st.caption(f"💾 Saved as run #{meta['saved_id']} — see Run history below.")
        return
    st.button("Save run", key=f"{key_prefix}_save", icon="💾", on_click=_save, args=(key_prefix,),
              help="Keep this run (settings, trades, equity, stats) to reopen or compare later.")


def _reopen(key_prefix: str) -> None:
    run_id = st.session_state.get(f"{key_prefix}_history_pick")
    if run_id is None:
        return
    try:
        result = runs.open_result(get_db(), int(run_id))
    except QuantdeskError as exc:
        st.session_state[f"{key_prefix}_history_error"] = str(exc)
        return
    name = _names().get(int(run_id), "")
    st.session_state[f"{key_prefix}_result"] = result.to_json()
    st.session_state[f"{key_prefix}_meta"] = {"symbols": result.symbols, "interval": interval_from_name(name),
                                              "adjusted": True, "saved_id": int(run_id), "label": name}


def _delete(key_prefix: str) -> None:
    run_id = st.session_state.get(f"{key_prefix}_history_pick")
    if run_id is not None:
        runs.delete_result(get_db(), int(run_id))
        meta = st.session_state.get(f"{key_prefix}_meta")
        if meta and meta.get("saved_id") == int(run_id):
            meta["saved_id"] = None


def _names() -> dict[int, str]:
    saved = runs.list_results(get_db())
    return dict(zip(saved["id"].astype(int), saved["name"]))


def history_table(saved: pd.DataFrame) -> pd.DataFrame:
    table = saved[["id", "created_at", "name", "total_return", "sharpe", "max_drawdown", "n_trades"]].copy()
    table["created_at"] = table["created_at"].dt.tz_convert("Asia/Kolkata").dt.strftime("%d %b %Y %H:%M")
    return table


def history_section(key_prefix: str) -> None:
    """Saved runs: a table, reopen/delete one, compare several (stats side by side, equity overlaid)."""
    st.subheader("Run history")
    error = st.session_state.pop(f"{key_prefix}_history_error", None)
    if error:
        st.error(error, icon="⚠️")
    saved = runs.list_results(get_db())
    if saved.empty:
        st.caption("No saved runs yet — run a backtest and click **Save run**.")
        return
    st.dataframe(history_table(saved), width="stretch", height=min(320, 40 + 35 * len(saved)), hide_index=True,
                 key=f"{key_prefix}_history_table",
                 column_config={"total_return": st.column_config.NumberColumn("Total return", format="percent"),
                                "max_drawdown": st.column_config.NumberColumn("Max drawdown", format="percent"),
                                "sharpe": st.column_config.NumberColumn("Sharpe", format="%.2f"),
                                "created_at": "Saved (IST)"})
    labels = {int(i): f"#{i} {n}" for i, n in zip(saved["id"], saved["name"])}
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        st.selectbox("Saved run", list(labels), format_func=labels.get, key=f"{key_prefix}_history_pick",
                     width=360)
        st.button("Reopen", key=f"{key_prefix}_reopen", icon="📂", on_click=_reopen, args=(key_prefix,))
        st.button("Delete", key=f"{key_prefix}_delete", icon="🗑️", on_click=_delete, args=(key_prefix,))
    chosen = st.multiselect("Compare runs", list(labels), format_func=labels.get, key=f"{key_prefix}_compare",
                            help="Pick two or more saved runs.")
    if len(chosen) >= 2:
        compare(chosen, key_prefix)


@st.cache_data(show_spinner=False, max_entries=64)
def _saved_equity(db_url: str, run_id: int) -> pd.Series:
    """Equity curve of a saved run (runs never change once saved, so caching by id is safe)."""
    return runs.open_result(get_db(), run_id).equity


def compare(run_ids: list[int], key_prefix: str) -> None:
    table = runs.compare_runs(get_db(), run_ids)
    shown = pd.DataFrame({col: [format_stat(k, v) for k, v in table[col].items()] for col in table.columns},
                         index=[stat_label(k) for k in table.index])
    shown.index.name = "Metric"
    st.dataframe(shown, width="stretch", height=420, key=f"{key_prefix}_compare_table")
    url = str(get_db().url)
    curves = {col: _saved_equity(url, run_id) for col, run_id in zip(table.columns, run_ids)}
    st.markdown("**Equity, growth of 100**")
    st.plotly_chart(charts.equity_overlay(curves, height=380), width="stretch", config=CHART_CONFIG,
                    key=f"{key_prefix}_compare_chart")
