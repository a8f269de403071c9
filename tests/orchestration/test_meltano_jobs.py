"""The jobs and schedules of meltano.yml do what docs/operations.md says."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from scripts.emulator_process import EmulatorProcess
    from scripts.meltano_runner import MeltanoProject

pytestmark = pytest.mark.timeout(900)

ORGS = ("10234695", "20987654")


def test_crm_deletions_job_soft_deletes_and_reads_only_deleted_lists(
    project: MeltanoProject, emulator: EmulatorProcess, erp
) -> None:
    deleted = emulator.control("POST", "crm/Accounts/delete", {"count": 2})["ids"]
    emulator.reset_stats()
    project.run("run", "crm-deletions", extra_env={
        "TAP_ZOHO_CRM_DELETIONS_ACCOUNTS_URL": emulator.base_url,
        "TAP_ZOHO_CRM_DELETIONS_REQUESTS_PER_MINUTE": "100000",
        "TARGET_TSH_ERP_ERP_SCHEMA": "erp_jobs", "TARGET_TSH_ERP_RAW_SCHEMA": "raw_jobs",
    })  # fmt: skip
    routes = emulator.stats()["requests_by_route"]
    record_reads = {route: n for route, n in routes.items()
                    if route.startswith("crm:/{module}") and not route.endswith("/deleted")}
    assert routes.get("crm:/{module}/deleted", 0) > 0, routes
    assert not record_reads, f"the deletions job read records: {record_reads}"
    rows = erp.execute(
        "SELECT zoho_id FROM erp_jobs.crm_accounts WHERE zoho_id = ANY(%s)"
        " AND deleted_at IS NOT NULL",
        ([str(i) for i in deleted],),
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(str(i) for i in deleted)


def test_weekly_full_refresh_schedule_ignores_the_stored_bookmarks(
    project: MeltanoProject, emulator: EmulatorProcess
) -> None:
    env = {
        "TAP_ZOHO_PRODUCTS": '["books"]',
        "TAP_ZOHO__SELECT": '["books_invoices.*", "books_invoice_line_items.*"]',
        "TARGET_TSH_ERP_ERP_SCHEMA": "erp_jobs", "TARGET_TSH_ERP_RAW_SCHEMA": "raw_jobs",
        # Its own state id (the other tests use the unsuffixed one).
        "MELTANO_RUN_STATE_ID_SUFFIX": "jobs",
    }
    project.run("run", "sync", extra_env=env)
    state = project.state("dev:tap-zoho-to-target-tsh-erp:jobs")
    assert "books_invoices" in state["singer_state"]["bookmarks"]
    # test_meltano_pipeline shows that a run from such a state fetches no unchanged
    # invoice; the full refresh must fetch every one.
    emulator.reset_stats()
    project.run("schedule", "run", "zoho-full-refresh-weekly", extra_env=env)
    refreshed = emulator.stats()["requests_by_route"].get("books:/invoices/{id}", 0)
    invoices = sum(
        emulator.control("GET", f"finance/{org}/invoices/count")["count"] for org in ORGS
    )
    assert refreshed == invoices, "the full refresh did not re-read every invoice"


def test_reconcile_job_compares_zoho_with_the_erp_after_a_sync(
    project: MeltanoProject, erp
) -> None:
    """The daily `reconcile` job runs `tsh-erp reconcile` with the tap's credentials (the
    utility's settings share the tap's variables) and stores its verdict in the outbox."""
    schemas = {"TARGET_TSH_ERP_ERP_SCHEMA": "erp_reconcile",
               "TARGET_TSH_ERP_RAW_SCHEMA": "raw_reconcile"}  # fmt: skip
    project.run("run", "tap-zoho", "target-tsh-erp", extra_env=schemas)
    done = project.run("run", "reconcile", extra_env=schemas)
    assert "invoices" in done.output
    events = erp.execute(
        "SELECT event_type FROM erp_reconcile.events_outbox"
        " WHERE event_type LIKE 'tds.zoho.reconcile.%%'"
    ).fetchall()
    assert [row[0] for row in events] == ["tds.zoho.reconcile.completed"], done.output[-3000:]
