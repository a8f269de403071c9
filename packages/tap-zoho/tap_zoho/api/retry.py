"""How long to wait before retrying a transient failure: bounded exponential + jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on retrying: transient failures (5xx, resets, timeouts, bad JSON) and 429s.

    429s have their own, larger budget because a well-paced client only meets them when
    another client shares the organization's minute.
    """

    max_attempts: int = 6
    rate_limit_attempts: int = 10
    base_seconds: float = 0.5
    max_seconds: float = 30.0
    rate_limit_wait_seconds: float = 10.0
    """Wait after a code-44 429 that names no `Retry-After` (a minute window slides)."""
    concurrency_wait_seconds: float = 1.0
    """Wait after a code-1070 429 (too many requests in flight)."""

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (0-based): full jitter, capped."""
        ceiling = min(self.max_seconds, self.base_seconds * 2.0**attempt)
        jitter: float = random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto
        return ceiling / 2 + jitter
