"""Periodic progress lines per stream, and the aggregated `tds.zoho.api.*` events."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tap_zoho.api.client import UnifiedZohoClient

logger = logging.getLogger("tap_zoho.progress")

INTERVAL_SECONDS = 15.0


class StreamProgress:
    """Counts one stream partition's records and pages; logs every 15 s and at the end."""

    def __init__(
        self, client: UnifiedZohoClient, stream: str, product: str, organization_id: str
    ) -> None:
        """Start the clock for one (stream, organization)."""
        self.client = client
        self.stream = stream
        self.product = product
        self.organization_id = organization_id
        self.records = 0
        self.pages = 0
        self.total: int | None = None
        self._started = time.monotonic()
        self._last_log = self._started
        stats = client.ledger.get(stream)
        self._calls_before = stats.succeeded + stats.failed

    def page(self) -> None:
        """A list page arrived."""
        self.pages += 1
        self.maybe_log()

    def record(self) -> None:
        """A record was produced."""
        self.records += 1
        if self.records % 1000 == 0:
            self.maybe_log()

    def maybe_log(self) -> None:
        """Log a progress line if the interval has passed."""
        now = time.monotonic()
        if now - self._last_log >= INTERVAL_SECONDS:
            self._last_log = now
            self._log("progress")

    def _log(self, what: str) -> None:
        stats = self.client.ledger.get(self.stream)
        requests_used = stats.succeeded + stats.failed - self._calls_before
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = requests_used / elapsed * 60
        quota = self.client.governor.quota(self.product, self.organization_id)
        remaining = "unknown" if quota.remaining is None else str(quota.remaining)
        if quota.remaining is not None and quota.limit is not None:
            remaining += f" of {quota.limit}"  # tsh-erp status: used today and the limit
        eta = ""
        if self.total and self.records:
            left = max(self.total - self.records, 0)
            eta = f", ETA {left * elapsed / self.records:.0f}s"
        # `product=` names the quota's product outright (tsh-erp status reads it; a stream
        # name's prefix is only a convention).
        logger.info(
            "%s %s org %s product=%s: %d records, %d pages, %d requests (%.0f/min), "
            "daily quota left %s%s",
            what, self.stream, self.organization_id, self.product, self.records, self.pages,
            requests_used, rate, remaining, eta,
        )  # fmt: skip

    def finish(self) -> None:
        """The partition is done: a last progress line and the aggregated API events."""
        self._log("done")
        stats = self.client.ledger.get(self.stream)
        logger.info(
            "tds.zoho.api.success stream=%s calls=%d seconds=%.2f",
            self.stream, stats.succeeded, stats.seconds,
            extra={"zoho_event": "tds.zoho.api.success", "stream": self.stream,
                   "calls": stats.succeeded, "seconds": round(stats.seconds, 3)},
        )  # fmt: skip
        if stats.failed:
            logger.info(
                "tds.zoho.api.failed stream=%s failures=%d retried=%d rate_limited=%d codes=%s",
                self.stream, stats.failed, stats.retried, stats.rate_limited, stats.codes,
                extra={"zoho_event": "tds.zoho.api.failed", "stream": self.stream,
                       "failures": stats.failed, "retried": stats.retried,
                       "rate_limited": stats.rate_limited, "codes": dict(stats.codes)},
            )  # fmt: skip
