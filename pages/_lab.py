"""Strategy Lab tab bodies: sweep (table, best params, heatmap), walk-forward and look-ahead check."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from engine import charts
from engine.backtest import BacktestConfig
from engine.backtest.lookahead import check_lookahead
from engine.backtest.sweep import heatmap_table, run_sweep
from engine.backtest.sweep_eval import METRICS
from engine.backtest.walkforward import run_walkforward
from engine.errors import QuantdeskError
from engine.metrics import METRIC_CONVENTIONS
from engine.strategies import Param, Strategy
from pages._widgets import CHART_CONFIG, format_stat, metric_slots, stat_label

MAX_COMBOS = 20_000  # a sweep above this takes too long for an interactive page: narrow it or sample
PERCENT_COLUMNS = ("total_return", "cagr", "max_drawdown", "win_rate")


def objective_select(key: str, default: str = "sharpe") -> str:
    return st.selectbox("Objective (maximised)", list(METRICS), index=list(METRICS).index(default), key=key,
                        format_func=stat_label, help="max_drawdown is negative, so the shallowest wins.")


def range_values(p: Param, low: float, high: float, step: float) -> list[Any]:
    """Values low, low+step, ... <= high (ints rounded), as the sweep tries them."""
    if step <= 0 or high < low:
        return [low]
    count = int(math.floor((high - low) / step + 1e-9)) + 1
    values = [low + k * step for k in range(count)]
    return list(dict.fromkeys(int(round(v)) for v in values)) if p.type is int else [round(v, 10) for v in values]


def _range_row(p: Param, key_prefix: str) -> list[Any]:
    """low / high / step inputs for one swept parameter, pre-filled from its declared range."""
    if p.type is bool:
        return [False, True]
    if p.choices is not None:
        return st.multiselect(f"{p.name} values", list(p.choices), default=list(p.choices),
                              key=f"{key_prefix}_choices_{p.name}")
    cast = int if p.type is int else float
    step_default = cast(p.step or (1 if p.type is int else 0.01))
    c1, c2, c3 = st.columns(3, wrap=False)  # from / to / step stay on one line, even on a phone
    low = c1.number_input(f"{p.name} from", value=cast(p.low if p.low is not None else p.default),
                          min_value=None if p.low is None else cast(p.low),
                          max_value=None if p.high is None else cast(p.high), key=f"{key_prefix}_lo_{p.name}")
    high = c2.number_input(f"{p.name} to", value=cast(p.high if p.high is not None else p.default),
                           min_value=None if p.low is None else cast(p.low),
                           max_value=None if p.high is None else cast(p.high), key=f"{key_prefix}_hi_{p.name}")
    step = c3.number_input(f"{p.name} step", value=step_default, min_value=1 if p.type is int else step_default / 100,
                           key=f"{key_prefix}_st_{p.name}")
    return range_values(p, low, high, step)


def sweep_form(strategy_cls: type[Strategy], base: dict[str, Any], key_prefix: str) -> tuple[dict[str, list], int]:
    """The sweep space (swept ranges + fixed base values) and its grid size."""
    sweepable = [p for p in strategy_cls.params if p.name != "allow_short"]
    numeric = [p.name for p in sweepable if p.type in (int, float) and p.choices is None]
    chosen = st.multiselect("Parameters to sweep", [p.name for p in sweepable], default=numeric[:2],
                            key=f"{key_prefix}_sweep_params_{strategy_cls.name}")
    space = {name: [value] for name, value in base.items()}
    for p in sweepable:
        if p.name in chosen:
            space[p.name] = _range_row(p, f"{key_prefix}_{strategy_cls.name}") or [base.get(p.name, p.default)]
    return space, math.prod(len(v) for v in space.values())


def _store_sweep(result: Any, context: dict[str, Any], swept: list[str], key_prefix: str) -> None:
    st.session_state[f"{key_prefix}_sweep"] = {
        "table": result.table, "best": result.best_params, "objective": result.objective,
        "best_value": result.best_value, "skipped": result.skipped, "elapsed": result.elapsed_s,
        "swept": swept, **context,
    }


def sweep_tab(bars: pd.DataFrame, strategy_cls: type[Strategy], base: dict[str, Any], config: BacktestConfig,
              context: dict[str, Any], key_prefix: str) -> dict[str, Any]:
    """The sweep form, run and results; returns the search it set up (space, method, samples, objective)."""
    space, total = sweep_form(strategy_cls, base, key_prefix)
    c1, c2, c3 = st.columns(3)
    method = c1.radio("Search", ["grid", "random"], horizontal=True, key=f"{key_prefix}_method",
                      help="Grid tries every combination; random tries a sample of them.")
    n_samples = int(c2.number_input("Random samples", 10, MAX_COMBOS, 200, 10, key=f"{key_prefix}_samples",
                                    disabled=method == "grid"))
    with c3:
        objective = objective_select(f"{key_prefix}_objective")
    runs = total if method == "grid" else min(total, n_samples)
    too_big = runs > MAX_COMBOS
    if too_big:
        st.warning(f"{total:,} combinations is above the limit of {MAX_COMBOS:,}: narrow the ranges, "
                   "raise the steps, or use random search.", icon="✋")
    else:
        st.caption(f"{runs:,} of {total:,} combinations will be backtested (invalid ones are skipped).")
    search = {"space": space, "method": method, "n_samples": n_samples, "objective": objective, "runs": runs}
    if st.button("Run sweep", type="primary", disabled=too_big, key=f"{key_prefix}_run_sweep", icon="▶️"):
        bar = st.progress(0.0, text=f"sweep 0 / {runs:,}")

        def progress(done: int, todo: int) -> None:
            bar.progress(done / max(todo, 1), text=f"sweep {done:,} / {todo:,}")

        try:
            result = run_sweep(bars, strategy_cls.name, space, config, method=method, n_samples=n_samples,
                               objective=objective, progress=progress)
        except QuantdeskError as exc:
            bar.empty()
            st.error(str(exc), icon="⚠️")
            return search
        bar.empty()
        swept = [name for name, values in space.items() if len(values) > 1]
        _store_sweep(result, context, swept, key_prefix)
    saved = st.session_state.get(f"{key_prefix}_sweep")
    if saved and saved["strategy"] == strategy_cls.name:
        sweep_results(saved, key_prefix)
    return search


def sweep_results(saved: dict[str, Any], key_prefix: str) -> None:
    table, objective = saved["table"], saved["objective"]
    st.caption(f"Last sweep: {saved['strategy']} on {saved['symbol']} · {saved['interval']}.")
    best, runs, skipped, took = metric_slots(4)
    best.metric(f"Best {stat_label(objective)}", _fmt(objective, saved["best_value"]), border=True,
                help=METRIC_CONVENTIONS.get(objective))
    runs.metric("Combinations run", f"{len(table):,}", border=True)
    skipped.metric("Skipped (invalid)", f"{saved['skipped']:,}", border=True,
                   help="Combinations the strategy rejects, e.g. fast >= slow.")
    took.metric("Time", f"{saved['elapsed']:.1f} s", border=True)
    st.markdown("**Best parameters:** " + ", ".join(f"`{k}={v}`" for k, v in saved["best"].items()))
    if st.button("Open best in Backtest", key=f"{key_prefix}_open_best", icon="🧪"):
        st.session_state["backtest_pending"] = {"strategy": saved["strategy"], "params": saved["best"],
                                                "symbols": [saved["symbol"]], "interval": saved["interval"]}
        st.switch_page("pages/backtest.py")
    shown = [c for c in table.columns if c in saved["swept"] or c in METRICS]  # fixed params: see above
    ranked = table.sort_values(objective, ascending=False, na_position="last", kind="stable")[shown]
    st.dataframe(ranked, width="stretch", height=320, hide_index=True, key=f"{key_prefix}_sweep_table",
                 column_config=metric_columns(ranked.columns))
    swept = saved["swept"]
    if len(swept) >= 2:
        h1, h2 = st.columns(2)
        x = h1.selectbox("Heatmap x", swept, index=0, key=f"{key_prefix}_hx")
        y = h2.selectbox("Heatmap y", [s for s in swept if s != x], index=0, key=f"{key_prefix}_hy")
        grid = heatmap_table(table, x, y, objective)
        st.markdown(f"**{stat_label(objective)}** by {x} and {y} (best over the other swept parameters)")
        fig = charts.heatmap(grid, fmt=".2f", height=min(520, 120 + 26 * len(grid)), x_title=x, y_title=y,
                             zmid=None)
        st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=f"{key_prefix}_heatmap")
    elif swept:
        st.caption("Sweep two parameters to see a heatmap.")


def metric_columns(columns: Any) -> dict[str, Any]:
    """Column labels and number formats for the sweep METRICS present in `columns`."""
    formats = {"n_trades": "%d", "final_equity": "%.0f"}
    return {c: st.column_config.NumberColumn(stat_label(c), format="percent" if c in PERCENT_COLUMNS
                                             else formats.get(c, "%.2f"))
            for c in columns if c in METRICS}


def _fmt(metric: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.2f}%" if metric in PERCENT_COLUMNS else f"{value:,.2f}"


def walkforward_tab(bars: pd.DataFrame, strategy_cls: type[Strategy], search: dict[str, Any],
                    config: BacktestConfig, context: dict[str, Any], key_prefix: str) -> None:
    """Optimise the Sweep tab's search on rolling (or anchored) training windows, trade each next window."""
    st.caption(f"Each window optimises the **Sweep** tab's ranges ({search['runs']:,} combinations, objective "
               f"{stat_label(search['objective'])}) on its training bars, then trades the best parameters on "
               "the following unseen bars. The out-of-sample pieces are stitched into one equity curve.")
    c1, c2 = st.columns(2)
    n_windows = int(c1.number_input("Windows", 1, 20, 4, key=f"{key_prefix}_wf_windows",
                                    help="Out-of-sample test windows; training is 4× a test window."))
    anchored = c2.toggle("Anchored (training grows from the first bar)", value=False, key=f"{key_prefix}_wf_anchored")
    total = search["runs"] * n_windows
    too_big = total > MAX_COMBOS
    if too_big:
        st.warning(f"{total:,} backtests ({search['runs']:,} × {n_windows} windows) is above the limit of "
                   f"{MAX_COMBOS:,}: narrow the Sweep ranges or use fewer windows.", icon="✋")
    if st.button("Run walk-forward", type="primary", disabled=too_big, key=f"{key_prefix}_wf_run", icon="▶️"):
        bar = st.progress(0.0, text=f"walk-forward 0 / {total:,}")

        def progress(done: int, todo: int) -> None:
            bar.progress(done / max(todo, 1), text=f"walk-forward {done:,} / {todo:,}")

        try:
            result = run_walkforward(bars, strategy_cls.name, search["space"], config, n_windows=n_windows,
                                     anchored=anchored, objective=search["objective"], method=search["method"],
                                     n_samples=search["n_samples"], progress=progress)
        except QuantdeskError as exc:
            bar.empty()
            st.error(str(exc), icon="⚠️")
            return
        bar.empty()
        st.session_state[f"{key_prefix}_wf"] = {
            "windows": result.windows, "equity": result.equity, "stats": result.stats,
            "efficiency": result.efficiency, "objective": result.objective,
            "swept": [name for name, values in search["space"].items() if len(values) > 1], **context}
    saved = st.session_state.get(f"{key_prefix}_wf")
    if saved and saved["strategy"] == strategy_cls.name:
        walkforward_results(saved, bars, key_prefix)


