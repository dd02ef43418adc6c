"""How long to wait before the next delivery attempt: exponential backoff, full jitter.

Attempt n (1-based) that failed retryably waits a uniform random time in
[0, min(max_delay, base_delay * 2 ** (n - 1))] ("full jitter"), unless the
receiver said how long to wait (429/503 `Retry-After`): then exactly that,
capped at `max_retry_after`. After `max_attempts` attempts the delivery fails.

Written by hand on purpose, with the loops of `sinks.delivery`, `sinks.lanes`
and `sinks.postgres_faults` (issue #21, tried against tenacity 9.2.1 and
stamina 26.1.0). tenacity can say all of it (full jitter, cap, attempt limit,
a custom wait for Retry-After, a custom sleep for the abandon check), but the
loops came out longer: `to_sink` +20 lines, `retry_transient` +11, since
recording each attempt is what the loop is about and tenacity spreads that over
`before_sleep`, `reraise` and an outer `except`. (`AsyncRetrying()(fn)` also
hands back unawaited the coroutine of a lambda, which `write_isolating` passes.)
stamina's jitter is added to the delay rather than full, it takes no sleep of
ours (the abandon check needs one), and it counts retries in the default
Prometheus registry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sinks.exceptions import RetryableDeliveryError


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 60.0
    max_retry_after: float = 600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The jittered wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** min(attempt - 1, 60))
        return rng.uniform(0, ceiling)

    def delay_after(self, error: RetryableDeliveryError, attempt: int, rng: random.Random) -> float:
        if error.retry_after is not None:
            return min(error.retry_after, self.max_retry_after)
        return self.backoff(attempt, rng)
