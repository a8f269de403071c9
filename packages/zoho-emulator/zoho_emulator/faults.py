"""Seeded fault injection per route: the failures a production client must survive.

A rule matches routes by a glob on the route name (`books:/invoices`, `crm:*`) and fires
by probability (seeded, so a run is reproducible) and/or for the next N matching
requests (a schedule). Faults are applied by `Emulator.metered`, so every product gets
the same behaviour.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass
from enum import Enum


class FaultKind(Enum):
    """What goes wrong."""

    SERVER_ERROR = "server_error"
    """HTTP 500/502/503 (`status`), with the product's error body."""
    SLOW = "slow"
    """The response is delayed by `delay_seconds`."""
    CONNECTION_RESET = "connection_reset"
    """The connection is dropped before a response."""
    TRUNCATED_JSON = "truncated_json"
    """The body is cut in half (declared length kept honest)."""
    MALFORMED_JSON = "malformed_json"
    """The body is not JSON at all."""
    RATE_LIMIT_STORM = "rate_limit_storm"
    """HTTP 429 with the product's per-minute (or CRM) limit body."""
    REVOKE_TOKENS = "revoke_tokens"
    """Every live access token is revoked before the request is authenticated."""


@dataclass(slots=True)
class FaultRule:
    """One fault for the routes matching `route_glob`.

    `probability` fires at random (seeded); `remaining` fires for that many matching
    requests then stops (None: no count limit); `after` skips that many matching
    requests first, so a fault can land in the middle of a run.
    """

    kind: FaultKind
    route_glob: str = "*"
    probability: float = 1.0
    remaining: int | None = None
    after: int = 0
    status: int = 500
    delay_seconds: float = 0.0
    seen: int = 0


class FaultInjector:
    """Decides, per request, which fault (if any) to inject."""

    def __init__(self, seed: int) -> None:
        """Faults drawn from a generator seeded apart from the data, for reproducible runs."""
        self._random = random.Random(seed ^ 0x5EED_FA17)  # noqa: S311 - not cryptographic
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}

    def add(self, rule: FaultRule) -> FaultRule:
        """Start injecting a fault."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Stop injecting every fault."""
        with self._lock:
            self._rules.clear()

    def pick(self, route: str) -> FaultRule | None:
        """The fault to apply to this request, if any; first matching rule wins."""
        with self._lock:
            for rule in self._rules:
                if not fnmatch.fnmatchcase(route, rule.route_glob):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                if rule.remaining is not None and rule.remaining <= 0:
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                self.injected[rule.kind.value] = self.injected.get(rule.kind.value, 0) + 1
                return rule
        return None