def walkforward_results(saved: dict[str, Any], bars: pd.DataFrame, key_prefix: str) -> None:
    stats = saved["stats"]
    st.caption(f"Last walk-forward: {saved['strategy']} on {saved['symbol']} · {saved['interval']}.")
    slots = metric_slots(5)
    for slot, key in zip(slots, ("total_return", "sharpe", "max_drawdown", "n_trades")):
        slot.metric(f"OOS {stat_label(key)}", format_stat(key, stats.get(key)), border=True,
                    help=METRIC_CONVENTIONS.get(key))
    slots[4].metric("Efficiency", _fmt("efficiency", saved["efficiency"]), border=True,
                    help="Mean out-of-sample objective / mean in-sample objective. Near 1: the optimum holds up "
                         "on unseen data; near 0 or negative: the sweep fitted noise.")
    st.markdown("**Stitched out-of-sample equity** · drawdown beneath")
    fig = charts.equity_drawdown(saved["equity"], benchmark=bars["close"], height=420)
    st.plotly_chart(fig, width="stretch", config=CHART_CONFIG, key=f"{key_prefix}_wf_equity")
    dates = ("train_start", "train_end", "test_start", "test_end")
    results = ("is_objective", "oos_objective", "oos_return", "oos_sharpe", "oos_trades", "oos_final_equity")
    windows = saved["windows"][["window", *dates, *saved["swept"], *results]].copy()
    for col in dates:
        windows[col] = pd.DatetimeIndex(windows[col]).date
    objective = stat_label(saved["objective"])
    st.dataframe(windows, width="stretch", height=40 + 35 * len(windows), hide_index=True,
                 key=f"{key_prefix}_wf_table", column_config={
                     "is_objective": st.column_config.NumberColumn(f"In-sample {objective}", format="%.2f"),
                     "oos_objective": st.column_config.NumberColumn(f"OOS {objective}", format="%.2f"),
                     "oos_return": st.column_config.NumberColumn("OOS return", format="percent"),
                     "oos_sharpe": st.column_config.NumberColumn("OOS Sharpe", format="%.2f"),
                     "oos_trades": st.column_config.NumberColumn("OOS trades", format="%d"),
                     "oos_final_equity": st.column_config.NumberColumn("OOS final equity", format="%.0f")})


