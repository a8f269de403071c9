"""The alert conditions, once: `tsh-erp status` warnings and the shipped Prometheus rules.

monitoring/tsh-zoho-alerts.yml states the same conditions in PromQL with the same default
thresholds (a test holds the two together), so an operator without Prometheus sees in the
terminal what one with Prometheus is paged for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from target_tsh_erp.monitoring.report import StatusReport

__all__ = ["Thresholds", "Warning", "warnings"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a figure becomes a warning. Defaults match monitoring/tsh-zoho-alerts.yml."""

    schedule_seconds: int = 900
    """The sync schedule (`*/15`); a stream is stale after twice this."""
    quota_reserve_requests: int = 200
    """Warn at or below this many requests left (keep it >= the tap's daily_budget_reserve)."""
    crm_daily_credits: int = 50_000
    """CRM credits per rolling day: the paid editions' base (Free has 5,000; each licence
    adds 250 to 2,000 by edition, docs/operations.md): set your organization's figure."""
    crm_credits_used_fraction: float = 0.8
    """Warn when the streams have spent this share of the day's CRM credits."""
    pending_webhook_seconds: int = 900
    """Warn when the oldest pending webhook delivery has waited longer than this."""


@dataclass(frozen=True, slots=True)
class Warning:  # noqa: A001 - the word an operator reads; shadows nothing we use
    """One condition an operator should act on, named as its Prometheus alert."""

    alert: str
    message: str


def _stale(report: StatusReport, limits: Thresholds, now: datetime) -> list[Warning]:
    allowed = timedelta(seconds=2 * limits.schedule_seconds)
    return [
        Warning("TshZohoStreamStale",
                f"{s.stream} of organization {s.organization_id}: last success "
                f"{int((now - s.last_success).total_seconds() // 60)} min ago "
                f"(schedule {limits.schedule_seconds // 60} min)")
        for s in report.streams
        if s.last_success is not None and now - s.last_success > allowed
    ]  # fmt: skip


def warnings(report: StatusReport, limits: Thresholds | None = None) -> list[Warning]:
    """Every alert condition that holds for this report, in the rules file's order."""
    limits = limits or Thresholds()
    now = report.generated_at
    found = _stale(report, limits, now)
    found += [
        Warning("TshZohoQuotaLow",
                f"{q.product} quota of organization {q.organization_id}: {q.remaining} "
                f"requests left (reserve {limits.quota_reserve_requests})")
        for q in report.quotas if q.remaining <= limits.quota_reserve_requests
    ]  # fmt: skip
    spent = sum(report.crm_credits.values())
    if spent > limits.crm_daily_credits * limits.crm_credits_used_fraction:
        found.append(Warning(
            "TshZohoCrmCreditsLow",
            f"CRM credits: {spent} of {limits.crm_daily_credits} used in the last 24 h",
        ))  # fmt: skip
    if report.inbox is not None and report.inbox.dead:
        found.append(Warning("TshZohoWebhookDeadLetters",
                             f"{report.inbox.dead} dead webhook deliveries in the inbox"))
    age = None if report.inbox is None else report.inbox.oldest_pending_age
    if age is not None and age.total_seconds() > limits.pending_webhook_seconds:
        found.append(Warning(
            "TshZohoWebhookPendingOld",
            f"oldest pending webhook delivery waits {int(age.total_seconds() // 60)} min",
        ))  # fmt: skip
    if report.runs and report.runs[-1].outcome == "failed":
        found.append(Warning("TshZohoRunFailed", f"last run failed: {report.runs[-1].reason}"))
    found += [
        Warning("TshZohoStreamFailed",
                f"{s.stream} of organization {s.organization_id} failed "
                f"{s.failures_since_success}x since its last success: {s.last_failure}")
        for s in report.streams if s.failures_since_success
    ]  # fmt: skip
    drift = 0 if report.reconcile is None else int(report.reconcile.payload.get("drift") or 0)
    if drift:
        found.append(Warning("TshZohoReconcileDrift",
                             f"last reconciliation: {drift} line(s) differ from Zoho"))
    return found
