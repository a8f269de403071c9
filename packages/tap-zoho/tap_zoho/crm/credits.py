"""Zoho CRM API credits: what each call costs, counted per stream, reported at the end.

Zoho counts credits per org over a rolling 24 h (Free 5,000 ... Enterprise 5,000,000)
and every integration of the org shares them, so the tap says what it spent. Costs are
Zoho's published table for the calls the tap makes (API limits page, v8):

| call | credits |
| --- | --- |
| GET records, record, deleted, count, settings/*, org (up to 200 records) | 1 |
| COQL | 1 for LIMIT <= 200, 2 for <= 1,000, 3 for <= 2,000 |
| Bulk Read job creation | 50 |
| Bulk Read job status, result download | 0 |
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field

logger = logging.getLogger("tap_zoho.crm.credits")

GET_CREDITS = 1
BULK_CREATE_CREDITS = 50
BULK_FREE_CREDITS = 0
COQL_TIERS = ((200, 1), (1_000, 2), (2_000, 3))


def coql_credits(limit: int) -> int:
    """Credits of a COQL call by its LIMIT."""
    for ceiling, cost in COQL_TIERS:
        if limit <= ceiling:
            return cost
    return COQL_TIERS[-1][1]


@dataclass(slots=True)
class StreamCredits:
    """What one stream (or `discovery`) spent."""

    credits: int = 0
    calls: int = 0
    by_call: dict[str, int] = field(default_factory=dict)


class CreditLedger:
    """Credits per stream for one run (thread-safe)."""

    def __init__(self) -> None:
        """Start at zero."""
        self._streams: defaultdict[str, StreamCredits] = defaultdict(StreamCredits)
        self._lock = threading.Lock()

    def charge(self, stream: str, call: str, cost: int) -> None:
        """One call answered (errors cost credits too at Zoho; retries are charged)."""
        with self._lock:
            entry = self._streams[stream]
            entry.credits += cost
            entry.calls += 1
            entry.by_call[call] = entry.by_call.get(call, 0) + cost

    def of(self, stream: str) -> StreamCredits:
        """One stream's counters."""
        with self._lock:
            return self._streams[stream]

    def total(self) -> int:
        """Credits of the whole run."""
        with self._lock:
            return sum(entry.credits for entry in self._streams.values())

    def report(self, stream: str, organization_id: str | None) -> None:
        """The end-of-stream line operators read: credits and calls by kind, and the org.

        Credits are a budget per CRM organization: the line names it (`org=-` when the
        stream does not know it), so status can add up credits per organization.
        """
        entry = self.of(stream)
        org = organization_id or "-"
        logger.info(
            "tds.zoho.crm.credits stream=%s org=%s credits=%d calls=%d by_call=%s run_total=%d",
            stream, org, entry.credits, entry.calls, dict(entry.by_call), self.total(),
            extra={"zoho_event": "tds.zoho.crm.credits", "stream": stream,
                   "organization_id": org, "credits": entry.credits, "calls": entry.calls,
                   "by_call": dict(entry.by_call)},
        )  # fmt: skip
