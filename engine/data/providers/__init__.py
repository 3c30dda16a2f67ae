"""Market data providers behind one interface; `make_provider(name)` builds one by its settings name."""

from __future__ import annotations

from engine.data.providers.base import INTERVALS, Provider, check_interval, empty_bars
from engine.errors import ConfigError

__all__ = ["INTERVALS", "Provider", "check_interval", "empty_bars", "make_provider"]


def make_provider(name: str, min_interval_s: float = 0.5) -> Provider:
    """The provider called `name` ("yfinance" or "demo"); raises ConfigError for any other name."""
    if name == "yfinance":
        from engine.data.providers.yahoo import YahooProvider

        return YahooProvider(min_interval_s=min_interval_s)
    if name == "demo":
        from engine.data.providers.demo import DemoProvider

        return DemoProvider()
    raise ConfigError(f"unknown data provider {name!r}; use 'yfinance' or 'demo'")
