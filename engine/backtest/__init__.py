"""Backtesting: single-symbol and portfolio runs over strategy signals, with shared execution rules."""

from engine.backtest.config import BacktestConfig
from engine.backtest.result import EXIT_REASONS, TRADE_COLUMNS, BacktestResult
from engine.backtest.runner import run_backtest, run_portfolio_backtest

__all__ = [
    "EXIT_REASONS",
    "TRADE_COLUMNS",
    "BacktestConfig",
    "BacktestResult",
    "run_backtest",
    "run_portfolio_backtest",
]
