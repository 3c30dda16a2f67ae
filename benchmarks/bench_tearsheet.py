"""Benchmark: a 10-year daily tear sheet (2,520 bars, all figures + metrics + HTML) vs quantstats.

Run: `.venv/bin/python benchmarks/bench_tearsheet.py [--repeats 5] [--peer-repeats 1] [--no-peer]`.
Ours is timed end to end (`tearsheet_html`: numbers, every figure, self-contained HTML); the peer is
`quantstats.reports.html` (matplotlib figures, runs offline) and, for the numbers alone,
`quantstats.reports.metrics(mode="full")` against our `build_tearsheet`. Ratios are ours / the peer's
time, measured in this same process (best of several runs after one warm-up).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

N_BARS = 2_520
TARGET_SECONDS = 1.0
NOW = pd.Timestamp("2024-06-28", tz="UTC")


def best_time(func: Callable[[], object], repeats: int, warm_up: bool = True) -> float:
    """Best wall-clock seconds of `repeats` calls (after one untimed warm-up call when asked)."""
    if warm_up:
        func()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def curves() -> tuple[pd.Series, pd.Series]:
    """The last 2,520 demo sessions of RELIANCE.NS (as a NAV) and ^NSEI (the benchmark)."""
    from engine.data.providers.demo import generate_demo_bars

    equity = generate_demo_bars("RELIANCE.NS", "1d", "2010-01-01", now=NOW)["close"].iloc[-N_BARS:] * 100
    bench = generate_demo_bars("^NSEI", "1d", "2010-01-01", now=NOW)["close"].rename("^NSEI")
    return equity, bench.loc[equity.index[0]:]


def ours(equity: pd.Series, bench: pd.Series, repeats: int) -> dict[str, float]:
    from engine.tearsheet import build_tearsheet, render_html, tearsheet_figures, tearsheet_html

    sheet = build_tearsheet(equity, bench)
    return {
        "numbers (build_tearsheet)": best_time(lambda: build_tearsheet(equity, bench), repeats),
        "figures (tearsheet_figures)": best_time(lambda: tearsheet_figures(sheet), repeats),
        "HTML of a built sheet (render_html)": best_time(lambda: render_html(sheet, "bench"), repeats),
        "end to end (tearsheet_html)": best_time(lambda: tearsheet_html(equity, bench, "bench"), repeats),
    }


def peer(equity: pd.Series, bench: pd.Series, repeats: int) -> dict[str, float]:
    """quantstats on the same returns (naive index, as quantstats expects)."""
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    import quantstats as qs

    returns = equity.pct_change().dropna()
    returns.index = returns.index.tz_localize(None)
    bench_returns = bench.reindex(equity.index).ffill().pct_change().dropna()
    bench_returns.index = bench_returns.index.tz_localize(None)
    out = Path(tempfile.mkdtemp()) / "quantstats.html"

    def metrics() -> object:
        return qs.reports.metrics(returns, benchmark=bench_returns, mode="full", display=False)

    def report() -> None:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            qs.reports.html(returns, benchmark=bench_returns, output=str(out), title="bench")

    return {
        "numbers (reports.metrics full)": best_time(metrics, max(repeats, 1)),
        "full report (reports.html)": best_time(report, repeats, warm_up=False),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of ours (best is kept)")
    parser.add_argument("--peer-repeats", type=int, default=1, help="timed quantstats report runs (~40 s each)")
    parser.add_argument("--no-peer", action="store_true", help="time ours only")
    args = parser.parse_args()
    equity, bench = curves()
    print(f"tear sheet of {len(equity):,} daily bars ({equity.index[0]:%Y-%m-%d} to {equity.index[-1]:%Y-%m-%d}) "
          f"vs {bench.name}")
    our_times = ours(equity, bench, args.repeats)
    for label, seconds in our_times.items():
        print(f"  ours  {label:<38} {seconds * 1000:9.1f} ms")
    total = our_times["end to end (tearsheet_html)"]
    verdict = "OK" if total < TARGET_SECONDS else "SLOW"
    print(f"  goal: end to end < {TARGET_SECONDS:.1f} s -> {verdict} ({total:.3f} s)")
    if args.no_peer:
        return
    peer_times = peer(equity, bench, args.peer_repeats)
    for label, seconds in peer_times.items():
        print(f"  quantstats {label:<33} {seconds * 1000:9.1f} ms")
    print(f"  ratio numbers: ours / quantstats = "
          f"{our_times['numbers (build_tearsheet)'] / peer_times['numbers (reports.metrics full)']:.3f}")
    print(f"  ratio full tear sheet: ours / quantstats = {total / peer_times['full report (reports.html)']:.4f}")


if __name__ == "__main__":
    main()
