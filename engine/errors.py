"""Exception hierarchy: each class says what the caller should do about it."""

from __future__ import annotations


class QuantdeskError(Exception):
    """Base class. The message is one sentence a user can act on."""


class ConfigError(QuantdeskError):
    """A setting is missing or invalid: report to the user, who must fix the configuration."""


class DataError(QuantdeskError):
    """Input data is unusable (malformed CSV, empty series, NaNs): report to the user."""


class UnknownSymbol(DataError):
    """The provider does not know this symbol: report to the user, do not retry."""


class ProviderError(QuantdeskError):
    """A data provider failed for a reason that is not the user's input."""


class TransientProviderError(ProviderError):
    """A passing failure (timeout, 5xx): retry with backoff."""


class RateLimited(TransientProviderError):
    """The provider asked us to slow down: retry later, with a longer wait."""


class ProviderOffline(ProviderError):
    """The provider cannot be reached at all (no network): fall back to stored or demo data."""


class StrategyError(QuantdeskError):
    """A strategy is unknown, broken, or given impossible parameters: report to the user."""


class ParameterError(StrategyError):
    """A parameter value is out of range or inconsistent (e.g. fast >= slow): report to the user."""


class BacktestError(QuantdeskError):
    """A backtest cannot run with these settings: report to the user."""


class OptimizationError(QuantdeskError):
    """An optimiser problem is infeasible or failed to solve: report to the user."""


class RiskRejected(QuantdeskError):
    """A pre-trade risk check refused an order: record the rejection, do not retry."""
