"""BacktestResult: equity, cash, positions, trades and stats of one run, with a JSON round trip for saving."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from engine.backtest.config import BacktestConfig
from engine.errors import DataError
from engine.metrics.trades import TradeArrays
from engine.strategies.base import Signals

TRADE_COLUMNS = ("symbol", "side", "entry_time", "exit_time", "entry_price", "exit_price", "qty", "pnl",
                 "pnl_pct", "costs", "bars_held", "exit_reason")
EXIT_REASONS = ("signal", "stop", "target", "trailing", "reverse", "end")
_SIGNAL_BOOLS = ("entries_long", "exits_long", "entries_short", "exits_short")
_SIGNAL_FLOATS = ("stop_loss", "take_profit", "strength")


@dataclass
class BacktestResult:
    """One run. Series share the bars' UTC index; money is in the account currency.

    equity = cash + Σ qty × close on every bar (the last known close for a symbol without a bar);
    drawdown is equity / running peak − 1 (≤ 0); positions holds the signed quantity per bar and
    symbol at the bar's close; trades has TRADE_COLUMNS (pnl and pnl_pct net of all costs, pnl_pct
    relative to the entry value). A position still open at the end is closed at the last close with
    exit_reason "end". `stats` come from `engine.metrics.compute_stats` (computed on first access).
    """

    equity: pd.Series
    cash: pd.Series
    positions: pd.DataFrame
    trades: pd.DataFrame
    config: BacktestConfig
    signals: Signals | dict[str, Signals] | None = None
    exposure: float = 0.0
    strategy_name: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    benchmark: pd.Series | None = None
    _stats: dict[str, Any] | None = field(default=None, repr=False)
    # the loop's pnl / pnl_pct / bars_held arrays, so stats need not read them back out of `trades`
    _trade_arrays: TradeArrays | None = field(default=None, repr=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("benchmark", "equity", "trades", "exposure") and "_stats" in self.__dict__:
            object.__setattr__(self, "_stats", None)  # cached stats would describe the old inputs
        if name == "trades" and "_trade_arrays" in self.__dict__:
            object.__setattr__(self, "_trade_arrays", None)
        object.__setattr__(self, name, value)

    @property
    def drawdown(self) -> pd.Series:
        return (self.equity / self.equity.cummax() - 1.0).rename("drawdown")

    @property
    def symbols(self) -> list[str]:
        return [str(c) for c in self.positions.columns]

    @property
    def stats(self) -> dict[str, Any]:
        """Performance statistics (see engine.metrics.METRIC_CONVENTIONS), computed once and cached."""
        if self._stats is None:
            from engine.metrics import compute_stats

            trades = self.trades if self._trade_arrays is None else self._trade_arrays
            self._stats = compute_stats(
                self.equity, trades, self.benchmark, periods_per_year=self.config.periods_per_year,
                rf=self.config.rf, exposure=self.exposure,
            )
        return self._stats

    def to_json(self) -> str:
        """Everything needed to reopen the run (stats included) as a JSON text; NaN is stored as null."""
        payload = {
            "version": 1,
            "strategy": self.strategy_name,
            "params": self.params,
            "config": self.config.to_dict(),
            "exposure": self.exposure,
            "index": _index_to_list(self.equity.index),
            "equity": _floats(self.equity),
            "cash": _floats(self.cash),
            "positions": {str(c): _floats(self.positions[c]) for c in self.positions.columns},
            "benchmark": None if self.benchmark is None else _floats(self.benchmark.reindex(self.equity.index)),
            "trades": _trades_to_json(self.trades),
            "stats": stats_to_json(self.stats),
            "signals": _signals_to_json(self.signals),
        }
        return json.dumps(payload, allow_nan=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> BacktestResult:
        """Rebuild a result saved with `to_json`; raises DataError if the text is not such a result."""
        try:
            data = json.loads(text)
            index = pd.DatetimeIndex(pd.to_datetime(data["index"], utc=True), name="ts")
            positions = pd.DataFrame({k: _series(v, index) for k, v in data["positions"].items()}, index=index)
            bench = data.get("benchmark")
            return cls(
                equity=_series(data["equity"], index, "equity"),
                cash=_series(data["cash"], index, "cash"),
                positions=positions,
                trades=_trades_from_json(data["trades"]),
                config=BacktestConfig.from_dict(data["config"]),
                signals=_signals_from_json(data.get("signals"), index),
                exposure=float(data["exposure"]),
                strategy_name=data.get("strategy", ""),
                params=data.get("params", {}),
                benchmark=None if bench is None else _series(bench, index, "benchmark"),
                _stats=stats_from_json(data["stats"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"this is not a saved backtest result ({exc}); save it again with to_json()") from None


def empty_trades() -> pd.DataFrame:
    """A trades frame with no rows and the right columns and dtypes."""
    return pd.DataFrame({
        "symbol": pd.Series(dtype=object), "side": pd.Series(dtype=object),
        "entry_time": pd.Series(dtype="datetime64[ns, UTC]"), "exit_time": pd.Series(dtype="datetime64[ns, UTC]"),
        **{c: pd.Series(dtype=float) for c in ("entry_price", "exit_price", "qty", "pnl", "pnl_pct", "costs")},
        "bars_held": pd.Series(dtype="int64"), "exit_reason": pd.Series(dtype=object),
    })


def _index_to_list(index: pd.Index) -> list[str]:
    return [ts.isoformat() for ts in index]


def _floats(values: pd.Series) -> list[float | None]:
    """Plain floats for JSON; NaN and ±inf (e.g. an indicator dividing by zero) become null."""
    return [v if math.isfinite(v) else None for v in values.to_numpy(dtype=float, na_value=math.nan).tolist()]


def _series(values: list, index: pd.DatetimeIndex, name: str | None = None) -> pd.Series:
    return pd.Series([math.nan if v is None else v for v in values], index=index, dtype=float, name=name)


def stats_to_json(stats: dict[str, Any]) -> dict[str, Any]:
    """Stats as JSON-safe values: Timestamps as {"$ts": iso}, NaN as null, ±inf as {"$f": "inf"}."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, pd.Timestamp):
            out[key] = {"$ts": value.isoformat()}
        elif isinstance(value, float) and math.isnan(value):
            out[key] = None
        elif isinstance(value, float) and math.isinf(value):
            out[key] = {"$f": "inf" if value > 0 else "-inf"}
        elif hasattr(value, "item"):  # numpy scalar
            out[key] = stats_to_json({key: value.item()})[key]
        else:
            out[key] = value
    return out


