"""Request statistics: what tests and benchmarks read to prove API economy."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    """Counters since start or the last `reset`.

    Thread-safe because the control API and in-process tests read them from other
    threads while the server writes them.
    """

    requests_by_route: Counter[str] = field(default_factory=Counter)
    requests_by_org: Counter[str] = field(default_factory=Counter)
    responses_by_status: Counter[int] = field(default_factory=Counter)
    rate_limited: int = 0
    tokens_minted: int = 0
    token_requests: int = 0
    crm_credits_used: int = 0
    in_flight: int = 0
    peak_concurrency: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_request(self, route: str, org_key: str) -> None:
        """Count an API request against its route template and organization."""
        with self._lock:
            self.requests_by_route[route] += 1
            self.requests_by_org[org_key] += 1

    def record_status(self, status: int) -> None:
        """Count a served status; 429s are counted twice, here and in `rate_limited`."""
        with self._lock:
            self.responses_by_status[status] += 1
            if status == 429:  # noqa: PLR2004 - HTTP Too Many Requests
                self.rate_limited += 1

    def enter(self) -> None:
        """A request starts being served."""
        with self._lock:
            self.in_flight += 1
            self.peak_concurrency = max(self.peak_concurrency, self.in_flight)

    def leave(self) -> None:
        """A request finished being served."""
        with self._lock:
            self.in_flight -= 1

    def add_credits(self, cost: int) -> None:
        """Count CRM API credits spent."""
        with self._lock:
            self.crm_credits_used += cost

    def token_minted(self) -> None:
        """Count an access token handed out."""
        with self._lock:
            self.tokens_minted += 1

    def token_requested(self) -> None:
        """Count a call to the token endpoint, whatever its outcome."""
        with self._lock:
            self.token_requests += 1

    @property
    def total_requests(self) -> int:
        """API requests (not token requests) served since the last reset."""
        with self._lock:
            return sum(self.requests_by_route.values())

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy for the control API."""
        with self._lock:
            return {
                "total_requests": sum(self.requests_by_route.values()),
                "requests_by_route": dict(self.requests_by_route),
                "requests_by_org": dict(self.requests_by_org),
                "responses_by_status": {str(k): v for k, v in self.responses_by_status.items()},
                "rate_limited": self.rate_limited,
                "tokens_minted": self.tokens_minted,
                "token_requests": self.token_requests,
                "crm_credits_used": self.crm_credits_used,
                "peak_concurrency": self.peak_concurrency,
            }

    def reset(self) -> None:
        """Start counting afresh (in-flight requests stay counted)."""
        with self._lock:
            self.requests_by_route.clear()
            self.requests_by_org.clear()
            self.responses_by_status.clear()
            self.rate_limited = 0
            self.tokens_minted = 0
            self.token_requests = 0
            self.crm_credits_used = 0
            self.peak_concurrency = self.in_flight
