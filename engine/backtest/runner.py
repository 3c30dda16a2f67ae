"""Single-symbol and portfolio backtests: validate inputs, run the strategy, loop, assemble the result.

Fills use traded prices: the bars' open/high/low/close columns (never adj_close), because orders,
fills and trade logs are in traded prices. Research on adjusted history should pass adjusted OHLC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

from engine.backtest.config import BacktestConfig
from engine.backtest.kernel import LoopOutput, MarketData, SignalData, run_loop
from engine.backtest.result import BacktestResult, empty_trades
from engine.errors import DataError, StrategyError
from engine.metrics.trades import TradeArrays
from engine.strategies.base import Signals, Strategy

PRICE_COLUMNS = ("open", "high", "low", "close")


def run_backtest(bars: pd.DataFrame, strategy: Strategy, config: BacktestConfig | None = None, *,
                 symbol: str = "asset", benchmark: pd.Series | None = None) -> BacktestResult:
    """Backtest `strategy` on one symbol's `bars` (OHLC in traded prices, UTC DatetimeIndex ascending).

    Rows with a missing price are bars without trading. `benchmark` is a price series for alpha/beta
    (default: the bars' close, i.e. buy and hold). Raises DataError for unusable bars, StrategyError
    for malformed signals and BacktestError for impossible settings.
    """
    config = config or BacktestConfig()
    _check_bars(bars, symbol)
    result = _run({symbol: bars}, strategy, config, bars.index)
    result.signals = result.signals[symbol]  # type: ignore[index]
    result.benchmark = bars["close"] if benchmark is None else benchmark
    return result


def run_portfolio_backtest(bars_by_symbol: dict[str, pd.DataFrame], strategy: Strategy,
                           config: BacktestConfig | None = None, *,
                           benchmark: pd.Series | None = None) -> BacktestResult:
    """Backtest `strategy` on several symbols sharing one cash account.

    Bars are aligned on the union of their indexes; a symbol without a bar at a time gets no fill
    there. At most `config.max_positions` positions are open at once; when slots or cash are scarce
    the entries with the higher signal `strength` go first (ties: symbol order). Raises as run_backtest.
    """
    config = config or BacktestConfig()
    if not bars_by_symbol:
        raise DataError("no symbols to backtest; pick at least one symbol with price history")
    for sym, frame in bars_by_symbol.items():
        _check_bars(frame, sym)
    index = bars_by_symbol[next(iter(bars_by_symbol))].index
    for frame in list(bars_by_symbol.values())[1:]:
        index = index.union(frame.index)
    result = _run(bars_by_symbol, strategy, config, index)
    result.benchmark = benchmark
    return result


def _check_bars(bars: pd.DataFrame, symbol: str) -> None:
    if not isinstance(bars, pd.DataFrame):
        raise DataError(f"bars for {symbol} must be a pandas DataFrame, got {type(bars).__name__}")
    missing = [c for c in PRICE_COLUMNS if c not in bars.columns]
    if missing:
        raise DataError(f"bars for {symbol} are missing columns {missing}; expected open, high, low, close, volume")
    if len(bars) < 2:
        raise DataError(f"bars for {symbol} have {len(bars)} rows; a backtest needs at least 2 bars")
    if not isinstance(bars.index, pd.DatetimeIndex) or bars.index.tz is None:
        raise DataError(f"bars for {symbol} need a timezone-aware (UTC) DatetimeIndex")
    if not bars.index.is_monotonic_increasing or bars.index.has_duplicates:
        raise DataError(f"bars for {symbol} must be sorted by time without duplicate timestamps")


@dataclass
class Prepared:
    """Everything the bar loop needs for one run: aligned prices, signals, marks and the shared index."""

    md: MarketData
    sg: SignalData
    marks: np.ndarray  # (bars, symbols) last known close, 0 before a symbol's first bar
    index: pd.DatetimeIndex
    symbols: list[str]
    signals: dict[str, Signals]


def _run(bars_by_symbol: dict[str, pd.DataFrame], strategy: Strategy, config: BacktestConfig,
         index: pd.DatetimeIndex) -> BacktestResult:
    prep = prepare(bars_by_symbol, strategy, index)
    out = run_loop(prep.md, prep.sg, config, config.cost_model().cost, len(index))
    return _assemble(out, prep.marks, index, prep.symbols, config, strategy, prep.signals)


def prepare(bars_by_symbol: dict[str, pd.DataFrame], strategy: Strategy, index: pd.DatetimeIndex) -> Prepared:
    """Run the strategy on each symbol and align prices and signals on `index` (the union of the
    symbols' bar times). Raises StrategyError for malformed signals."""
    n, symbols = len(index), list(bars_by_symbol)
    market: dict[str, list[memoryview]] = {k: [] for k in ("open", "high", "low", "close", "close_ff", "valid")}
    sig_lists: dict[str, list[memoryview]] = {k: [] for k in (
        "entries_long", "exits_long", "entries_short", "exits_short", "stop", "target", "strength")}
    trailing, signals_by_symbol = [], {}
    any_flag = np.zeros((n, len(symbols)), dtype=bool)
    marks = np.zeros((n, len(symbols)))
    for j, sym in enumerate(symbols):
        frame = bars_by_symbol[sym]
        columns = [frame[c].to_numpy(dtype=float) for c in PRICE_COLUMNS]
        valid_rows = ~(np.isnan(columns[0]) | np.isnan(columns[1]) | np.isnan(columns[2]) | np.isnan(columns[3]))
        all_valid = bool(valid_rows.all())
        usable = frame if all_valid else frame[valid_rows]
        sig = signals_by_symbol[sym] = _signals_for(strategy, usable, sym)
        trailing.append(sig.trailing_pct)
        # positions of the usable rows on the shared index (None: identical)
        pos = None if all_valid and frame.index.equals(index) else index.get_indexer(usable.index)
        for col, values in zip(PRICE_COLUMNS, columns, strict=True):
            market[col].append(_view(values if pos is None else _place(values[valid_rows], pos, n)))
        close = columns[3] if pos is None else _place(columns[3][valid_rows], pos, n)
        close_ff = _ffill(close)
        market["close_ff"].append(_view(close_ff))
        market["valid"].append(_view(valid_rows if pos is None else _place(valid_rows[valid_rows], pos, n)))
        marks[:, j] = np.nan_to_num(close_ff, nan=0.0)
        for name, values in _signal_arrays(sig, len(usable)).items():
            full = values if pos is None else _place(values, pos, n)
            sig_lists[name].append(_view(full))
            if values.dtype == bool:
                any_flag[:, j] |= full
    flagged: dict[int, list[int]] = {}
    rows, cols = np.nonzero(any_flag)
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        flagged.setdefault(r, []).append(c)
    md = MarketData(**market)
    sg = SignalData(**sig_lists, trailing_pct=trailing, flagged=flagged)
    return Prepared(md, sg, marks, index, symbols, signals_by_symbol)


def _signals_for(strategy: Strategy, bars: pd.DataFrame, symbol: str) -> Signals:
    try:
        sig = strategy.signals(bars)
    except StrategyError:
        raise
    except (KeyError, ValueError, TypeError) as exc:
        raise StrategyError(f"strategy {strategy.name or type(strategy).__name__} failed on {symbol}: {exc}") from exc
    if not isinstance(sig, Signals):
        raise StrategyError(f"strategy {strategy.name!r} must return Signals, got {type(sig).__name__}")
    for name in ("entries_long", "exits_long", "entries_short", "exits_short", "stop_loss", "take_profit",
                 "strength"):
        series = getattr(sig, name)
        if series is not None and (not isinstance(series, pd.Series) or not series.index.equals(bars.index)):
            raise StrategyError(f"strategy {strategy.name!r}: {name} must be a Series on the bars' index")
    return sig


def _signal_arrays(sig: Signals, n: int) -> dict[str, np.ndarray]:
    def flags(series: pd.Series | None) -> np.ndarray:
        if series is None:
            return np.zeros(n, dtype=bool)
        values = series.to_numpy()
        if values.dtype != bool:
            values = pd.Series(values).fillna(False).to_numpy(dtype=bool)
        return values

    def levels(series: pd.Series | None) -> np.ndarray:
        return np.full(n, np.nan) if series is None else series.to_numpy(dtype=float, na_value=np.nan)

    return {
        "entries_long": flags(sig.entries_long), "exits_long": flags(sig.exits_long),
        "entries_short": flags(sig.entries_short), "exits_short": flags(sig.exits_short),
        "stop": levels(sig.stop_loss), "target": levels(sig.take_profit), "strength": levels(sig.strength),
    }


def _view(values: np.ndarray) -> memoryview:
    """A zero-copy, list-like view of a 1-D array: indexing gives Python floats and bools, as fast as
    a list's, without converting thousands of bars to Python objects first (numpy's own scalars
    would slow every sum the loop does with them)."""
    return memoryview(np.ascontiguousarray(values))


def _place(values: np.ndarray, pos: np.ndarray, n: int) -> np.ndarray:
    """Spread a symbol's values onto the shared index (False / NaN where the symbol has no bar)."""
    out = np.zeros(n, dtype=bool) if values.dtype == bool else np.full(n, np.nan)
    out[pos] = values
    return out


def _ffill(values: np.ndarray) -> np.ndarray:
    idx = np.where(np.isnan(values), 0, np.arange(len(values)))
    np.maximum.accumulate(idx, out=idx)
    out = values[idx]
    return out


def _assemble(out: LoopOutput, marks: np.ndarray, index: pd.DatetimeIndex, symbols: list[str],
              config: BacktestConfig, strategy: Strategy, signals: dict[str, Signals]) -> BacktestResult:
    n, m = len(index), len(symbols)
    cash = np.full(n, np.nan)
    qty = np.full((n, m), np.nan)
    cash[0], qty[0] = config.cash, 0.0
    for i, c, q in out.snapshots:
        cash[i], qty[i] = c, q
    cash, qty = _ffill(cash), np.column_stack([_ffill(qty[:, j]) for j in range(m)])
    equity = cash + (qty * marks).sum(axis=1)
    held = qty != 0
    held[-1] = np.asarray(out.qty_before_end) != 0  # the last bar was held until its closing fill
    trades, arrays = _trades_frame(out.trades, index, symbols)
    return BacktestResult(
        equity=pd.Series(equity, index=index, name="equity"),
        cash=pd.Series(cash, index=index, name="cash"),
        positions=pd.DataFrame(qty, index=index, columns=symbols),
        trades=trades,
        _trade_arrays=arrays,
        config=config,
        signals=signals,
        exposure=float(held.any(axis=1).mean()),
        strategy_name=strategy.name,
        params=dict(getattr(strategy, "p", {})),
    )


def _trades_frame(trades: list[tuple], index: pd.DatetimeIndex,
                  symbols: list[str]) -> tuple[pd.DataFrame, TradeArrays]:
    """The trade table (TRADE_COLUMNS) and its numeric columns for the statistics."""
    if not trades:
        return empty_trades(), TradeArrays(np.empty(0), np.empty(0), np.empty(0))
    cols = list(zip(*trades, strict=True))
    arrays = TradeArrays(np.asarray(cols[7], dtype=float), np.asarray(cols[8], dtype=float),
                         np.asarray(cols[10], dtype=float))
    frame = pd.DataFrame({
        "symbol": _strings([symbols[s] for s in cols[0]]),
        "side": _strings(cols[1]),
        "entry_time": index.take(np.asarray(cols[2])),
        "exit_time": index.take(np.asarray(cols[3])),
        "entry_price": np.asarray(cols[4], dtype=float),
        "exit_price": np.asarray(cols[5], dtype=float),
        "qty": np.asarray(cols[6], dtype=float),
        "pnl": arrays.pnl,
        "pnl_pct": arrays.pnl_pct,
        "costs": np.asarray(cols[9], dtype=float),
        "bars_held": np.asarray(cols[10], dtype="int64"),
        "exit_reason": _strings(cols[11]),
    }, copy=False)  # every column is a new array already
    return frame, arrays  # already in exit order: the loop records trades as they close


_STR = pd.Series(["x"]).dtype  # pandas' default string dtype (arrow-backed "str" under pandas 3)


def _strings(values: Sequence[str]) -> Any:
    """A string column in pandas' default dtype, built straight from an arrow array: about 4x faster
    than letting pandas infer it from a list, which matters for one-click backtests."""
    if getattr(_STR, "storage", None) != "pyarrow":
        return list(values)
    return ArrowStringArray(pa.chunked_array([pa.array(values, type=pa.large_string())]), dtype=_STR)