def stats_from_json(data: dict[str, Any]) -> dict[str, Any]:
    """Inverse of `stats_to_json` (null comes back as NaN)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and "$ts" in value:
            out[key] = pd.Timestamp(value["$ts"])
        elif isinstance(value, dict) and "$f" in value:
            out[key] = float(value["$f"])
        else:
            out[key] = math.nan if value is None else value
    return out


def _trades_to_json(trades: pd.DataFrame) -> dict[str, list]:
    out: dict[str, list] = {}
    for col in TRADE_COLUMNS:
        values = trades[col]
        if col in ("entry_time", "exit_time"):
            out[col] = _index_to_list(pd.DatetimeIndex(values))
        elif col in ("symbol", "side", "exit_reason"):
            out[col] = [str(v) for v in values]
        elif col == "bars_held":
            out[col] = [int(v) for v in values]
        else:
            out[col] = _floats(values)
    return out


def _trades_from_json(data: dict[str, list]) -> pd.DataFrame:
    if not data.get("symbol"):
        return empty_trades()
    frame = pd.DataFrame({c: data[c] for c in TRADE_COLUMNS})
    for col in ("entry_time", "exit_time"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    for col in ("entry_price", "exit_price", "qty", "pnl", "pnl_pct", "costs"):
        frame[col] = frame[col].astype(float)
    frame["bars_held"] = frame["bars_held"].astype("int64")
    return frame


def _one_signals_to_json(sig: Signals) -> dict[str, Any]:
    out: dict[str, Any] = {"trailing_pct": sig.trailing_pct}
    for name in _SIGNAL_BOOLS:
        values = getattr(sig, name)
        out[name] = None if values is None else [int(k) for k in values.to_numpy().nonzero()[0]]
    for name in _SIGNAL_FLOATS:
        values = getattr(sig, name)
        out[name] = None if values is None else _floats(values)
    for group in ("extras", "oscillators"):
        out[group] = {k: _floats(v) for k, v in (getattr(sig, group, None) or {}).items()}
    out["index"] = _index_to_list(sig.entries_long.index)
    return out


def _signals_to_json(signals: Signals | dict[str, Signals] | None) -> Any:
    if signals is None:
        return None
    if isinstance(signals, Signals):
        return {"single": _one_signals_to_json(signals)}
    return {"by_symbol": {k: _one_signals_to_json(v) for k, v in signals.items()}}


def _one_signals_from_json(data: dict[str, Any]) -> Signals:
    index = pd.DatetimeIndex(pd.to_datetime(data["index"], utc=True), name="ts")
    fields: dict[str, Any] = {"trailing_pct": data.get("trailing_pct")}
    for name in _SIGNAL_BOOLS:
        if data.get(name) is None:
            fields[name] = None
            continue
        flags = pd.Series(False, index=index, dtype=bool)
        flags.iloc[data[name]] = True
        fields[name] = flags
    for name in _SIGNAL_FLOATS:
        fields[name] = None if data.get(name) is None else _series(data[name], index)
    fields["extras"] = {k: _series(v, index, k) for k, v in data.get("extras", {}).items()}
    groups = {k: _series(v, index, k) for k, v in data.get("oscillators", {}).items()}
    if "oscillators" in Signals.__dataclass_fields__:
        fields["oscillators"] = groups
    return Signals(**fields)


def _signals_from_json(data: Any, index: pd.DatetimeIndex) -> Signals | dict[str, Signals] | None:
    if data is None:
        return None
    if "single" in data:
        return _one_signals_from_json(data["single"])
    return {k: _one_signals_from_json(v) for k, v in data["by_symbol"].items()}
