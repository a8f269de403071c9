"""Metrics, warnings and the text view from demo data in a real PostgreSQL and run log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_monitoring_support import ORG_A, ORG_B, SECRET, build_demo

from target_tsh_erp.cli import main
from target_tsh_erp.monitoring.alerts import Thresholds, warnings
from target_tsh_erp.monitoring.figures import quota_figures
from target_tsh_erp.monitoring.metrics import exposition
from target_tsh_erp.monitoring.runlog import read_facts
from target_tsh_erp.status import collect, render_text

if TYPE_CHECKING:
    from pathlib import Path

    from test_monitoring_support import Demo

    from target_tsh_erp.monitoring.report import StatusReport


@pytest.fixture
def demo(conn, writer, settings, tmp_path: Path) -> Demo:
    return build_demo(conn, writer, settings, tmp_path)


@pytest.fixture
def report(conn, settings, demo: Demo) -> StatusReport:
    return collect(conn, erp_schema=settings.erp_schema, raw_schema=settings.raw_schema,
                   run_log=demo.run_log, now=demo.now, webhook_schema=demo.webhook_schema)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_figures_from_the_run_log_and_the_inbox(report: StatusReport, demo: Demo) -> None:
    quotas = {(q.organization_id, q.product): q for q in report.quotas}
    assert quotas[ORG_B, "books"].remaining == 800 - 5 * 150
    assert quotas[ORG_A, "books"].limit is None  # the tap does not log the limit (yet)
    assert quotas[ORG_A, "inventory"].limit == 5000
    assert quotas[ORG_A, "inventory"].used == 1000
    # 150 requests every 15 minutes over the last hour's readings
    assert quotas[ORG_A, "books"].burn_per_hour == pytest.approx(600)
    assert quotas[ORG_A, "inventory"].burn_per_hour is None  # one reading is no rate
    assert report.crm_credits == {"crm_accounts": 5 * 9000}
    streams = {(s.stream, s.organization_id): s for s in report.streams}
    assert streams["books_invoices", ORG_B].last_success == demo.now - timedelta(minutes=15)
    assert streams["crm_deals", ORG_A].last_success is None
    assert streams["crm_deals", ORG_A].failures_since_success == 2
    reason = streams["crm_deals", ORG_A].last_failure
    assert reason.startswith("GET /crm/v8/Deals failed with HTTP 401, Zoho code INVALID_TOKEN: ")
    assert SECRET not in reason
    assert SECRET[::-1] not in reason
    assert "Zoho-oauthtoken ***" in reason
    assert report.inbox is not None
    assert (report.inbox.pending, report.inbox.dead) == (2, 1)
    assert report.inbox.oldest_pending_age == timedelta(minutes=40)


def test_warnings_name_each_condition_and_respect_thresholds(report: StatusReport) -> None:
    found = {w.alert for w in warnings(report)}
    assert found == {"TshZohoStreamStale", "TshZohoQuotaLow", "TshZohoCrmCreditsLow",
                     "TshZohoWebhookDeadLetters", "TshZohoWebhookPendingOld",
                     "TshZohoRunFailed", "TshZohoStreamFailed", "TshZohoReconcileDrift"}
    relaxed = Thresholds(schedule_seconds=4 * 3600, quota_reserve_requests=10,
                         crm_daily_credits=100_000, pending_webhook_seconds=3600)
    assert {w.alert for w in warnings(report, relaxed)} == {
        "TshZohoWebhookDeadLetters", "TshZohoRunFailed", "TshZohoStreamFailed",
        "TshZohoReconcileDrift"}
    stale = [w.message for w in warnings(report) if w.alert == "TshZohoStreamStale"]
    assert stale == [(f"inventory_items of organization {ORG_A}: last success 180 min ago "
                      "(schedule 15 min)")]


def test_metrics_follow_the_report(report: StatusReport, demo: Demo) -> None:
    text = exposition(lambda: report, Thresholds()).decode()
    got = samples(text)
    assert got["tsh_zoho_quota_remaining_requests",
               (("organization", ORG_B), ("product", "books"))] == 50
    assert got["tsh_zoho_quota_burn_rate_requests_per_second",
               (("organization", ORG_A), ("product", "books"))] == pytest.approx(600 / 3600)
    assert got["tsh_zoho_stream_last_success_timestamp_seconds",
               (("organization", ORG_B), ("product", "books"), ("stream", "books_invoices"))
               ] == (demo.now - timedelta(minutes=15)).timestamp()
    assert got["tsh_zoho_sync_runs_total", (("outcome", "failed"),)] == 1
    assert got["tsh_zoho_sync_runs_total", (("outcome", "success"),)] == 4
    assert got["tsh_zoho_last_run_outcome", (("outcome", "failed"),)] == 1
    assert got["tsh_zoho_sync_records_rejected_total", ()] == 4
    assert got["tsh_zoho_webhook_inbox_dead_letters", ()] == 1
    assert got["tsh_zoho_webhook_inbox_oldest_pending_age_seconds", ()] == 40 * 60
    assert got["tsh_zoho_reconcile_drift_lines", ()] == 2
    assert got["tsh_zoho_crm_credits_used_rolling_day", (("stream", "crm_accounts"),)] == 45_000
    assert got["tsh_zoho_erp_rows", (("state", "live"), ("table", "products"))] == 3
    assert got["tsh_zoho_stream_lag_seconds", (("stream", "books_items"),)] == 50 * 60
    shown = render_text(report)
    assert SECRET not in text
    assert SECRET not in shown
    assert SECRET[::-1] not in shown
    assert "failed 2x since its last success" in shown


def test_cli_writes_the_textfile_and_prints_warnings(
    database_url: str, settings, demo: Demo, tmp_path: Path, capsys
) -> None:
    config: dict[str, Any] = {"database_url": database_url, "erp_schema": settings.erp_schema,
                              "raw_schema": settings.raw_schema}
    (tmp_path / "target.json").write_text(json.dumps(config), encoding="utf-8")
    out = tmp_path / "textfile" / "tsh_zoho.prom"
    code = main(["status", "--config", str(tmp_path / "target.json"), "--run-log",
                 str(demo.run_log), "--webhook-schema", demo.webhook_schema,
                 "--metrics-file", str(out), "--quota-reserve", "10"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "! TshZohoRunFailed: last run failed: OperationalError" in printed
    assert "TshZohoQuotaLow" not in printed  # 50 left is above a reserve of 10
    assert "Webhook inbox: 2 pending (oldest 40m), 1 dead letters" in printed
    got = samples(out.read_text(encoding="utf-8"))
    assert got["tsh_zoho_webhook_inbox_pending", ()] == 2
    assert not list(out.parent.glob(".*"))  # the temporary file was renamed, not left


def test_burn_rate_needs_readings_minutes_apart_and_restarts_after_a_reset() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)

    def done(minutes_ago: float, left: int) -> tuple[datetime, str]:
        return (now - timedelta(minutes=minutes_ago),
                (f"done books_items org 1: 3 records, 1 pages, 2 requests (2/min), "
                f"daily quota left {left}"))

    close = read_facts([done(0.05, 9970), done(0.0, 9968)])
    assert quota_figures(close, now)[0].burn_per_hour is None  # one run's streams
    spread = read_facts([done(30, 900), done(0, 600)])
    assert quota_figures(spread, now)[0].burn_per_hour == pytest.approx(600)
    # the quota reset between readings: only the readings after it count
    reset = read_facts([done(50, 10), done(40, 9990), done(10, 9890)])
    assert quota_figures(reset, now)[0].burn_per_hour == pytest.approx(200)
