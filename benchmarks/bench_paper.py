"""Benchmark: one paper tick (`tick_all`, no sync) over 50 running deployments on stored daily demo bars.

Each deployment computes its strategy on a year of history plus its trading days, steps the newly
closed bar and commits orders, positions and equity in one transaction. Goal: < 1 s per tick.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
N_DEPLOYMENTS = 50
SYMBOLS = [f"SYM{i}.NS" for i in range(10)]
STRATEGIES = [("sma_cross", {"fast": 10, "slow": 30}), ("ema_cross", {}), ("rsi_reversion", {}),
              ("macd_cross", {}), ("donchian_breakout", {"trailing_pct": 0.05})]
NOW = pd.Timestamp("2025-06-30 12:00", tz="UTC")
START = pd.Timestamp("2025-01-01", tz="UTC")
GOAL_MS = 1000.0
REPEATS = 5


def setup(folder: Path):  # noqa: ANN201 - sqlalchemy Engine
    from engine.data.providers.demo import DemoProvider
    from engine.data.sync import sync_symbols
    from engine.paper.deployments import DeploymentSpec, create_deployment
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    sync_symbols(engine, SYMBOLS, "1d", start="2024-01-01", provider=DemoProvider(now=NOW))
    for k in range(N_DEPLOYMENTS):
        name, params = STRATEGIES[k % len(STRATEGIES)]
        symbols = [SYMBOLS[k % len(SYMBOLS)]] if k % 4 else SYMBOLS[k % 7: k % 7 + 3]
        spec = DeploymentSpec(name, symbols, params, config={"costs": "nse_delivery", "slippage_bps": 5},
                              start=START, history_start="2024-01-01")
        create_deployment(engine, spec)
    return engine


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from engine.paper.clock import bar_close_time
    from engine.paper.runner import tick_all
    from storage.candles import load_candles

    with tempfile.TemporaryDirectory() as tmp:
        engine = setup(Path(tmp))
        days = load_candles(engine, SYMBOLS[0], "1d", start=START).index
        catch_up = tick_all(engine, bar_close_time(SYMBOLS[0], "1d", days[-REPEATS - 2]), sync=False)
        print(f"catch-up tick over {catch_up['due']} deployments ({len(days) - REPEATS - 1} bars each): "
              f"{catch_up['ms']:.0f} ms, {catch_up['orders']} orders")
        times = []
        for day in days[-REPEATS - 1:-1]:
            summary = tick_all(engine, bar_close_time(SYMBOLS[0], "1d", day), sync=False)
            assert summary["ok"] == N_DEPLOYMENTS, summary
            times.append(summary["ms"])
        idle = tick_all(engine, bar_close_time(SYMBOLS[0], "1d", days[-2]), sync=False)
    best, median = min(times), sorted(times)[len(times) // 2]
    print(f"one tick, {N_DEPLOYMENTS} deployments, one new daily bar each: best {best:.0f} ms, "
          f"median {median:.0f} ms ({median / N_DEPLOYMENTS:.1f} ms per deployment); goal < {GOAL_MS:.0f} ms")
    print(f"repeated tick with no new bar (idempotent no-op): {idle['ms']:.0f} ms")
    return 0 if median < GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
