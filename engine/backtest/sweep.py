"""Parameter sweeps: grid or random search over a strategy's declared parameters, run in parallel."""

from __future__ import annotations

import difflib
import itertools
import logging
import math
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.backtest.config import BacktestConfig
from engine.backtest.sweep_eval import METRICS, Evaluator, init_worker, lean_stats, worker_chunk
from engine.backtest.sweep_fast import CrossoverFastPath, signals_match, supports_fast_path
from engine.errors import OptimizationError, ParameterError, StrategyError
from engine.strategies import get_strategy, origin
from engine.strategies.base import Param, Strategy

log = logging.getLogger(__name__)

METHODS = ("grid", "random")
MAX_GRID = 1_000_000  # combinations; beyond this a grid is a mistake: narrow it or sample at random
MAX_CHUNK = 250  # combinations per task sent to a worker
INLINE_BELOW = 24  # so few combinations finish faster than starting worker processes

Progress = Callable[[int, int], None]


@dataclass
class SweepResult:
    """A sweep's outcome. `table` has one row per evaluated combination (its parameters, then METRICS)
    in evaluation order; `best_params` maximises `objective` (NaN ranks last; ties keep the earlier
    row); `skipped` counts combinations refused by the strategy's validation or the constraint."""

    table: pd.DataFrame
    best_params: dict[str, Any]
    objective: str
    skipped: int
    best_value: float
    method: str = "grid"
    fast_path: bool = False
    elapsed_s: float = 0.0

    def top(self, n: int = 10) -> pd.DataFrame:
        """The `n` best rows by the objective (NaN last)."""
        return self.table.sort_values(self.objective, ascending=False, na_position="last", kind="stable").head(n)


def param_space(strategy_cls: type[Strategy], overrides: dict[str, list] | None = None, *,
                vary: Iterable[str] | None = None) -> dict[str, list]:
    """Values to sweep per parameter of `strategy_cls`.

    Numeric parameters range from low to high in steps of `step` (inclusive); parameters with
    `choices` use them; booleans try False and True; anything else keeps its default. `vary`
    limits the ranged parameters to those names (the rest keep their default, one value), and
    `overrides` replaces the values of the named parameters. Raises ParameterError for an unknown
    name or a value the parameter rejects.
    """
    known = {p.name: p for p in strategy_cls.params}
    names = set(known) if vary is None else set(vary)
    for name in [*names, *(overrides or {})]:
        _check_name(strategy_cls, name)
    space = {p.name: (_declared_values(p) if p.name in names else [p.default]) for p in strategy_cls.params}
    for name, values in (overrides or {}).items():
        space[name] = _coerce_values(known[name], values)
    return space


def _declared_values(p: Param) -> list:
    if p.choices is not None:
        return list(p.choices)
    if p.type is bool:
        return [False, True]
    if p.type in (int, float) and None not in (p.low, p.high, p.step) and p.step > 0:  # type: ignore[operator]
        count = int(math.floor((p.high - p.low) / p.step + 1e-9)) + 1  # type: ignore[operator]
        values = [p.low + k * p.step for k in range(count)]  # type: ignore[operator]
        return [int(round(v)) for v in values] if p.type is int else [round(v, 10) for v in values]
    return [p.default]


def _check_name(strategy_cls: type[Strategy], name: str) -> None:
    known = [p.name for p in strategy_cls.params]
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
        raise ParameterError(f"{strategy_cls.name} has no parameter {name!r}{hint}")


def _coerce_values(param: Param, values: Any) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        values = [values]
    out = [param.coerce(v) for v in values]
    if not out:
        raise ParameterError(f"give at least one value to sweep for parameter {param.name!r}")
    return list(dict.fromkeys(out))  # drop repeats, keep order


def check_space(strategy_cls: type[Strategy], space: dict[str, list]) -> dict[str, list]:
    """`space` with names checked and values coerced by each Param; raises ParameterError."""
    known = {p.name: p for p in strategy_cls.params}
    out = {}
    for name, values in space.items():
        _check_name(strategy_cls, name)
        out[name] = _coerce_values(known[name], values)
    return out


