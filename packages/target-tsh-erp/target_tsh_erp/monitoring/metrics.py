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


def _gauges(labels: list[str], *specs: tuple[str, str]) -> list[GaugeMetricFamily]:
    """Several gauges of the same labels, from (name, help) pairs, in that order."""
    return [_gauge(name, doc, labels) for name, doc in specs]


def _value(name: str, doc: str, value: float) -> GaugeMetricFamily:
    """A gauge without labels and its one sample."""
    return GaugeMetricFamily(name, doc, value=value)


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
    families += [
        last_outcome,
        _value("tsh_zoho_last_run_start_timestamp_seconds", "Start of the newest run.",
               last.started_at.timestamp()),
        _value("tsh_zoho_last_run_records", "Records the newest run received.",
               float(last.received)),
        _value("tsh_zoho_last_run_rejects", "Records the newest run rejected.",
               float(last.rejected)),
        _value("tsh_zoho_last_run_erp_rows", "ERP rows the newest run wrote.",
               float(last.rows_written)),
    ]  # fmt: skip
    success = [r for r in report.runs if r.outcome == "success" and r.ended_at is not None]
    if success and success[-1].ended_at is not None:
        families.append(_value("tsh_zoho_last_successful_run_timestamp_seconds",
                               "End of the newest successful run.",
                               success[-1].ended_at.timestamp()))  # fmt: skip
    return families


def _streams(report: StatusReport) -> list[Metric]:
    last, records, failures = _gauges(
        ["stream", "organization", "product"],
        ("tsh_zoho_stream_last_success_timestamp_seconds",
         "When the tap last finished the stream for the organization."),
        ("tsh_zoho_stream_last_success_records",
         "Records the stream's last successful read produced."),
        ("tsh_zoho_stream_failures_since_success",
         "Failures of the stream logged after its last success."),
    )  # fmt: skip
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
    rejects = _value("tsh_zoho_rejects_kept", "Rejected records kept in the raw rejects table.",
                     float(report.rejects_total))  # fmt: skip
    return [last, records, failures, lag, rows, rejects]


def _quotas(report: StatusReport, limits: Thresholds) -> list[Metric]:
    remaining, limit, burn, observed = _gauges(
        ["organization", "product"],
        ("tsh_zoho_quota_remaining_requests",
         "Zoho's X-Rate-Limit-Remaining at the tap's last reading."),
        ("tsh_zoho_quota_limit_requests", "Zoho's daily request limit, when the tap logged it."),
        ("tsh_zoho_quota_burn_rate_requests_per_second",
         "Quota spent per second over the last hour of readings."),
        ("tsh_zoho_quota_observed_timestamp_seconds", "When the remaining quota was read."),
    )  # fmt: skip
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
    credit_limit = _value("tsh_zoho_crm_credits_daily_limit",
                          "The CRM credits per day configured for the warnings.",
                          float(limits.crm_daily_credits))  # fmt: skip
    return [remaining, limit, burn, observed, credits_used, credit_limit]


def _inbox_and_reconcile(report: StatusReport) -> list[Metric]:
    families: list[Metric] = []
    if report.inbox is not None:
        oldest = report.inbox.oldest_pending_age
        families += [
            _value("tsh_zoho_webhook_inbox_pending", "Webhook deliveries not yet applied.",
                   float(report.inbox.pending)),
            _value("tsh_zoho_webhook_inbox_dead_letters", "Webhook deliveries given up on.",
                   float(report.inbox.dead)),
            _value("tsh_zoho_webhook_inbox_oldest_pending_age_seconds",
                   "How long the oldest pending delivery has waited (0 when none).",
                   0.0 if oldest is None else oldest.total_seconds()),
        ]  # fmt: skip
    if report.reconcile is not None:
        families += [
            _value("tsh_zoho_reconcile_drift_lines",
                   "Lines of the last reconciliation where Zoho and the ERP differ.",
                   float(int(report.reconcile.payload.get("drift") or 0))),
            _value("tsh_zoho_reconcile_last_timestamp_seconds",
                   "When the last reconciliation was stored.",
                   report.reconcile.created_at.timestamp()),
        ]  # fmt: skip
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
