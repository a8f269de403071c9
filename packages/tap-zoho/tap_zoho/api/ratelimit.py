"""One request budget per (product, organization), shared by every stream.

Zoho counts 100 requests per rolling minute per organization and product (code 44),
a daily quota by plan (code 45, announced in `X-Rate-Limit-*` headers) and requests in
flight (code 1070). The limiter paces calls so the per-minute limit is never hit; the
quota tracker stops before the day's quota (minus `daily_budget_reserve`) runs out.

Both apply to Books and Inventory only. Zoho CRM has no per-minute limit and no daily
request quota: it counts credits over a rolling day (`tap_zoho.crm.api` keeps that
budget) and calls in flight per edition. `X-Rate-Limit-*` headers on a CRM answer are
not a CRM quota and are ignored (the emulator sends the Books ones on CRM responses).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyrate_limiter import Duration, Limiter, Rate

from tap_zoho.api.errors import ZohoQuotaExhaustedError

if TYPE_CHECKING:
    from collections.abc import Mapping

PACED_PRODUCTS = frozenset({"books", "inventory"})
"""Products with Zoho's per-minute limit and daily request quota (per organization)."""

WINDOW_SAFETY = 1.01
"""Our window is 1% longer than Zoho's minute: the server stamps a request when it
arrives, a little after we admit it, so an exact window could trip code 44."""


@dataclass(slots=True)
class Quota:
    """What the last response of one (product, organization) said about the day."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: int | None = None
    observed_at: float = 0.0
    exhausted: bool = False

    def seconds_to_reset(self) -> int:
        """Seconds until the daily quota resets, as of now."""
        if self.reset_seconds is None:
            return 0
        return max(int(self.reset_seconds - (time.monotonic() - self.observed_at)), 0)


class RequestGovernor:
    """Paces requests and guards the daily quota; thread-safe, one per client."""

    def __init__(self, *, requests_per_minute: int, daily_budget_reserve: int = 0) -> None:
        """`requests_per_minute` of 0 turns pacing off (the emulator with limits off)."""
        self.requests_per_minute = requests_per_minute
        self.daily_budget_reserve = daily_budget_reserve
        self._limiters: dict[tuple[str, str], Limiter] = {}
        self._quotas: dict[tuple[str, str], Quota] = {}
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def quota(self, product: str, organization_id: str) -> Quota:
        """The quota record of one (product, organization)."""
        with self._lock:
            return self._quotas.setdefault((product, organization_id), Quota())

    def acquire(self, product: str, organization_id: str) -> None:
        """Block until a request may be sent; raise if the day's budget is spent.

        Raises:
            ZohoQuotaExhaustedError: the quota is exhausted or down to the reserve.
        """
        quota = self.quota(product, organization_id)
        if quota.exhausted or (
            quota.remaining is not None and quota.remaining <= self.daily_budget_reserve
        ):
            quota.exhausted = True
            raise ZohoQuotaExhaustedError(
                product=product,
                organization_id=organization_id,
                remaining=quota.remaining,
                reset_seconds=quota.seconds_to_reset(),
            )
        if not self.requests_per_minute or product not in PACED_PRODUCTS:
            return
        limiter = self._limiter(product, organization_id)
        started = time.monotonic()
        limiter.try_acquire(f"{product}:{organization_id}", blocking=True)
        self.waited_seconds += time.monotonic() - started
        if quota.remaining is not None:
            quota.remaining -= 1  # until the response says otherwise

    def _limiter(self, product: str, organization_id: str) -> Limiter:
        key = (product, organization_id)
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                window_ms = int(Duration.MINUTE * WINDOW_SAFETY)
                limiter = Limiter(Rate(self.requests_per_minute, window_ms), buffer_ms=5)
                self._limiters[key] = limiter
            return limiter

    def observe(self, product: str, organization_id: str, headers: Mapping[str, str]) -> None:
        """Read Zoho's `X-Rate-Limit-*` headers from a Books or Inventory response."""
        if product not in PACED_PRODUCTS:
            return
        remaining = headers.get("X-Rate-Limit-Remaining")
        if remaining is None:
            return
        quota = self.quota(product, organization_id)
        try:
            quota.remaining = int(remaining)
            quota.limit = int(headers.get("X-Rate-Limit-Limit", "0")) or quota.limit
            quota.reset_seconds = int(headers.get("X-Rate-Limit-Reset", "0"))
        except ValueError:
            return
        quota.observed_at = time.monotonic()

    def mark_exhausted(
        self, product: str, organization_id: str, reset_seconds: int | None
    ) -> ZohoQuotaExhaustedError:
        """Zoho answered code 45: no more calls for this (product, organization) today."""
        quota = self.quota(product, organization_id)
        quota.exhausted = True
        if reset_seconds is not None:
            quota.reset_seconds = reset_seconds
            quota.observed_at = time.monotonic()
        return ZohoQuotaExhaustedError(
            product=product,
            organization_id=organization_id,
            remaining=0,
            reset_seconds=quota.seconds_to_reset(),
        )
