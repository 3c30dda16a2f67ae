"""Retry policy for provider calls: tenacity, exponential backoff with full jitter, longer waits when rate-limited."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from engine.errors import RateLimited, TransientProviderError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `attempts` calls; only TransientProviderError (and its RateLimited) is retried.

    Wait before retry n (1-based): uniform(0, min(max_wait_s, base_wait_s * 2**(n-1))) — "full
    jitter"; after RateLimited the wait is `rate_limit_factor` times longer plus one base wait.
    UnknownSymbol, DataError and ProviderOffline are raised at once. `sleep` and `rng` are
    injectable so tests never sleep.
    """

    attempts: int = 4
    base_wait_s: float = 1.0
    max_wait_s: float = 30.0
    rate_limit_factor: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def wait_s(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based) that raised `error`."""
        cap = min(self.max_wait_s, self.base_wait_s * 2 ** (attempt - 1))
        wait = self.rng.uniform(0.0, cap)
        if isinstance(error, RateLimited):
            wait = self.base_wait_s + wait * self.rate_limit_factor
        return wait

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.wait_s(state.attempt_number, error)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` under this policy; re-raises the last error when attempts run out."""
        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.attempts)),
            wait=self._wait,
            retry=retry_if_exception_type(TransientProviderError),
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(fn)