def combinations(space: dict[str, list], method: str = "grid", n_samples: int = 200,
                 seed: int = 0) -> list[dict[str, Any]]:
    """Parameter sets to try: the full grid (last name varies fastest) or `n_samples` distinct grid
    points drawn at random with `seed` (all of them when the grid is smaller), in grid order.

    Raises ParameterError for an unknown method; OptimizationError for a grid over MAX_GRID.
    """
    if method not in METHODS:
        raise ParameterError(f"sweep method must be 'grid' or 'random', got {method!r}")
    names, sizes = list(space), [len(v) for v in space.values()]
    total = math.prod(sizes)
    if method == "grid" or total <= n_samples:
        if total > MAX_GRID:
            raise OptimizationError(
                f"the grid has {total:,} combinations (limit {MAX_GRID:,}); narrow the ranges, fix some "
                "parameters, or use method 'random'"
            )
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*space.values())]
    if n_samples < 1:
        raise ParameterError(f"n_samples must be at least 1, got {n_samples}")
    if total >= 2**62:
        raise OptimizationError("the parameter space is too large to sample; narrow some ranges")
    picks = np.sort(np.random.default_rng(seed).choice(total, size=n_samples, replace=False))
    return [_decode(int(k), names, space, sizes) for k in picks]


def _decode(k: int, names: list[str], space: dict[str, list], sizes: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, size in zip(reversed(names), reversed(sizes), strict=True):
        k, r = divmod(k, size)
        out[name] = space[name][r]
    return {name: out[name] for name in names}


def _valid(strategy_cls: type[Strategy], combos: list[dict[str, Any]],
           constraint: Callable[[dict[str, Any]], bool] | None) -> list[dict[str, Any]]:
    """Combinations the strategy accepts (validate()) and the constraint allows."""
    keep = []
    for params in combos:
        try:
            strategy_cls(**params)
        except ParameterError:
            continue
        if constraint is None or constraint(dict(params)):
            keep.append(params)
    return keep


def run_sweep(bars: pd.DataFrame, strategy_name: str, space: dict[str, list], config: BacktestConfig | None = None,
              *, method: str = "grid", n_samples: int = 200, seed: int = 0, objective: str = "sharpe",
              constraint: Callable[[dict[str, Any]], bool] | None = None, progress: Progress | None = None,
              n_jobs: int | None = None) -> SweepResult:
    """Backtest every combination of `space` (or a random sample of it) and rank them by `objective`.

    `space` maps parameter names to the values to try (see `param_space`); parameters left out keep
    their defaults. Combinations the strategy rejects (e.g. fast >= slow) or `constraint(params)`
    refuses are skipped and counted. `objective` is one of METRICS and is maximised (max_drawdown is
    negative, so the shallowest wins). Runs on `n_jobs` processes (None = all cores, 1 = inline; the
    results are identical), calling `progress(done, total)` as chunks finish. Raises ParameterError
    for a bad name, value, method or objective; OptimizationError when no combination is valid;
    DataError/StrategyError/BacktestError from the backtests themselves.
    """
    started = time.perf_counter()
    config = config or BacktestConfig()
    cls = get_strategy(strategy_name)
    _check_objective(objective)
    space = check_space(cls, space)
    combos = combinations(space, method, n_samples, seed)
    valid = _valid(cls, combos, constraint)
    if not valid:
        raise OptimizationError(
            f"none of the {len(combos)} combinations passed {cls.name}'s checks or the constraint; widen the "
            "ranges (e.g. keep fast below slow)"
        )
    fast = _fast_path_verified(bars, cls, config, valid)
    rows = _evaluate(bars, cls, config, valid, fast, progress, n_jobs)
    table = pd.DataFrame(valid, columns=list(space))
    for k, name in enumerate(METRICS):
        table[name] = [row[k] for row in rows]
    table["n_trades"] = table["n_trades"].astype("int64")
    scores = table[objective].to_numpy(dtype=float)
    best = 0 if np.isnan(scores).all() else int(np.nanargmax(scores))
    return SweepResult(
        table=table, best_params=dict(valid[best]), objective=objective, skipped=len(combos) - len(valid),
        best_value=float(scores[best]), method=method, fast_path=fast, elapsed_s=time.perf_counter() - started,
    )


def _check_objective(objective: str) -> None:
    if objective not in METRICS:
        close = difflib.get_close_matches(str(objective), METRICS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; use one of {', '.join(METRICS)}"
        raise ParameterError(f"unknown objective {objective!r}{hint}")


def _fast_path_verified(bars: pd.DataFrame, cls: type[Strategy], config: BacktestConfig,
                        combos: list[dict[str, Any]]) -> bool:
    """Use the crossover fast path only if its signals equal the strategy's own on sample combinations."""
    if not supports_fast_path(cls, bars):
        return False
    probe = CrossoverFastPath(bars, config)
    samples = [combos[0], combos[len(combos) // 2], combos[-1]]
    for key in ("allow_short", "stop_loss_pct", "take_profit_pct", "trailing_pct"):
        samples += [c for c in combos if c.get(key)][:1]
    for params in samples:
        strategy = cls(**params)
        if not signals_match(probe.signal_arrays(strategy), strategy.signals(bars)):
            log.warning("sweep fast path disagrees with %s.signals() for %s; using full backtests", cls.name, params)
            return False
    ours = lean_stats(*probe.run(cls(**samples[0])), config.periods_per_year, config.rf)
    theirs = Evaluator(bars, cls, config).evaluate(samples[0])
    if not np.allclose(ours, theirs, rtol=1e-9, atol=1e-9, equal_nan=True):
        log.warning("sweep fast path disagrees with run_backtest for %s; using full backtests", samples[0])
        return False
    return True


def _chunks(combos: list[dict[str, Any]], workers: int) -> list[list[dict[str, Any]]]:
    size = max(1, min(MAX_CHUNK, math.ceil(len(combos) / (workers * 4))))
    return [combos[k:k + size] for k in range(0, len(combos), size)]


def _evaluate(bars: pd.DataFrame, cls: type[Strategy], config: BacktestConfig, combos: list[dict[str, Any]],
              fast: bool, progress: Progress | None, n_jobs: int | None) -> list[tuple[float, ...]]:
    """METRICS per combination, in `combos` order, inline or on a process pool."""
    workers = max(1, os.cpu_count() or 1) if n_jobs is None else int(n_jobs)
    if workers < 1:
        raise ParameterError(f"n_jobs must be at least 1 (or None for all cores), got {n_jobs}")
    chunks = _chunks(combos, workers)
    workers = min(workers, len(chunks))
    total, done = len(combos), 0
    if workers == 1 or total < INLINE_BELOW:
        evaluator, rows = Evaluator(bars, cls, config, fast), []
        for chunk in chunks:
            rows += evaluator.evaluate_chunk(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        return rows
    return _evaluate_parallel(bars, cls, config, chunks, fast, workers, progress)


def _plugin_file(cls: type[Strategy]) -> str | None:
    """The plugin file a spawned worker must load to find `cls` (None for built-ins)."""
    where = origin(cls)
    return None if where == "built-in" or not where.endswith(".py") else where


def _evaluate_parallel(bars: pd.DataFrame, cls: type[Strategy], config: BacktestConfig,
                       chunks: list[list[dict[str, Any]]], fast: bool, workers: int,
                       progress: Progress | None) -> list[tuple[float, ...]]:
    results: list[list[tuple[float, ...]] | None] = [None] * len(chunks)
    total, done = sum(len(c) for c in chunks), 0
    initargs = (bars, cls.name, _plugin_file(cls), config, fast)
    pool = ProcessPoolExecutor(max_workers=workers, initializer=init_worker, initargs=initargs)
    try:
        pending = {pool.submit(worker_chunk, chunk): k for k, chunk in enumerate(chunks)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                k = pending.pop(future)
                results[k] = future.result()  # re-raises a worker's exception here
                done += len(chunks[k])
                if progress is not None:
                    progress(done, total)
    except BrokenProcessPool:
        raise StrategyError(
            f"sweep worker processes could not run {cls.name} (a worker failed to start or crashed); "
            "retry with n_jobs=1 to see the error"
        ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [row for chunk in results for row in chunk or []]


def heatmap_table(table: pd.DataFrame, x: str, y: str, metric: str) -> pd.DataFrame:
    """Pivot for a two-parameter heatmap: rows = values of `y`, columns = values of `x`, cells = the
    best (highest) `metric` over all other parameters; NaN where no combination ran.

    Raises ParameterError when a column is missing or x == y.
    """
    for name in (x, y, metric):
        if name not in table.columns:
            raise ParameterError(f"sweep table has no column {name!r}; columns: {', '.join(map(str, table.columns))}")
    if x == y:
        raise ParameterError("a heatmap needs two different parameters for x and y")
    values = table[[x, y, metric]].astype({metric: float})
    return values.pivot_table(index=y, columns=x, values=metric, aggfunc="max", dropna=False).sort_index().sort_index(axis=1)
