"""Figures derived from the run log: per stream and organization, per quota, CRM credits.

The run log holds events; an operator wants states ("books_invoices of org 1 last
succeeded at ..., quota 412 left, burning 60 an hour"). Deriving them here, once, keeps
the text, the page, the metrics and the warnings telling the same story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from target_tsh_erp.monitoring.runlog import LogFacts, PartitionDone

__all__ = [
    "BURN_MIN_SPAN",
    "BURN_WINDOW",
    "CREDIT_WINDOW",
    "QuotaFigure",
    "StreamHealth",
    "credits_used",
    "quota_figures",
    "quota_readings",
    "stream_health",
]

BURN_WINDOW = timedelta(hours=1)
"""Burn rate over the last hour: recent enough to act on, long enough to span runs."""
BURN_MIN_SPAN = timedelta(minutes=5)
"""Readings closer than this (one run's streams, seconds apart) give no honest rate."""
CREDIT_WINDOW = timedelta(hours=24)
"""Zoho counts CRM credits over a rolling day."""


@dataclass(slots=True)
class StreamHealth:
    """One stream of one organization: last success, its records, failures since."""

    stream: str
    organization_id: str
    product: str
    last_success: datetime | None = None
    records: int = 0
    failures_since_success: int = 0
    last_failure: str = ""


@dataclass(frozen=True, slots=True)
class QuotaFigure:
    """One daily request quota (Books and Inventory count per product and organization)."""

    organization_id: str
    product: str
    remaining: int
    limit: int | None
    observed_at: datetime
    burn_per_hour: float | None

    @property
    def used(self) -> int | None:
        """Requests used today, when the daily limit is known."""
        return None if self.limit is None else max(self.limit - self.remaining, 0)


def stream_health(facts: LogFacts) -> list[StreamHealth]:
    """Per (stream, organization): the last `done` and the failures logged after it."""
    table: dict[tuple[str, str], StreamHealth] = {}
    for done in facts.done:
        entry = table.setdefault(
            (done.stream, done.organization_id),
            StreamHealth(done.stream, done.organization_id, done.product),
        )
        entry.last_success, entry.records = done.at, done.records
        entry.failures_since_success, entry.last_failure = 0, ""
    for failure in facts.failures:
        entry = table.setdefault(
            (failure.stream, failure.organization_id),
            StreamHealth(failure.stream, failure.organization_id,
                         failure.stream.split("_", 1)[0]),
        )  # fmt: skip
        if entry.last_success is None or failure.at > entry.last_success:
            entry.failures_since_success += 1
            entry.last_failure = failure.reason
    return [table[key] for key in sorted(table)]


def _burn(observations: list[PartitionDone], now: datetime) -> float | None:
    """Requests per hour over the last hour, from the quota's own countdown.

    Only observations after the last reset (the remaining figure went up) count, and two
    are needed: one reading says how much is left, not how fast it goes.
    """
    series = [o for o in observations if o.quota_left is not None]
    start = 0
    for index in range(1, len(series)):
        if (series[index].quota_left or 0) > (series[index - 1].quota_left or 0):
            start = index
    recent = [o for o in series[start:] if now - o.at <= BURN_WINDOW]
    if len(recent) < 2:  # noqa: PLR2004 - a rate needs two readings
        return None
    span = recent[-1].at - recent[0].at
    if span < BURN_MIN_SPAN:
        return None
    hours = span.total_seconds() / 3600
    return max((recent[0].quota_left or 0) - (recent[-1].quota_left or 0), 0) / hours


def quota_figures(facts: LogFacts, now: datetime) -> list[QuotaFigure]:
    """The newest quota reading per (organization, product), with its burn rate."""
    grouped: dict[tuple[str, str], list[PartitionDone]] = {}
    for done in facts.done:
        if done.quota_left is not None and done.product != "crm":
            grouped.setdefault((done.organization_id, done.product), []).append(done)
    figures = []
    for (organization, product), observations in sorted(grouped.items()):
        last = observations[-1]
        limit = next((o.quota_limit for o in reversed(observations) if o.quota_limit), None)
        figures.append(QuotaFigure(organization, product, last.quota_left or 0, limit,
                                   last.at, _burn(observations, now)))  # fmt: skip
    return figures


def credits_used(facts: LogFacts, now: datetime) -> dict[str, int]:
    """CRM credits spent per stream over Zoho's rolling day (as the tap counted them)."""
    used: dict[str, int] = {}
    for use in facts.credits:
        if now - use.at <= CREDIT_WINDOW:
            used[use.stream] = used.get(use.stream, 0) + use.credits
    return dict(sorted(used.items()))


def quota_readings(facts: LogFacts, since: datetime) -> dict[tuple[str, str], list[
        tuple[datetime, int]]]:  # fmt: skip
    """Every quota reading since `since` per (organization, product), for the chart."""
    readings: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
    for done in facts.done:
        if done.quota_left is not None and done.product != "crm" and done.at >= since:
            readings.setdefault((done.organization_id, done.product), []).append(
                (done.at, done.quota_left))
    return dict(sorted(readings.items()))
