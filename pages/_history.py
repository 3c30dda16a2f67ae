"""Run history on the Backtest page: save the current run, list saved runs, reopen one, compare several."""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.backtest import BacktestResult


def save_button(result: BacktestResult, meta: dict[str, Any], key_prefix: str) -> None:
    st.button("Save run", key=f"{key_prefix}_save", disabled=True)


def history_section(key_prefix: str) -> None:
    st.subheader("Run history")
    st.caption("Saving runs is not available yet.")
