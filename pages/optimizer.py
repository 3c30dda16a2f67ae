"""Optimizer: portfolio weights from stored prices (PyPortfolioOpt), frontier, whole lots for your cash, backtest."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from engine.data.instruments import instrument_for
from engine.errors import QuantdeskError
from engine.optimizer import (
    OBJECTIVES,
    RETURN_METHODS,
    RISK_METHODS,
    BlackLittermanSpec,
    Constraints,
    OptimizeSpec,
    backtest_fixed,
    backtest_reoptimised,
    efficient_frontier,
    optimise,
)
from engine.optimizer.universe import adjusted_close
from pages import _optimizer_parts as ui
from pages._shared import (
    coverage_cached,
    data_badge,
    load_bars_cached,
    require_stored_symbols,
    stored_symbols,
)

P = ui.P
LOOKBACKS = {"6 months": 126, "1 year": 252, "2 years": 504, "3 years": 756, "5 years": 1260}
BACKTEST_MODES = {"reoptimised": "Re-optimise monthly on the trailing lookback",
                  "fixed": "Weights from the first lookback, held after it"}
FRONTIER_POINTS = 20
NO_BENCHMARK = "none"

st.title("Optimizer")
st.caption("Weights for a basket of stored symbols — mean-variance, HRP or Black-Litterman, with bounds and "
           "sector caps — then whole lots for your cash and a monthly-rebalanced backtest against equal weight.")

require_stored_symbols()
daily = stored_symbols("1d")
candidates = [s for s in daily if not s.startswith("^")]
indices = [s for s in daily if s.startswith("^")]
if len(candidates) < 2:
    st.info("The optimiser needs daily bars of at least two symbols — sync more on the **Data** page.", icon="🗄️")
    st.stop()


def default_basket(symbols: list[str], size: int = 8) -> list[str]:
    """Up to `size` symbols of the currency most symbols trade in, so cash can be allocated across them; a symbol
    with under a year of daily bars, or none in the last month of the data, stays out so the first click works."""
    cov = coverage_cached().query("interval == '1d'").set_index("symbol")
    recent = cov["last"].max() - pd.Timedelta(days=31)
    usable = [s for s in symbols if s in cov.index and cov.at[s, "bars"] >= 252 and cov.at[s, "last"] >= recent]
    by_currency: dict[str, list[str]] = {}
    for symbol in usable if len(usable) >= 2 else symbols:
        by_currency.setdefault(instrument_for(symbol).currency, []).append(symbol)
    return max(by_currency.values(), key=len)[:size]


def target_inputs(objective: str) -> dict[str, float]:
    """Only the inputs the objective uses, plus the risk-free rate (all annual, entered in percent)."""
    c = st.columns(3)
    out = {"risk_free_rate": c[0].number_input("Risk-free rate % (annual)", -5.0, 50.0, 0.0, 0.25,
                                                key=f"{P}_rf") / 100}
    if objective == "efficient_risk":
        out["target_volatility"] = c[1].number_input("Target volatility % (annual)", 0.1, 200.0, 20.0, 1.0,
                                                     key=f"{P}_target_vol") / 100
    elif objective == "efficient_return":
        out["target_return"] = c[1].number_input("Target return % (annual)", -50.0, 200.0, 12.0, 1.0,
                                                 key=f"{P}_target_return") / 100
    elif objective == "max_quadratic_utility":
        out["risk_aversion"] = c[1].number_input("Risk aversion", 0.01, 100.0, 1.0, 0.5, key=f"{P}_risk_aversion")
    return out


def constraint_inputs(chosen: list[str], sectors: dict[str, str], is_hrp: bool) -> Constraints:
    c = st.columns(3)
    help_hrp = "HRP takes no bounds, caps or L2" if is_hrp else None
    low = c[0].number_input("Min weight %", 0.0, 100.0, 0.0, 1.0, key=f"{P}_min_w", disabled=is_hrp, help=help_hrp)
    high = c[1].number_input("Max weight %", 1.0, 100.0, 100.0, 5.0, key=f"{P}_max_w", disabled=is_hrp,
                             help=help_hrp)
    gamma = c[2].number_input("L2 gamma", 0.0, 10.0, 0.0, 0.05, key=f"{P}_l2", disabled=is_hrp,
                              help="> 0 spreads the weights over more assets")
    if is_hrp:
        return Constraints(sector_map=sectors)
    with st.expander("Sector caps"):
        caps = ui.sector_caps_editor({s: sectors[s] for s in chosen if s in sectors})
    return Constraints(low / 100, high / 100, sectors, caps, gamma)


def bl_inputs(chosen: list[str]) -> tuple[BlackLittermanSpec | None, list[str]]:
    with st.expander("Black-Litterman views"):
        use = st.toggle("Use Black-Litterman", key=f"{P}_bl", help="Market-implied prior tilted by your views; "
                        "replaces the expected-return estimate")
        views, problems = ui.views_editor(chosen)
        st.caption("Market caps for the prior (optional; equal caps when left empty)")
        caps = ui.market_caps_editor(chosen)
        c = st.columns(2)
        delta = c[0].number_input("Risk aversion δ (0 = from the benchmark, else 2.5)", 0.0, 50.0, 0.0, 0.25,
                                  key=f"{P}_delta")
        tau = c[1].number_input("τ (weight on views)", 0.01, 1.0, 0.05, 0.01, key=f"{P}_tau")
    if not use:
        return None, []
    return BlackLittermanSpec(views=tuple(views), market_caps=caps, risk_aversion=delta or None, tau=tau), problems


def benchmark_input(needed: bool) -> str:
    if not needed or not indices:
        return NO_BENCHMARK
    options = [NO_BENCHMARK, *indices]
    default = options.index("^NSEI") if "^NSEI" in options else 0
    return st.selectbox("Benchmark (CAPM market, Black-Litterman δ)", options, index=default, key=f"{P}_benchmark")


with st.container(border=True):
    c = st.columns([3, 1])
    chosen = c[0].multiselect("Symbols", candidates, default=default_basket(candidates), key=f"{P}_symbols",
                              max_selections=30)
    lookback = c[1].selectbox("Lookback", list(LOOKBACKS), index=2, key=f"{P}_lookback",
                              help="Daily bars used to estimate returns and risk")
    c = st.columns(3)
    objective = c[0].selectbox("Objective", list(OBJECTIVES), format_func=OBJECTIVES.get, key=f"{P}_objective")
    returns = c[1].selectbox("Expected returns", list(RETURN_METHODS), format_func=RETURN_METHODS.get,
                             key=f"{P}_returns")
    risk = c[2].selectbox("Risk model", list(RISK_METHODS), index=1, format_func=RISK_METHODS.get, key=f"{P}_risk")
    targets = target_inputs(objective)
    try:
        sectors = ui.universe_cached(tuple(chosen)).sectors if len(chosen) >= 2 else {}
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        st.stop()
    constraints = constraint_inputs(chosen, sectors, objective == "hrp")
    bl, view_problems = bl_inputs(chosen)
    benchmark = benchmark_input(returns == "capm" or bl is not None)
    mode = st.selectbox("Backtest", list(BACKTEST_MODES), format_func=BACKTEST_MODES.get, key=f"{P}_bt_mode")
    for problem in view_problems:
        st.warning(problem, icon="⚠️")
    ready = len(chosen) >= 2 and not view_problems
    if len(chosen) < 2:
        st.warning("Pick at least two symbols.")
    clicked = st.button("Optimise", type="primary", disabled=not ready, key=f"{P}_run", icon="⚖️")


def benchmark_prices(symbol: str) -> pd.Series | None:
    return None if symbol == NO_BENCHMARK else adjusted_close(load_bars_cached(symbol, "1d", False))


def run_backtest(prices: pd.DataFrame, spec: OptimizeSpec, bench: pd.Series | None, bars: int, frequency: int,
                 progress: Any) -> Any:
    """The allocation backtest of `mode` (re-optimised monthly, or fixed after the in-sample window)."""
    def step(done: int, total: int) -> None:
        progress.progress(0.5 + 0.5 * done / total, text=f"Backtest: month {done} / {total}")

    if mode == "reoptimised":
        return backtest_reoptimised(prices, lambda past: optimise(past, spec, benchmark=bench).weights,
                                    lookback=bars, capital=100.0, frequency=frequency,
                                    risk_free_rate=spec.risk_free_rate, progress=step)
    in_sample = optimise(prices.iloc[:bars], spec, benchmark=bench).weights
    return backtest_fixed(prices, in_sample, start=prices.index[min(bars, len(prices) - 1)], capital=100.0,
                          frequency=frequency, risk_free_rate=spec.risk_free_rate)


def compute() -> dict[str, Any]:
    """Optimise on the lookback window, trace the frontier, backtest; raises QuantdeskError for bad input."""
    progress = st.progress(0.0, text="Loading prices…")
    prices = ui.universe_cached(tuple(chosen)).prices
    bars = LOOKBACKS[lookback]
    bench = benchmark_prices(benchmark)
    spec = OptimizeSpec(objective=objective, returns_method=returns, risk_method=risk, constraints=constraints,
                        black_litterman=bl, **targets)
    progress.progress(0.15, text="Optimising…")
    result = optimise(prices.tail(bars), spec, benchmark=bench)
    progress.progress(0.3, text="Tracing the efficient frontier…")
    frontier, frontier_error = None, ""
    try:
        frontier = efficient_frontier(result.expected_returns, result.cov, constraints, n_points=FRONTIER_POINTS,
                                      risk_free_rate=spec.risk_free_rate)
    except QuantdeskError as exc:
        frontier_error = str(exc)
    progress.progress(0.5, text="Backtesting…")
    backtest, backtest_error = None, ""
    try:
        backtest = run_backtest(prices, spec, bench, bars, result.frequency, progress)
    except QuantdeskError as exc:
        backtest_error = str(exc)
    progress.empty()
    return {"symbols": tuple(chosen), "bars": min(bars, len(prices)), "result": result, "frontier": frontier,
            "frontier_error": frontier_error, "backtest": backtest, "backtest_error": backtest_error,
            "views_in_backtest": bool(bl and bl.views)}


if clicked and ready:
    try:
        st.session_state[f"{P}_bundle"] = compute()
    except QuantdeskError as exc:
        st.session_state.pop(f"{P}_bundle", None)
        st.error(str(exc), icon="⚠️")

bundle = st.session_state.get(f"{P}_bundle")
if bundle:
    universe = ui.universe_cached(bundle["symbols"])
    data_badge(list(bundle["symbols"]))
    result = bundle["result"]
    ui.headline(result)
    st.caption(f"Estimated on the last {bundle['bars']:,} shared daily bars to "
               f"{universe.prices.index[-1]:%d %b %Y}.")
    ui.weights_section(result)
    if bundle["frontier"] is not None:
        ui.frontier_section(bundle["frontier"], result)
    else:
        st.warning(f"No frontier: {bundle['frontier_error']}", icon="⚠️")
    ui.allocation_section(result, universe)
    if bundle["backtest"] is not None:
        currencies = {f.currency for f in universe.facts.values()}
        ui.backtest_section(bundle["backtest"], currencies.pop() if len(currencies) == 1 else "")
        if bundle["views_in_backtest"]:
            st.caption("ℹ️ Your Black-Litterman views are applied in every month of the backtest, so it is not "
                       "free of hindsight.")
    else:
        st.info(f"No backtest: {bundle['backtest_error']}", icon="ℹ️")
elif not clicked:
    st.info("Pick symbols and an objective, then click **Optimise**.", icon="⚖️")
