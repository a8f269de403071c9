"""`tsh-erp status`: runs, requests, rows and lag, as text and as an offline HTML page."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from scripts.meltano_runner import PROJECT_ROOT
from target_tsh_erp.status import collect, load_runs, render_text
from target_tsh_erp.store.events import SYNC_COMPLETED, SYNC_FAILED, SYNC_STARTED, publish
from target_tsh_erp.store.migrations import migrate

if TYPE_CHECKING:
    from pathlib import Path

    from scripts.emulator_process import EmulatorProcess
    from scripts.meltano_runner import MeltanoProject

pytestmark = pytest.mark.timeout(600)


def test_runs_pair_start_and_end_events_and_keep_killed_and_failed_runs(erp) -> None:
    migrate(erp, "erp_status_unit", "raw_status_unit")
    for event, payload in [
        (SYNC_STARTED, {}),
        (SYNC_COMPLETED, {"erp_written": {"invoices": 7, "products": 3},
                          "received": {"books_invoices": 7}, "rejected": 1}),
        (SYNC_STARTED, {}),  # killed: no end event
        (SYNC_STARTED, {}),
        (SYNC_FAILED, {"reason": "OperationalError: disk full"}),
    ]:  # fmt: skip
        publish(erp, "erp_status_unit", "status_unit", event, payload)
    runs = load_runs(erp, "erp_status_unit")
    assert [run.outcome for run in runs] == ["success", "running or killed", "failed"]
    assert runs[0].erp_written == {"invoices": 7, "products": 3}
    assert runs[0].rows_written == 10
    assert runs[0].rejected == 1
    assert runs[1].ended_at is None
    assert runs[2].reason == "OperationalError: disk full"

    report = collect(erp, erp_schema="erp_status_unit", raw_schema="raw_status_unit",
                     now=datetime.now(UTC) + timedelta(hours=1))
    text = render_text(report)
    assert "running or killed" in text
    assert "invoices 7, products 3" in text
    assert "API requests: no Meltano run log found" in text


def test_status_after_a_meltano_run(
    project: MeltanoProject, emulator: EmulatorProcess, erp_database: str, tmp_path: Path
) -> None:
    schemas = {"TARGET_TSH_ERP_ERP_SCHEMA": "erp_status", "TARGET_TSH_ERP_RAW_SCHEMA": "raw_status"}
    emulator.reset_stats()
    project.run(
        "run", "--state-id-suffix", "status", "tap-zoho", "target-tsh-erp",
        extra_env={**schemas, "TAP_ZOHO_PRODUCTS": '["books"]',
                   "TAP_ZOHO__SELECT": '["books_invoices.*", "books_invoice_line_items.*"]'},
    )  # fmt: skip
    stats = emulator.stats()
    requests = stats["total_requests"]
    # Calls outside any stream's ledger: the organizations lookups and the custom-field
    # discovery (/settings/preferences) of Meltano's separate --discover process.
    outside_streams = sum(count for route, count in stats["requests_by_route"].items()
                          if route.endswith(("/organizations", "/settings/preferences")))

    html_path = tmp_path / "report.html"
    metrics_path = tmp_path / "textfile" / "tsh_zoho.prom"
    shown = subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "tsh-erp"), "status", "--html", str(html_path),
         "--run-log", str(project.root / ".meltano" / "logs" / "meltano.jsonl"),
         "--metrics-file", str(metrics_path)],
        env={**os.environ, **schemas, "TARGET_TSH_ERP_DATABASE_URL": erp_database},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    run_line = next(line for line in text.splitlines()
                    if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\S+ \S+\s+success ", line))
    columns = re.split(r"\s{2,}", run_line)
    # start, end, outcome, records, erp rows, API requests, rejects, rows per table
    api_requests = int(columns[5])
    # The tap's streams count their own calls; the emulator counts every call.
    assert requests - outside_streams == api_requests, (api_requests, requests, stats)
    invoices = emulator.control("GET", "finance/10234695/invoices/count")["count"]
    invoices += emulator.control("GET", "finance/20987654/invoices/count")["count"]
    assert re.search(rf"^invoices\s+{invoices}\s+0$", text, re.MULTILINE), text
    assert re.search(r"^books_invoices\s+\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+[smhd]$",
                     text, re.MULTILINE), text

    # The tap's own `done` lines, as Meltano logged them, give each stream and
    # organization its last success and each organization's Books quota left.
    for organization in ("10234695", "20987654"):
        assert re.search(rf"^books_invoices\s+{organization}\s+\d{{4}}-\d\d-\d\d ", text,
                         re.MULTILINE), text
    metrics = metrics_path.read_text(encoding="utf-8")
    assert re.search(r'^tsh_zoho_quota_remaining_requests\{organization="10234695",'
                     r'product="books"\} \d+', metrics, re.MULTILINE), metrics
    assert 'tsh_zoho_sync_runs_total{outcome="success"} 1.0' in metrics

    page = html_path.read_text(encoding="utf-8")
    assert page.count("<svg") == 3  # quota left, rows per run, requests per run
    assert "<script" not in page
    assert "<link" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//|url\((?!#)|@import", page)
    assert f"<td>{api_requests}</td>" in page
