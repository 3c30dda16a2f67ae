"""Benchmarks: SMA-cross backtest vs backtesting.py (single run, sweep) and the indicator benchmark.

Run: `.venv/bin/python benchmarks/bench_backtest.py [--repeats 7] [--no-indicators]`. Every ratio is
ours / the peer's time, both measured in this same process (best of several runs).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

SINGLE_RUN_TARGET = 0.1  # one backtest must take at most 0.1x backtesting.py's time
FAST, SLOW, COMMISSION, CASH = 10, 20, 0.002, 100_000.0


def best_time(func: Callable[[], object], repeats: int) -> float:
    """Best wall-clock seconds of `repeats` calls after one untimed warm-up call."""
    func()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def goog_bars() -> pd.DataFrame:
    """Real daily GOOG 2004-2013 (2,148 bars, shipped with backtesting.py) as Quantdesk bars."""
    from backtesting.test import GOOG

    bars = GOOG.rename(columns=str.lower).copy()
    bars.index = bars.index.tz_localize("UTC")
    bars.index.name = "ts"
    bars["adj_close"] = bars["close"]
    return bars.astype(float)


def _backtesting_py_run() -> Callable[[], pd.Series]:
    """A zero-argument callable running the same long-only SMA cross in backtesting.py."""
    from backtesting import Backtest
    from backtesting.test import GOOG

    bt = Backtest(GOOG, _btpy_sweep_strategy(), cash=CASH, commission=COMMISSION, finalize_trades=True)

    def run() -> pd.Series:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):  # progress bar, warnings
            warnings.simplefilter("ignore")
            return bt.run()

    return run


class _Precomputed:
    """Hands back signals computed beforehand, to time the backtest engine without the strategy."""

    name = "precomputed"

    def __init__(self, signals: object) -> None:
        self.p: dict[str, object] = {}
        self._signals = signals

    def signals(self, bars: pd.DataFrame) -> object:
        return self._signals


# ---------------------------------------------------------------------------------------------
# Section 1: one SMA-cross backtest on ten years of daily bars
# ---------------------------------------------------------------------------------------------
def bench_single_run(repeats: int = 7) -> dict[str, float]:
    """Time one full backtest (signals + fills + result) of ours vs backtesting.py; print the ratios.

    Our stats are computed on first access, so the run is timed with and without them;
    backtesting.py always computes its stats inside `run()`. The two libraries are timed in
    interleaved rounds (one backtesting.py run, then the best of a few of ours) because on a shared
    machine the speed drifts by tens of percent between seconds: each round's ratio compares runs
    made moments apart, and the verdict uses the median round.
    """
    import statistics

    import engine.strategies  # noqa: F401  (registers the built-in strategies)
    from engine.backtest import BacktestConfig, run_backtest
    from engine.strategies.registry import make_strategy

    bars = goog_bars()
    strategy = make_strategy("sma_cross", fast=FAST, slow=SLOW)
    config = BacktestConfig(cash=CASH, costs=COMMISSION)
    theirs_run = _backtesting_py_run()
    precomputed = _Precomputed(strategy.signals(bars))

    def engine_only() -> object:
        return run_backtest(bars, precomputed, config)

    def ours_run() -> object:
        return run_backtest(bars, strategy, config)

    def ours_with_stats() -> object:
        return run_backtest(bars, strategy, config).stats

    rounds: dict[str, list[float]] = {"theirs": [], "engine": [], "ours": [], "ours_stats": []}
    for func in (theirs_run, engine_only, ours_run, ours_with_stats):
        func()  # warm-up: imports, numba caches, first-call costs
    for _ in range(repeats):
        rounds["theirs"].append(best_time(theirs_run, 1))
        rounds["engine"].append(best_time(engine_only, 5))
        rounds["ours"].append(best_time(ours_run, 5))
        rounds["ours_stats"].append(best_time(ours_with_stats, 5))
    best = {k: min(v) for k, v in rounds.items()}
    theirs = best["theirs"]

    def median_ratio(key: str) -> float:
        return statistics.median(o / t for o, t in zip(rounds[key], rounds["theirs"], strict=True))

    ratio, ratio_engine, ratio_stats = median_ratio("ours"), median_ratio("engine"), median_ratio("ours_stats")
    spread = sorted(o / t for o, t in zip(rounds["ours_stats"], rounds["theirs"], strict=True))
    result, reference = run_backtest(bars, strategy, config), theirs_run()
    same = len(result.trades) == reference["# Trades"]
    print(f"== Single backtest: sma_cross({FAST},{SLOW}) on GOOG daily, {len(bars):,} bars, "
          f"{repeats} interleaved rounds ==")
    print(f"  quantdesk run            {best['ours'] * 1e3:8.2f} ms   (strategy signals + engine; best)")
    print(f"  quantdesk engine only    {best['engine'] * 1e3:8.2f} ms   (signals computed beforehand)")
    print(f"  quantdesk run + stats    {best['ours_stats'] * 1e3:8.2f} ms")
    print(f"  backtesting.py run       {theirs * 1e3:8.2f} ms   (stats included; best, slowest round "
          f"{max(rounds['theirs']) * 1e3:.2f} ms)")
    print(f"  ratio run / theirs       {ratio:8.3f}   (median round; target <= {SINGLE_RUN_TARGET})")
    print(f"  ratio engine / theirs    {ratio_engine:8.3f}")
    print(f"  ratio run+stats / theirs {ratio_stats:8.3f}   (like for like: theirs includes its stats; rounds "
          f"{spread[0]:.3f}..{spread[-1]:.3f})")
    verdict = "ok" if ratio_stats <= SINGLE_RUN_TARGET else "SLOW"
    print(f"  verdict: {verdict} (run + stats against the target of {SINGLE_RUN_TARGET}x)")
    print(f"  sanity: trades {len(result.trades)} vs {reference['# Trades']} -> "
          f"{'same trade count' if same else 'DIFFERENT trade count'}")
    return {"ours_ms": best["ours"] * 1e3, "ours_stats_ms": best["ours_stats"] * 1e3,
            "engine_ms": best["engine"] * 1e3, "theirs_ms": theirs * 1e3,
            "ratio": ratio, "ratio_with_stats": ratio_stats, "same_trades": float(same)}


# ---------------------------------------------------------------------------------------------
# Section 2: parameter sweep — added by the sweep's author (engine/backtest sweep module).
# Define `bench_sweep(repeats: int) -> dict[str, float]` here; main() calls it when present.
# ---------------------------------------------------------------------------------------------
SWEEP_FAST = range(5, 100, 2)  # 48 values
SWEEP_SLOW = range(10, 299, 3)  # 97 values; 3,951 of the 4,656 pairs have fast < slow
BTPY_SAMPLE = 150  # backtesting.py combinations actually run; its full-grid time is extrapolated
SANITY_PAIR = (11, 19)  # a grid point whose trade counts are compared between the libraries


def sweep_pairs() -> list[tuple[int, int]]:
    return [(f, s) for f in SWEEP_FAST for s in SWEEP_SLOW if f < s]


def _ours_sweep(bars: pd.DataFrame, n_jobs: int | None) -> Callable[[], object]:
    from engine.backtest import BacktestConfig
    from engine.backtest.sweep import run_sweep

    space = {"fast": list(SWEEP_FAST), "slow": list(SWEEP_SLOW)}
    config = BacktestConfig(cash=CASH, costs=COMMISSION)
    return lambda: run_sweep(bars, "sma_cross", space, config, objective="sharpe", n_jobs=n_jobs)


def _btpy_sweep_strategy() -> type:
    """backtesting.py's SMA cross (fast/slow = n1/n2) as a module-level class, for the single run and the
    sweep alike: optimize() pickles it to its worker processes."""
    from backtesting import Strategy
    from backtesting.lib import crossover
    from backtesting.test import SMA

    class BtpySweepCross(Strategy):
        n1, n2 = FAST, SLOW

        def init(self) -> None:
            self.fast = self.I(SMA, self.data.Close, self.n1)
            self.slow = self.I(SMA, self.data.Close, self.n2)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.buy(size=0.95)
            elif crossover(self.slow, self.fast):
                self.position.close()

    BtpySweepCross.__qualname__ = BtpySweepCross.__name__
    globals()[BtpySweepCross.__name__] = BtpySweepCross
    return BtpySweepCross


def _backtesting_py_optimize() -> tuple[float, int]:
    """(seconds, combinations run) for Backtest.optimize on a seeded random sample of the same grid."""
    from backtesting import Backtest
    from backtesting.test import GOOG

    bt = Backtest(GOOG, _btpy_sweep_strategy(), cash=CASH, commission=COMMISSION, finalize_trades=True)
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        _, heatmap = bt.optimize(n1=list(SWEEP_FAST), n2=list(SWEEP_SLOW), constraint=lambda p: p.n1 < p.n2,
                                 maximize="Sharpe Ratio", max_tries=BTPY_SAMPLE, random_state=0,
                                 return_heatmap=True)
        seconds = time.perf_counter() - start
    return seconds, len(heatmap)


def _vectorbt_sweep(bars: pd.DataFrame) -> Callable[[], object] | None:
    """The same grid in vectorbt: MAs per pair, crossings, next-open fills, the same metrics."""
    try:
        import numpy as np
        import vectorbt as vbt
    except ImportError:
        return None
    vbt.settings.returns["year_freq"] = "252 days"
    pairs = sweep_pairs()
    close, open_ = bars["close"], bars["open"]
    columns = pd.MultiIndex.from_tuples(pairs, names=["fast", "slow"])

    def run() -> object:
        fast = vbt.MA.run(close, window=[f for f, _ in pairs]).ma.to_numpy()
        slow = vbt.MA.run(close, window=[s for _, s in pairs]).ma.to_numpy()
        fast_df, slow_df = pd.DataFrame(fast, close.index, columns), pd.DataFrame(slow, close.index, columns)
        entries = fast_df.vbt.crossed_above(slow_df).shift(1, fill_value=False)  # fill at the next open
        exits = fast_df.vbt.crossed_below(slow_df).shift(1, fill_value=False)
        pf = vbt.Portfolio.from_signals(close, entries, exits, price=np.broadcast_to(open_.to_numpy()[:, None],
                                        fast.shape), size=0.95, size_type="percent", fees=COMMISSION,
                                        init_cash=CASH, freq="1D")
        return pd.DataFrame({
            "total_return": pf.total_return(), "cagr": pf.annualized_return(), "sharpe": pf.sharpe_ratio(),
            "sortino": pf.sortino_ratio(), "max_drawdown": pf.max_drawdown(), "win_rate": pf.trades.win_rate(),
            "profit_factor": pf.trades.profit_factor(), "n_trades": pf.trades.count(), "final": pf.final_value(),
        })

    return run


def bench_sweep(repeats: int = 7) -> dict[str, float]:
    """Time a ~4,000-combination SMA grid: ours (all cores and one core) vs backtesting.py's optimize
    (a sample, extrapolated) and vectorbt (if importable; first call and warm). Prints ours/peer ratios."""
    import engine.strategies  # noqa: F401  (registers the built-in strategies)

    bars, n = goog_bars(), len(sweep_pairs())
    runs = max(1, min(repeats, 3))  # a sweep takes seconds; three timed runs are plenty
    ours_all, cpu_all = _wall_and_cpu(_ours_sweep(bars, None), runs)
    ours_one, cpu_one = _wall_and_cpu(_ours_sweep(bars, 1), runs)
    result = _ours_sweep(bars, 1)()
    print(f"== Sweep: sma_cross grid fast {SWEEP_FAST.start}..{SWEEP_FAST.stop - 1} step {SWEEP_FAST.step} x "
          f"slow {SWEEP_SLOW.start}..{SWEEP_SLOW.stop - 1} step {SWEEP_SLOW.step} = {n:,} valid pairs on GOOG daily, "
          f"{len(bars):,} bars, best of {runs} ==")
    print(f"  quantdesk run_sweep, {os.cpu_count()} cores   {ours_all:8.2f} s   (CPU {cpu_all:.2f} s incl. workers; "
          f"fast path: {result.fast_path})")
    print(f"  quantdesk run_sweep, 1 core      {ours_one:8.2f} s   (CPU {cpu_one:.2f} s; "
          f"{cpu_one / n * 1e3:.2f} ms CPU per combination)")
    out = {"combinations": float(n), "ours_s": ours_all, "ours_1core_s": ours_one}
    seconds, ran = _backtesting_py_optimize()
    full = seconds / ran * n
    print(f"  backtesting.py optimize          {seconds:8.2f} s   for {ran} sampled combinations (all cores)")
    print(f"  backtesting.py, full grid        {full:8.2f} s   EXTRAPOLATED from the sample")
    print(f"  ratio ours / backtesting.py      {ours_all / full:8.4f}   (extrapolated peer time)")
    out.update(btpy_sample_s=seconds, btpy_sample_n=float(ran), btpy_extrapolated_s=full, ratio_btpy=ours_all / full)
    vbt_run = _vectorbt_sweep(bars)
    if vbt_run is None:
        print("  vectorbt                         not installed (pip install -r requirements-bench.txt)")
        return out
    start = time.perf_counter()
    table = vbt_run()
    first = time.perf_counter() - start
    warm = min(_timed(vbt_run) for _ in range(runs))
    ours_trades = int(result.table.set_index(["fast", "slow"]).loc[SANITY_PAIR, "n_trades"])
    print(f"  vectorbt first call              {first:8.2f} s   (numba JIT compile or cache load)")
    print(f"  vectorbt warm                    {warm:8.2f} s   (1 core: vectorbt does not use processes)")
    print(f"  ratio ours / vectorbt warm       {ours_all / warm:8.3f}   ({os.cpu_count()} cores vs 1)")
    print(f"  ratio ours 1 core / vectorbt     {ours_one / warm:8.3f}   (1 core each)")
    print(f"  sanity: trades for {SANITY_PAIR} ours {ours_trades} vs vectorbt {int(table.loc[SANITY_PAIR, 'n_trades'])}")
    out.update(vbt_first_s=first, vbt_warm_s=warm, ratio_vbt=ours_all / warm, ratio_vbt_1core=ours_one / warm)
    return out


def _wall_and_cpu(func: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of `repeats` calls after a warm-up; CPU counts worker processes
    too, so it shows the work done whatever else the machine is running."""
    func()
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), os.times()
        func()
        t1, c1 = time.perf_counter(), os.times()
        cpu = (c1.user + c1.system + c1.children_user + c1.children_system) - (
            c0.user + c0.system + c0.children_user + c0.children_system)
        best = min(best, (t1 - t0, cpu))
    return best


def _timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# Section 3: indicators (benchmarks/bench_indicators.py, imported by path)
# ---------------------------------------------------------------------------------------------
def bench_indicators() -> object:
    path = Path(__file__).resolve().parent / "bench_indicators.py"
    if not path.exists():
        print(f"== Indicators: skipped ({path.name} not found) ==")
        return None
    spec = importlib.util.spec_from_file_location("bench_indicators", path)
    if spec is None or spec.loader is None:
        print(f"== Indicators: skipped ({path.name} cannot be imported) ==")
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "main"):
        print(f"== Indicators: skipped ({path.name} has no main()) ==")
        return None
    return module.main()


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement (best is kept)")
    parser.add_argument("--no-indicators", action="store_true", help="skip the indicator benchmark")
    args = parser.parse_args(argv)
    results: dict[str, object] = {"single_run": bench_single_run(args.repeats)}
    sweep = globals().get("bench_sweep")
    if callable(sweep):
        results["sweep"] = sweep(args.repeats)
    if not args.no_indicators:
        results["indicators"] = bench_indicators()
    return results


if __name__ == "__main__":
    main()
