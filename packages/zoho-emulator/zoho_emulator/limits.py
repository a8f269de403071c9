"""Zoho's request limits per (product, organization): minute, day and concurrency.

Books and Inventory count a rolling minute (code 44), a calendar day by plan (code 45)
and requests in flight (code 1070). CRM counts credits over a rolling day and requests
in flight, both answered with `TOO_MANY_REQUESTS`.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoho_emulator.clock import Clock

SECONDS_PER_DAY = 86_400
MINUTE = 60.0


class LimitBreach(Enum):
    """Which limit turned a request away."""

    MINUTE = "minute"
    DAILY = "daily"
    CONCURRENCY = "concurrency"
    CREDITS = "credits"


@dataclass
class _Window:
    minute: deque[float] = field(default_factory=deque)
    day: int = -1
    used_today: int = 0
    in_flight: int = 0
    credits: deque[tuple[float, int]] = field(default_factory=deque)


@dataclass(frozen=True, slots=True)
class Admission:
    """The outcome of asking to serve a request, with Zoho's rate-limit headers."""

    breach: LimitBreach | None
    headers: dict[str, str]


class RequestLimits:
    """Admits or refuses requests; callers must `release` every admitted request."""

    def __init__(
        self,
        clock: Clock,
        *,
        requests_per_minute: int,
        daily_limit: int,
        concurrency_limit: int,
        crm_daily_credits: int,
    ) -> None:
        """Limits of 0 are off."""
        self._clock = clock
        self.requests_per_minute = requests_per_minute
        self.daily_limit = daily_limit
        self.concurrency_limit = concurrency_limit
        self.crm_daily_credits = crm_daily_credits
        self._windows: defaultdict[tuple[str, str], _Window] = defaultdict(_Window)
        self._lock = threading.Lock()

    def admit(self, product: str, org_key: str, cost: int = 1) -> Admission:
        """Count the request against its (product, org), or say which limit it breaks."""
        now = self._clock.time()
        monotonic = self._clock.monotonic()
        day = int(now // SECONDS_PER_DAY)
        with self._lock:
            window = self._windows[(product, org_key)]
            if window.day != day:
                window.day, window.used_today = day, 0
            headers = self._headers(window, now)
            breach = (
                self._crm_breach(window, now, cost)
                if product == "crm"
                else self._finance_breach(window, monotonic)
            )
            if breach is not None:
                return Admission(breach, headers)
            window.in_flight += 1
            window.used_today += 1
            if product == "crm":
                window.credits.append((now, cost))
            else:
                window.minute.append(monotonic)
            return Admission(None, self._headers(window, now))

    def _finance_breach(self, window: _Window, monotonic: float) -> LimitBreach | None:
        while window.minute and window.minute[0] <= monotonic - MINUTE:
            window.minute.popleft()
        if self.daily_limit and window.used_today >= self.daily_limit:
            return LimitBreach.DAILY
        if self.requests_per_minute and len(window.minute) >= self.requests_per_minute:
            return LimitBreach.MINUTE
        if self.concurrency_limit and window.in_flight >= self.concurrency_limit:
            return LimitBreach.CONCURRENCY
        return None

    def _crm_breach(self, window: _Window, now: float, cost: int) -> LimitBreach | None:
        while window.credits and window.credits[0][0] <= now - SECONDS_PER_DAY:
            window.credits.popleft()
        spent = sum(spent_cost for _, spent_cost in window.credits)
        if self.crm_daily_credits and spent + cost > self.crm_daily_credits:
            return LimitBreach.CREDITS
        if self.concurrency_limit and window.in_flight >= self.concurrency_limit:
            return LimitBreach.CONCURRENCY
        return None

    def _headers(self, window: _Window, now: float) -> dict[str, str]:
        if not self.daily_limit:
            return {}
        reset = SECONDS_PER_DAY - int(now % SECONDS_PER_DAY)
        return {
            "X-Rate-Limit-Limit": str(self.daily_limit),
            "X-Rate-Limit-Remaining": str(max(self.daily_limit - window.used_today, 0)),
            "X-Rate-Limit-Reset": str(reset),
        }

    def release(self, product: str, org_key: str) -> None:
        """An admitted request has been answered."""
        with self._lock:
            self._windows[(product, org_key)].in_flight -= 1

    def reset(self) -> None:
        """Forget every window (control API)."""
        with self._lock:
            self._windows.clear()