def lookahead_tab(bars: pd.DataFrame, strategy: Strategy, key_prefix: str) -> None:
    st.caption("Recomputes the signals on shortened histories: a signal that changes when future bars are "
               "removed means the strategy peeks ahead.")
    n_checks = int(st.number_input("Checks", 5, 500, 20, 5, key=f"{key_prefix}_la_checks",
                                   help="Truncation points after the warm-up (half of them on signal bars)."))
    if st.button("Run look-ahead check", type="primary", key=f"{key_prefix}_la_run", icon="🔎"):
        bar = st.progress(0.0, text=f"check 0 / {n_checks}")
        report = check_lookahead(strategy, bars, n_checks,
                                 progress=lambda d, t: bar.progress(d / max(t, 1), text=f"check {d} / {t}"))
        bar.empty()
        st.session_state[f"{key_prefix}_lookahead"] = {
            "strategy": strategy.name, "params": dict(strategy.p), "passed": report.passed,
            "checked": report.checked, "violations": pd.DataFrame(report.violations)}
    saved = st.session_state.get(f"{key_prefix}_lookahead")
    if not saved or saved["strategy"] != strategy.name:
        return
    if saved["passed"]:
        st.success(f"No look-ahead found in {saved['checked']} checks.", icon="✅")
    else:
        st.error(f"Look-ahead found: {len(saved['violations'])} of {saved['checked']} checks changed "
                 "earlier signals.", icon="❌")
        st.dataframe(saved["violations"], width="stretch", height=300, hide_index=True,
                     key=f"{key_prefix}_la_table")
