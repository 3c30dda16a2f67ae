"""Trading strategies: the base contract, the registry, and the built-ins (registered on import)."""

from importlib import import_module

from engine.strategies.base import Param, Signals, Strategy
from engine.strategies.common import (
    ALLOW_SHORT,
    RISK_PARAMS,
    build_signals,
    check_signals,
    cross_level,
    gap_strength,
    rank_strength,
    require_columns,
)
from engine.strategies.registry import (
    PluginProblem,
    get_strategy,
    list_strategies,
    load_plugins,
    make_strategy,
    origin,
    register,
    unregister,
)

BUILTINS = (
    "sma_cross",
    "ema_cross",
    "rsi_reversion",
    "macd_cross",
    "volume_rocket",
    "bollinger_reversion",
    "donchian_breakout",
    "buy_hold",
)
for _module in BUILTINS:  # importing a built-in registers it; this order is the menu order
    import_module(f"engine.strategies.{_module}")

__all__ = [
    "BUILTINS",
    "ALLOW_SHORT",
    "RISK_PARAMS",
    "Param",
    "PluginProblem",
    "Signals",
    "Strategy",
    "build_signals",
    "check_signals",
    "cross_level",
    "gap_strength",
    "get_strategy",
    "list_strategies",
    "load_plugins",
    "make_strategy",
    "origin",
    "rank_strength",
    "register",
    "require_columns",
    "unregister",
]
