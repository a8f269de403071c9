"""Prometheus metrics of the batch path, built from one `tsh-erp status` report.

A custom collector rather than module-level gauges: every scrape (or textfile write)
reads the report afresh, so a stream or organization that disappears leaves no stale
series behind, and nothing is kept between scrapes. Names follow Prometheus conventions
(base units, `_seconds`, `_timestamp_seconds`, `_total` for counts that only grow);
docs/operations.md lists them with the alerts that use them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from target_tsh_erp.monitoring.alerts import Thresholds
    from target_tsh_erp.monitoring.report import StatusReport

__all__ = ["OUTCOMES", "ReportCollector", "exposition", "metric_families", "write_textfile"]

OUTCOMES = ("success", "failed", "running or killed")


def _gauge(name: str, doc: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels or [])


def _runs(report: StatusReport) -> list[Metric]:
    runs = CounterMetricFamily("tsh_zoho_sync_runs", "Target runs in the events outbox.",
                               labels=["outcome"])  # fmt: skip
    for name in OUTCOMES:
        runs.add_metric([name], sum(1 for r in report.runs if r.outcome == name))
    received = CounterMetricFamily("tsh_zoho_sync_records_received",
                                   "Records received by completed runs.")  # fmt: skip
    received.add_metric([], sum(r.received for r in report.runs))
    rejected = CounterMetricFamily("tsh_zoho_sync_records_rejected",
                                   "Records rejected by completed runs.")  # fmt: skip
    rejected.add_metric([], sum(r.rejected for r in report.runs))
    families: list[Metric] = [runs, received, rejected]
    if not report.runs:
        return families
    last = report.runs[-1]
    last_outcome = _gauge("tsh_zoho_last_run_outcome",
                     "1 for the outcome of the newest run, 0 for the others.", ["outcome"])
    for name in OUTCOMES:
        last_outcome.add_metric([name], 1.0 if last.outcome == name else 0.0)
    started = _gauge("tsh_zoho_last_run_start_timestamp_seconds", "Start of the newest run.")
    started.add_metric([], last.started_at.timestamp())
    figures = [
        ("tsh_zoho_last_run_records", "Records the newest run received.", last.received),
        ("tsh_zoho_last_run_rejects", "Records the newest run rejected.", last.rejected),
        ("tsh_zoho_last_run_erp_rows", "ERP rows the newest run wrote.", last.rows_written),
    ]
    families += [last_outcome, started]
    for name, doc, value in figures:
        family = _gauge(name, doc)
        family.add_metric([], float(value))
        families.append(family)
    success = [r for r in report.runs if r.outcome == "success" and r.ended_at is not None]
    if success and success[-1].ended_at is not None:
        ended = _gauge("tsh_zoho_last_successful_run_timestamp_seconds",
                       "End of the newest successful run.")  # fmt: skip
        ended.add_metric([], success[-1].ended_at.timestamp())
        families.append(ended)
    return families


def _streams(report: StatusReport) -> list[Metric]:
    labels = ["stream", "organization", "product"]
    last = _gauge("tsh_zoho_stream_last_success_timestamp_seconds",
                  "When the tap last finished the stream for the organization.", labels)
    records = _gauge("tsh_zoho_stream_last_success_records",
                     "Records the stream's last successful read produced.", labels)
    failures = _gauge("tsh_zoho_stream_failures_since_success",
                      "Failures of the stream logged after its last success.", labels)
    for s in report.streams:
        key = [s.stream, s.organization_id, s.product]
        if s.last_success is not None:
            last.add_metric(key, s.last_success.timestamp())
            records.add_metric(key, float(s.records))
        failures.add_metric(key, float(s.failures_since_success))
    lag = _gauge("tsh_zoho_stream_lag_seconds",
                 "Now minus the newest Zoho modification time held for the stream.", ["stream"])
    for item in report.lags:
        if item.lag is not None:
            lag.add_metric([item.stream], item.lag.total_seconds())
    rows = _gauge("tsh_zoho_erp_rows", "Rows per ERP table.", ["table", "state"])
    for table in report.tables:
        rows.add_metric([table.table, "live"], float(table.live))
        rows.add_metric([table.table, "deleted"], float(table.deleted))
    rejects = _gauge("tsh_zoho_rejects_kept", "Rejected records kept in the raw rejects table.")
    rejects.add_metric([], float(report.rejects_total))
    return [last, records, failures, lag, rows, rejects]


def _quotas(report: StatusReport, limits: Thresholds) -> list[Metric]:
    labels = ["organization", "product"]
    remaining = _gauge("tsh_zoho_quota_remaining_requests",
                       "Zoho's X-Rate-Limit-Remaining at the tap's last reading.", labels)
    limit = _gauge("tsh_zoho_quota_limit_requests",
                   "Zoho's daily request limit, when the tap logged it.", labels)
    burn = _gauge("tsh_zoho_quota_burn_rate_requests_per_second",
                  "Quota spent per second over the last hour of readings.", labels)
    observed = _gauge("tsh_zoho_quota_observed_timestamp_seconds",
                      "When the remaining quota was read.", labels)
    for q in report.quotas:
        key = [q.organization_id, q.product]
        remaining.add_metric(key, float(q.remaining))
        observed.add_metric(key, q.observed_at.timestamp())
        if q.limit is not None:
            limit.add_metric(key, float(q.limit))
        if q.burn_per_hour is not None:
            burn.add_metric(key, q.burn_per_hour / 3600)
    credits_used = _gauge("tsh_zoho_crm_credits_used_rolling_day",
                          "CRM credits the tap spent per stream over the last 24 hours.",
                          ["stream"])  # fmt: skip
    for stream, used in report.crm_credits.items():
        credits_used.add_metric([stream], float(used))
    credit_limit = _gauge("tsh_zoho_crm_credits_daily_limit",
                          "The CRM credits per day configured for the warnings.")
    credit_limit.add_metric([], float(limits.crm_daily_credits))
    return [remaining, limit, burn, observed, credits_used, credit_limit]


def _inbox_and_reconcile(report: StatusReport) -> list[Metric]:
    families: list[Metric] = []
    if report.inbox is not None:
        pending = _gauge("tsh_zoho_webhook_inbox_pending", "Webhook deliveries not yet applied.")
        pending.add_metric([], float(report.inbox.pending))
        dead = _gauge("tsh_zoho_webhook_inbox_dead_letters", "Webhook deliveries given up on.")
        dead.add_metric([], float(report.inbox.dead))
        age = _gauge("tsh_zoho_webhook_inbox_oldest_pending_age_seconds",
                     "How long the oldest pending delivery has waited (0 when none).")
        oldest = report.inbox.oldest_pending_age
        age.add_metric([], 0.0 if oldest is None else oldest.total_seconds())
        families += [pending, dead, age]
    if report.reconcile is not None:
        drift = _gauge("tsh_zoho_reconcile_drift_lines",
                       "Lines of the last reconciliation where Zoho and the ERP differ.")
        drift.add_metric([], float(int(report.reconcile.payload.get("drift") or 0)))
        when = _gauge("tsh_zoho_reconcile_last_timestamp_seconds",
                      "When the last reconciliation was stored.")
        when.add_metric([], report.reconcile.created_at.timestamp())
        families += [drift, when]
    return families


def metric_families(report: StatusReport, limits: Thresholds) -> list[Metric]:
    """Every metric family for one report; families without samples are left out."""
    families = [*_runs(report), *_streams(report), *_quotas(report, limits),
                *_inbox_and_reconcile(report)]  # fmt: skip
    return [family for family in families if family.samples]


class ReportCollector(Collector):
    """Builds the metrics from a fresh report on every collection."""

    def __init__(self, load: Callable[[], StatusReport], limits: Thresholds) -> None:
        """`load` opens, reads and closes: nothing is held between scrapes."""
        self._load = load
        self._limits = limits

    @override
    def collect(self) -> Iterable[Metric]:
        return metric_families(self._load(), self._limits)


def exposition(load: Callable[[], StatusReport], limits: Thresholds) -> bytes:
    """The text exposition format of one fresh report."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReportCollector(load, limits))
    return generate_latest(registry)


def write_textfile(path: Path, report: StatusReport, limits: Thresholds) -> None:
    """Write the metrics for the node exporter's textfile collector, atomically.

    The collector may read the file at any moment: a temporary file in the same folder
    renamed over the old one means it never sees half a file.
    """
    data = exposition(lambda: report, limits)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        Path(temporary).chmod(0o644)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
