"""Counters behind the `tds.zoho.api.*` events and the per-stream progress lines."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(slots=True)
class CallStats:
    """What one stream (or caller label) spent."""

    succeeded: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    seconds: float = 0.0
    codes: dict[str, int] = field(default_factory=dict)


class CallLedger:
    """Per-label call statistics, read by the tap for `tds.zoho.api.*` summaries."""

    def __init__(self) -> None:
        """Start empty."""
        self._stats: defaultdict[str, CallStats] = defaultdict(CallStats)
        self._lock = threading.Lock()

    def success(self, label: str, seconds: float) -> None:
        """A call answered with data."""
        with self._lock:
            stats = self._stats[label]
            stats.succeeded += 1
            stats.seconds += seconds

    def failure(self, label: str, reason: str, *, retried: bool, rate_limited: bool) -> None:
        """A call failed; `retried` says whether it will be tried again."""
        with self._lock:
            stats = self._stats[label]
            stats.failed += 1
            stats.retried += int(retried)
            stats.rate_limited += int(rate_limited)
            stats.codes[reason] = stats.codes.get(reason, 0) + 1

    def get(self, label: str) -> CallStats:
        """A copy-free view of one label's counters."""
        with self._lock:
            return self._stats[label]

    def total_requests(self) -> int:
        """Every request sent, successful or not."""
        with self._lock:
            return sum(stats.succeeded + stats.failed for stats in self._stats.values())
