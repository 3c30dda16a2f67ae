"""Benchmark: ingest 100 symbols x 10 years of daily demo bars into SQLite and read one back, vs pandas to_sql/read_sql."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
N_SYMBOLS = 100
YEARS = 10
READ_REPEATS = 15
GOAL_INGEST_S = 5.0
GOAL_READ_MS = 20.0
NOW = pd.Timestamp("2025-06-30 12:00", tz="UTC")


def universe(n: int = N_SYMBOLS) -> list[str]:
    """A mix of NSE, US and crypto symbols (different calendars, so different bar counts)."""
    return [f"SYM{i}.NS" if i % 3 == 0 else (f"SYM{i}" if i % 3 == 1 else f"SYM{i}-USD") for i in range(n)]


def fresh_engine(folder: Path, name: str):  # noqa: ANN201 - sqlalchemy Engine
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{folder / name}")
    upgrade(engine)
    return engine


def best_ms(func: Callable[[], object], repeats: int = READ_REPEATS) -> float:
    func()  # warm caches
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def _as_rows(symbol: str, bars: pd.DataFrame) -> pd.DataFrame:
    """The candles-table layout pandas to_sql needs (epoch seconds, symbol/interval/source columns)."""
    rows = bars.reset_index()
    rows["ts"] = (rows["ts"].astype("int64") // 10**9).astype("int64")
    rows.insert(0, "interval", "1d")
    rows.insert(0, "symbol", symbol)
    rows["source"] = "demo"
    return rows


def main(n_symbols: int = N_SYMBOLS) -> dict[str, float]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from engine.data.providers.demo import generate_demo_bars
    from storage.candles import load_candles, upsert_candles
    from storage.db import transaction

    symbols = universe(n_symbols)
    start = NOW - pd.DateOffset(years=YEARS)
    generate_demo_bars("WARM.NS", now=NOW), generate_demo_bars("WARM", now=NOW), generate_demo_bars("W-USD", now=NOW)
    t0 = time.perf_counter()
    data = {s: generate_demo_bars(s, start=start, now=NOW) for s in symbols}
    generate_s = time.perf_counter() - t0
    n_rows = sum(len(b) for b in data.values())

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours, peer = fresh_engine(folder, "ours.db"), fresh_engine(folder, "peer.db")
        t0 = time.perf_counter()
        for symbol, bars in data.items():
            with transaction(ours) as session:  # one transaction per symbol, as sync does
                upsert_candles(session, symbol, "1d", bars, "demo")
        ingest_s = time.perf_counter() - t0

        rows = {s: _as_rows(s, b) for s, b in data.items()}
        t0 = time.perf_counter()
        for frame in rows.values():
            with peer.begin() as conn:
                frame.to_sql("candles", conn, if_exists="append", index=False)
        peer_ingest_s = time.perf_counter() - t0

        probe = symbols[0]
        read_ms = best_ms(lambda: load_candles(ours, probe, "1d"))
        query = "SELECT * FROM candles WHERE symbol = ? AND interval = ? ORDER BY ts"

        def pandas_read() -> pd.DataFrame:
            with peer.connect() as conn:
                frame = pd.read_sql(query, conn.connection.dbapi_connection, params=(probe, "1d"))
            frame.index = pd.to_datetime(frame.pop("ts"), unit="s", utc=True)
            return frame

        peer_read_ms = best_ms(pandas_read)
        bars_read = len(load_candles(ours, probe, "1d"))
        ours.dispose(), peer.dispose()

    results = {"symbols": n_symbols, "rows": n_rows, "generate_s": generate_s, "ingest_s": ingest_s,
               "to_sql_s": peer_ingest_s, "ingest_ratio": ingest_s / peer_ingest_s, "read_ms": read_ms,
               "read_sql_ms": peer_read_ms, "read_ratio": read_ms / peer_read_ms, "bars_read": bars_read}
    _print(results)
    return results


def _print(r: dict[str, float]) -> None:
    print(f"storage: {r['symbols']} symbols x {YEARS} years daily demo bars = {r['rows']:,} rows "
          f"(generated in {r['generate_s']:.2f} s)")
    ok = "ok" if r["ingest_s"] < GOAL_INGEST_S else "SLOW"
    print(f"ingest  upsert_candles {r['ingest_s']:6.2f} s   pandas to_sql {r['to_sql_s']:6.2f} s   "
          f"ratio {r['ingest_ratio']:.2f}   goal < {GOAL_INGEST_S:.0f} s: {ok}")
    ok = "ok" if r["read_ms"] < GOAL_READ_MS else "SLOW"
    print(f"read    load_candles   {r['read_ms']:6.2f} ms  pandas read_sql {r['read_sql_ms']:6.2f} ms  "
          f"ratio {r['read_ratio']:.2f}   goal < {GOAL_READ_MS:.0f} ms ({r['bars_read']} bars, best of "
          f"{READ_REPEATS}): {ok}")


if __name__ == "__main__":
    main()
