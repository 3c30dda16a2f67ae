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
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import GOOG, SMA

    class SmaCross(Strategy):
        n1, n2 = FAST, SLOW

        def init(self) -> None:
            self.fast = self.I(SMA, self.data.Close, self.n1)
            self.slow = self.I(SMA, self.data.Close, self.n2)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.buy(size=0.95)
            elif crossover(self.slow, self.fast):
                self.position.close()

    bt = Backtest(GOOG, SmaCross, cash=CASH, commission=COMMISSION, finalize_trades=True)

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
    backtesting.py always computes its stats inside `run()`.
    """
    import engine.strategies  # noqa: F401  (registers the built-in strategies)
    from engine.backtest import BacktestConfig, run_backtest
    from engine.strategies.registry import make_strategy

    bars = goog_bars()
    strategy = make_strategy("sma_cross", fast=FAST, slow=SLOW)
    config = BacktestConfig(cash=CASH, costs=COMMISSION)
    theirs_run = _backtesting_py_run()

    signals = strategy.signals(bars)
    precomputed = _Precomputed(signals)
    engine_only = best_time(lambda: run_backtest(bars, precomputed, config), repeats)
    ours = best_time(lambda: run_backtest(bars, strategy, config), repeats)
    ours_stats = best_time(lambda: run_backtest(bars, strategy, config).stats, repeats)
    theirs = best_time(theirs_run, repeats)

    result, reference = run_backtest(bars, strategy, config), theirs_run()
    same = len(result.trades) == reference["# Trades"]
    print(f"== Single backtest: sma_cross({FAST},{SLOW}) on GOOG daily, {len(bars):,} bars, "
          f"best of {repeats} ==")
    print(f"  quantdesk run            {ours * 1e3:8.2f} ms   (strategy signals + engine)")
    print(f"  quantdesk engine only    {engine_only * 1e3:8.2f} ms   (signals computed beforehand)")
    print(f"  quantdesk run + stats    {ours_stats * 1e3:8.2f} ms")
    print(f"  backtesting.py run       {theirs * 1e3:8.2f} ms   (stats included)")
    print(f"  ratio run / theirs       {ours / theirs:8.3f}   (target <= {SINGLE_RUN_TARGET})")
    print(f"  ratio engine / theirs    {engine_only / theirs:8.3f}")
    print(f"  ratio run+stats / theirs {ours_stats / theirs:8.3f}")
    print(f"  sanity: trades {len(result.trades)} vs {reference['# Trades']} -> "
          f"{'same trade count' if same else 'DIFFERENT trade count'}")
    return {"ours_ms": ours * 1e3, "ours_stats_ms": ours_stats * 1e3, "engine_ms": engine_only * 1e3,
            "theirs_ms": theirs * 1e3,
            "ratio": ours / theirs, "ratio_with_stats": ours_stats / theirs, "same_trades": float(same)}


# ---------------------------------------------------------------------------------------------
# Section 2: parameter sweep — added by the sweep's author (engine/backtest sweep module).
# Define `bench_sweep(repeats: int) -> dict[str, float]` here; main() calls it when present.
# ---------------------------------------------------------------------------------------------


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
