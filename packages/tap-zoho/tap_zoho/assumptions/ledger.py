"""What one run fell back on: one warning per assumption and stream, and every use counted.

A fallback is safe by design (it reads more, never less) but it is never silent: the
operator learns that the organization answers differently from what the fast path
expects, and how often, from the run's log and its summary event.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tap_zoho.assumptions.findings import Findings
    from tap_zoho.assumptions.model import Assumption

logger = logging.getLogger("tap_zoho.assumptions")

FALLBACK_EVENT = "tds.zoho.assumption.fallback"


class FallbackLedger:
    """The fallbacks of one run (thread-safe: list pages are prefetched on a thread)."""

    def __init__(
        self, register: Mapping[str, Assumption], findings: Findings | None = None
    ) -> None:
        """Count against `register` (the ids a fallback may name).

        Args:
            register: the assumptions a fallback may name.
            findings: what `tap-zoho doctor` saw on these organizations, if given.
        """
        self._register = register
        self._findings = findings
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def fell_back(
        self, assumption_id: str, *, stream: str, detail: str, organization_id: str | None = None
    ) -> None:
        """Record one use of an assumption's fallback; warn the first time per stream.

        Args:
            assumption_id: the register id (an unknown id is a programming error).
            stream: the stream (or call) that fell back.
            detail: what was observed, in a few words (no secrets, no record values).
            organization_id: the organization whose answer it was, when there is one.
        """
        entry = self._register[assumption_id]
        key = (assumption_id, stream)
        with self._lock:
            first = key not in self._counts
            self._counts[key] += 1
        if first:
            where = f"{stream} (organization {organization_id})" if organization_id else stream
            logger.warning(
                "%s: %s; not as assumed (%s: %s), so: %s",
                where, detail, entry.id, entry.we_assume, entry.fallback,
                extra={"zoho_event": FALLBACK_EVENT, "assumption": entry.id, "stream": stream,
                       "organization_id": organization_id},
            )  # fmt: skip

    def known_other(self, assumption_id: str, scope: str, subject: str) -> bool:
        """Whether the doctor saw Zoho give the other answer exactly there.

        Code that can skip a call it knows Zoho will refuse asks this first; it still
        reports the fallback (counted, and the warning names the doctor's finding).

        Args:
            assumption_id: the register id.
            scope: `<product>:<organization id>`.
            subject: the entity or call, as the doctor names it.
        """
        return self._findings is not None and self._findings.known_other(
            assumption_id, scope, subject
        )

    def count(self, assumption_id: str, stream: str | None = None) -> int:
        """Uses of one fallback in this run (for one stream, or all of them)."""
        with self._lock:
            return sum(
                number
                for (entry, where), number in self._counts.items()
                if entry == assumption_id and stream in {None, where}
            )

    def summary(self) -> dict[str, dict[str, int]]:
        """`{assumption id: {stream: uses}}` for the run's summary event."""
        with self._lock:
            result: dict[str, dict[str, int]] = {}
            for (entry, stream), number in sorted(self._counts.items()):
                result.setdefault(entry, {})[stream] = number
            return result
