"""Property tests: the books balance on every bar, and costs or slippage never improve a result."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.backtest import BacktestConfig, run_backtest, run_portfolio_backtest
from engine.strategies.base import Signals
from tests.engine.backtest_helpers import Scripted, random_walk

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _random_strategy(seed: int, density: float, with_stops: bool, trailing: float | None) -> Scripted:
    def make(bars: pd.DataFrame) -> Signals:
        rng = np.random.default_rng(seed + len(bars))
        n, idx = len(bars), bars.index

        def pick() -> pd.Series:
            return pd.Series(rng.random(n) < density, index=idx)

        close = bars["close"]
        stop = close * (1 - rng.uniform(0.01, 0.08, n)) if with_stops else None
        target = close * (1 + rng.uniform(0.01, 0.15, n)) if with_stops else None
        return Signals(entries_long=pick(), exits_long=pick(), entries_short=pick(), exits_short=pick(),
                       stop_loss=stop, take_profit=target, trailing_pct=trailing,
                       strength=pd.Series(rng.random(n), index=idx))

    return Scripted(make)


def _check_books(result, bars_by_symbol: dict[str, pd.DataFrame]) -> None:
    index = result.equity.index
    closes = pd.DataFrame({s: b["close"].reindex(index) for s, b in bars_by_symbol.items()}).ffill().fillna(0.0)
    marked = result.cash + (result.positions * closes).sum(axis=1)
    np.testing.assert_allclose(result.equity.to_numpy(), marked.to_numpy(), rtol=1e-12, atol=1e-6)
    final_pnl = result.equity.iloc[-1] - result.config.cash
    assert abs(result.trades["pnl"].sum() - final_pnl) < 1e-6 * max(1.0, abs(final_pnl))
    assert (result.positions.iloc[-1] == 0).all()  # everything is closed at the end
    lots = result.positions.to_numpy() / result.config.lot_size
    assert np.allclose(lots, np.round(lots))
    assert set(result.trades["exit_reason"]) <= {"signal", "stop", "target", "trailing", "reverse", "end"}
    assert (result.trades["costs"] >= 0).all()


@SETTINGS
@given(seed=st.integers(0, 10_000), density=st.floats(0.02, 0.4), with_stops=st.booleans(),
       trailing=st.sampled_from([None, 0.03, 0.1]), allow_short=st.booleans(),
       fill=st.sampled_from(["next_open", "close"]), costs=st.sampled_from([0.0, 0.001, "flat:3", "nse_intraday"]),
       slippage=st.sampled_from([0.0, 5.0]), lot=st.sampled_from([1, 5]),
       sizing=st.sampled_from([("pct_equity", 95.0), ("fixed_amount", 3_000.0), ("fixed_qty", 20.0)]))
def test_equity_is_cash_plus_positions_on_every_bar(seed, density, with_stops, trailing, allow_short, fill,
                                                     costs, slippage, lot, sizing) -> None:
    bars = random_walk(120, seed)
    cfg = BacktestConfig(cash=10_000, costs=costs, slippage_bps=slippage, fill=fill, allow_short=allow_short,
                         lot_size=lot, sizing=sizing[0], size_value=sizing[1])
    result = run_backtest(bars, _random_strategy(seed, density, with_stops, trailing), cfg)
    _check_books(result, {"asset": bars})
    if not allow_short:
        assert (result.cash >= -1e-6).all()  # never buys more than the cash it has
        assert (result.positions >= 0).all().all()


@SETTINGS
@given(seed=st.integers(0, 10_000), density=st.floats(0.02, 0.3), allow_short=st.booleans(),
       max_positions=st.sampled_from([None, 1, 2]), fill=st.sampled_from(["next_open", "close"]),
       holes=st.floats(0.0, 0.2))
def test_portfolio_books_balance_with_missing_bars(seed, density, allow_short, max_positions, fill, holes) -> None:
    rng = np.random.default_rng(seed)
    universe = {}
    for k, sym in enumerate(("AAA", "BBB", "CCC")):
        bars = random_walk(80, seed * 3 + k, start=50 + 40 * k)
        universe[sym] = bars[rng.random(len(bars)) >= holes]
    cfg = BacktestConfig(cash=50_000, costs=0.001, fill=fill, allow_short=allow_short, sizing="pct_equity",
                         size_value=30, max_positions=max_positions)
    result = run_portfolio_backtest(universe, _random_strategy(seed, density, True, None), cfg)
    _check_books(result, universe)
    held = (result.positions != 0).sum(axis=1)
    if max_positions is not None:
        assert held.max() <= max_positions
    for sym, bars in universe.items():  # fills only happen on a symbol's own bars
        trades = result.trades[result.trades["symbol"] == sym]
        assert trades["entry_time"].isin(bars.index).all()
        assert trades[trades["exit_reason"] != "end"]["exit_time"].isin(bars.index).all()


@SETTINGS
@given(seed=st.integers(0, 10_000), density=st.floats(0.02, 0.4), with_stops=st.booleans(),
       allow_short=st.booleans(), low=st.floats(0.0, 0.004), extra=st.floats(0.0001, 0.005),
       fill=st.sampled_from(["next_open", "close"]))
def test_higher_costs_never_raise_final_equity(seed, density, with_stops, allow_short, low, extra, fill) -> None:
    # Fixed quantities keep the trades identical between the two runs, so only the costs differ.
    # (With percent-of-equity sizing a poorer account may buy one share fewer and so lose less on a
    # losing trade: rounding to whole shares makes the property hold per trade, not for the total.)
    bars = random_walk(150, seed)
    strategy = _random_strategy(seed, density, with_stops, None)

    def final(rate: float, slippage: float = 0.0) -> float:
        cfg = BacktestConfig(cash=1e7, costs=rate, slippage_bps=slippage, fill=fill, allow_short=allow_short,
                             sizing="fixed_qty", size_value=10)
        return run_backtest(bars, strategy, cfg).equity.iloc[-1]

    cheap, dear = final(low), final(low + extra)
    assert dear <= cheap + 1e-9
    assert final(low, slippage=10.0) <= cheap + 1e-9
