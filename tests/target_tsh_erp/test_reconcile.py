"""`tsh-erp reconcile` against the emulator (HTTP) and a real embedded PostgreSQL.

The ERP is written by the real pipeline: tap-zoho synced in-process from the emulator,
its output fed to target-tsh-erp. Expected figures come from the emulator's ground
truth (its Python API), never from the command under test.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from psycopg import sql

from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.assumptions.findings import Findings
from tap_zoho.doctor.finance import OTHER_AGGREGATE_LISTS
from tap_zoho.testing import emulator_config, run_tap
from target_tsh_erp.cli import main
from target_tsh_erp.monitoring.page import render_page
from target_tsh_erp.reconcile.command import zoho_settings
from target_tsh_erp.reconcile.plan import (
    EXIT_DRIFT,
    NO_AGGREGATE,
    OTHER_AGGREGATE,
    OTHER_LISTS,
    UNAGGREGATED,
)
from target_tsh_erp.reconcile.report import (
    INFORMATION,
    RECONCILE_COMPLETED,
    RECONCILE_DRIFT,
    publish_report,
)
from target_tsh_erp.reconcile.run import NOT_IN_ANSWER, reconcile
from target_tsh_erp.reconcile.zoho import ZohoAggregates
from target_tsh_erp.status import collect, render_text
from target_tsh_erp.target import TargetTshErp
from zoho_emulator.crm import Crm
from zoho_emulator.crm.catalog import ORG_ID as CRM_ORG
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from target_tsh_erp.reconcile.report import Line, ReconcileReport

ORG_IN = "10234695"
ORG_US = "20987654"
MODULES = {"Accounts": "crm_accounts", "Contacts": "crm_contacts", "Deals": "opportunities"}
STREAMS = {"books_invoices", "crm_accounts", "crm_contacts", "crm_deals"}


def run_target(config: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    """Feed Singer messages to the target in-process."""
    text = "\n".join(orjson.dumps(m).decode() for m in messages) + "\n"
    with redirect_stdout(io.StringIO()):
        TargetTshErp(config=config).listen(io.StringIO(text))


def modified(row: dict[str, Any]) -> datetime:
    return datetime.strptime(row["last_modified_time"], "%Y-%m-%dT%H:%M:%S%z")


def money(values: list[Any]) -> Decimal:
    return sum((Decimal(str(v)) for v in values), Decimal(0))


@pytest.fixture
def zoho() -> Iterator[Any]:
    with run_emulator(scale=40, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
                      token_mint_limit=1_000) as running:
        Crm.of(running.emulator).set_counts({"Accounts": 25, "Contacts": 25, "Deals": 25})
        yield running


def tap_config(zoho: Any) -> dict[str, Any]:
    return emulator_config(zoho.base_url, products=["books", "crm"],
                           crm_modules=list(MODULES), crm_bulk_threshold=0)


def run(conn: Any, settings: Any, zoho: Any) -> ReconcileReport:
    client = UnifiedZohoClient.from_config(tap_config(zoho))
    try:
        return reconcile(conn, settings, ZohoAggregates(client), products=["books", "crm"])
    finally:
        client.close()


def line(report: ReconcileReport, org: str, entity: str, measure: str = "count") -> Line:
    found = [item for item in report.lines
             if (item.organization_id, item.entity, item.measure) == (org, entity, measure)]
    assert len(found) == 1, report.lines
    return found[0]


def test_an_erp_in_sync_reports_no_drift_in_a_few_calls(zoho, conn, settings, target_config):
    synced = run_tap(tap_config(zoho), streams=STREAMS)
    run_target(target_config, synced.messages)
    zoho.emulator.clock.advance(10)
    report = run(conn, settings, zoho)
    assert report.drift == []
    finance = zoho.emulator.finance
    for org in (ORG_IN, ORG_US):
        rows = list(finance.records(org, "invoices"))
        # The newest invoices are at the ERP's bookmark; Zoho's filter is "at or after",
        # so they are set apart on both sides (a same-second change may not be synced).
        newest = max(modified(r) for r in rows)
        compared_rows = [r for r in rows if modified(r) < newest]
        assert 0 < len(compared_rows) < len(rows)
        count = line(report, org, "invoices")
        assert (count.zoho, count.erp, count.verdict) == (
            len(compared_rows), len(compared_rows), "in sync")
        assert count.note.startswith(f"{len(rows) - len(compared_rows)} changed after ")
        total = line(report, org, "invoices", "sum of total")
        assert total.zoho == total.erp == money([r["total"] for r in compared_rows])
        assert line(report, org, "invoices", "sum of balance").verdict == "in sync"
        for table in UNAGGREGATED:  # said so, not guessed
            assert (line(report, org, table.table).zoho, line(report, org, table.table).verdict
                    ) == (None, NO_AGGREGATE)
    crm = Crm.of(zoho.emulator)
    for module, table in MODULES.items():
        counted = line(report, CRM_ORG, table)
        assert counted.zoho == counted.erp == len(crm.live_ids(module))
    # Books: all invoices' figures + the changed ones (one page); CRM: /org + 3 counts;
    # "-": the organizations listing, counted against no organization's quota.
    assert report.calls == {"-": 1, ORG_IN: 2, ORG_US: 2, CRM_ORG: 4}
    publish_report(conn, settings, report)
    events = conn.execute(sql.SQL("SELECT event_type, payload FROM {}.events_outbox"
                                  " WHERE event_type LIKE 'tds.zoho.reconcile.%%'").format(
                                      sql.Identifier(settings.erp_schema))).fetchall()
    assert [event for event, _ in events] == [RECONCILE_COMPLETED]
    assert events[0][1]["drift"] == 0
    assert events[0][1]["calls"] == {"-": 1, ORG_IN: 2, ORG_US: 2, CRM_ORG: 4}

    zoho.emulator.answers.set(["crm-count-forbidden"])  # an org whose profile may not count
    refused = run(conn, settings, zoho)
    for table in MODULES.values():
        assert line(refused, CRM_ORG, table).verdict == "Zoho refused"
        assert "NO_PERMISSION" in line(refused, CRM_ORG, table).note
    assert line(refused, ORG_IN, "invoices").verdict == "in sync"
    assert refused.drift == []

    # Zoho puts the figures under other keys (register entry list.aggregate-keys): said so,
    # with the keys Zoho did send, and no drift claimed.
    zoho.emulator.answers.set(["aggregates-elsewhere"])
    elsewhere = run(conn, settings, zoho)
    for org in (ORG_IN, ORG_US):
        for measure in ("count", "sum of total", "sum of balance"):
            unread = line(elsewhere, org, "invoices", measure)
            assert unread.verdict == NOT_IN_ANSWER, unread
        assert "sum_of_total" in line(elsewhere, org, "invoices", "sum of total").note
    assert elsewhere.drift == []


def test_deleted_missed_and_missing_records_are_drift(  # noqa: PLR0915 - one story
    zoho, conn, settings, target_config, tmp_path: Path
):
    config = tap_config(zoho)
    first = run_tap(config, streams=STREAMS)
    accounts = first.records["crm_accounts"]
    lost = min(accounts, key=lambda r: r["Modified_Time"])  # not the newest: it sets no bookmark
    run_target(target_config, [m for m in first.messages
                               if not (m["type"] == "RECORD" and m["stream"] == "crm_accounts"
                                       and m["record"]["id"] == lost["id"])])
    finance, crm, clock = zoho.emulator.finance, Crm.of(zoho.emulator), zoho.emulator.clock
    clock.advance(10)
    # ORG_IN: one invoice deleted in Zoho (the ERP still holds it), one created since.
    gone_id = finance.delete(ORG_IN, "invoices")[0]
    gone = conn.execute(sql.SQL("SELECT total, balance FROM {}.invoices WHERE zoho_id = %s")
                        .format(sql.Identifier(settings.erp_schema)), (gone_id,)).fetchone()
    assert gone is not None
    finance.create(ORG_IN, "invoices")
    # ORG_US: an update to an invoice's total that the ERP missed (its record lost), then a
    # later change that did arrive and moved the ERP's bookmark past the missed one.
    missed = next(iter(finance.records(ORG_US, "invoices")))
    finance.update(ORG_US, "invoices", ids=[missed["invoice_id"]],
                   fields={"total": missed["total"] + 500})
    clock.advance(10)
    later = next(r for r in finance.records(ORG_US, "invoices")
             if r["invoice_id"] != missed["invoice_id"])
    finance.update(ORG_US, "invoices", ids=[later["invoice_id"]], fields={"reference_number": "x"})
    second = run_tap(config, state=first.state, streams={"books_invoices"})
    assert {r["invoice_id"] for r in second.records["books_invoices"]} >= {
        missed["invoice_id"], later["invoice_id"]}
    run_target(target_config, [m for m in second.messages
                               if not (m["type"] == "RECORD"
                                       and m["record"].get("invoice_id") == missed["invoice_id"])])
    crm.create("Accounts")  # created after the ERP's bookmark: not drift
    clock.advance(10)

    target_file, tap_file = tmp_path / "target.json", tmp_path / "tap.json"
    target_file.write_text(json.dumps(target_config))
    tap_file.write_text(json.dumps(config))
    printed = io.StringIO()
    with redirect_stdout(printed):
        code = main(["reconcile", "--config", str(target_file), "--tap-config", str(tap_file),
                     "--fail-on-drift"])
    assert code == EXIT_DRIFT, printed.getvalue()
    stored = conn.execute(sql.SQL("SELECT event_type, payload FROM {}.events_outbox"
                                  " WHERE event_type LIKE 'tds.zoho.reconcile.%%' ORDER BY id")
                          .format(sql.Identifier(settings.erp_schema))).fetchall()
    assert [event for event, _ in stored] == [RECONCILE_COMPLETED, RECONCILE_DRIFT]
    drift = {(d["organization_id"], d["entity"], d["measure"]): d for d in stored[1][1]["lines"]}
    assert set(drift) == {
        (ORG_IN, "invoices", "count"), (ORG_IN, "invoices", "sum of total"),
        (ORG_US, "invoices", "sum of total"), (CRM_ORG, "crm_accounts", "count"),
    } | ({(ORG_IN, "invoices", "sum of balance")} if gone[1] else set())
    assert drift[ORG_IN, "invoices", "count"]["difference"] == "1"  # the ERP holds one more
    assert Decimal(drift[ORG_IN, "invoices", "sum of total"]["difference"]) == gone[0]
    assert Decimal(drift[ORG_US, "invoices", "sum of total"]["difference"]) == -500
    assert drift[CRM_ORG, "crm_accounts", "count"]["difference"] == "-1"  # one never arrived
    assert drift[CRM_ORG, "crm_accounts", "count"]["zoho"] == str(len(crm.live_ids("Accounts")) - 1)
    completed = {(d["organization_id"], d["entity"], d["measure"]): d
                 for d in stored[0][1]["lines"]}
    assert " changed after " in completed[ORG_IN, "invoices", "count"]["note"]
    assert completed[ORG_US, "invoices", "count"]["verdict"] == "in sync"
    assert completed[ORG_US, "invoices", "count"]["note"].startswith("1 changed after ")
    assert stored[0][1]["calls"] == {"-": 1, ORG_IN: 2, ORG_US: 2, CRM_ORG: 4}
    text = printed.getvalue()
    assert f"Zoho calls per organization: - 1, {ORG_IN} 2, {ORG_US} 2, {CRM_ORG} 4" in text
    assert "demo-client-secret" not in text  # never a secret in the output

    report = collect(conn, erp_schema=settings.erp_schema, raw_schema=settings.raw_schema,
                     now=datetime.now(UTC))
    shown = render_text(report)
    assert "Last reconciliation with Zoho: " in shown
    assert f"{len(drift)} line(s) drift" in shown
    assert "crm_accounts" in shown.split("Last reconciliation with Zoho:")[1]
    page = render_page(report)
    assert "<h2>Reconciliation with Zoho</h2>" in page
    assert "-500" in page


# ---------------------------------------------- lists without a documented aggregate
OTHER_STREAMS = {"books_invoices", "books_sales_orders", "books_purchase_orders",
                 "books_contacts", "books_items", "books_customer_payments"}
JUDGED = {"sales_orders": "salesorders", "purchase_orders": "purchaseorders",
          "customers+vendors": "contacts"}
"""Lists that take (or sort by) last_modified_time: compared, the changed ones set apart."""
SHOWN = {"products": "items", "payments": "customerpayments"}
"""Lists that do neither: both counts shown, not judged."""


def doctor(zoho: Any, folder: Path) -> Path:
    """`tap-zoho doctor` over HTTP, as a user runs it; the findings file it writes."""
    config, output = folder / "doctor-config.json", folder / "tap-zoho-doctor.json"
    config.write_text(json.dumps(emulator_config(zoho.base_url)))
    done = subprocess.run(
        [str(Path(sys.executable).with_name("tap-zoho")), "doctor", "--config", str(config),
         "--output", str(output)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return output


def run_books(conn: Any, settings: Any, zoho: Any, findings: Findings | None) -> ReconcileReport:
    client = UnifiedZohoClient.from_config(tap_config(zoho))
    try:
        return reconcile(conn, settings, ZohoAggregates(client), products=["books"],
                         findings=findings)
    finally:
        client.close()


def test_other_lists_are_counted_only_where_the_doctor_saw_the_count(  # noqa: PLR0915
    zoho, conn, settings, target_config, tmp_path: Path
):
    finance, clock = zoho.emulator.finance, zoho.emulator.clock
    synced = run_tap(tap_config(zoho), streams=OTHER_STREAMS)
    run_target(target_config, synced.messages)
    clock.advance(10)

    # Zoho as documented: the other lists ignore response_option; the doctor says so and
    # reconcile spends no call on them.
    (tmp_path / "default").mkdir()
    ignored = Findings.load(doctor(zoho, tmp_path / "default"))
    for org in (ORG_IN, ORG_US):
        for other in OTHER_LISTS:
            finding = ignored.observed(OTHER_AGGREGATE, f"books:{org}", other.entity)
            assert finding is not None
            assert finding.holds is True, finding
    plain = run_books(conn, settings, zoho, ignored)
    for org in (ORG_IN, ORG_US):
        for table in UNAGGREGATED:
            unread = line(plain, org, table.table)
            assert (unread.zoho, unread.verdict) == (None, NO_AGGREGATE)
            assert "found response_option ignored" in unread.note
    assert plain.calls == {"-": 1, ORG_IN: 2, ORG_US: 2}

    # An organization where Zoho honours it: the doctor finds the count, reconcile uses it.
    zoho.emulator.answers.set(["aggregates-everywhere"])
    (tmp_path / "everywhere").mkdir()
    findings_file = doctor(zoho, tmp_path / "everywhere")
    honoured = Findings.load(findings_file)
    assert all(honoured.known_other(OTHER_AGGREGATE, f"books:{org}", other.entity)
               for org in (ORG_IN, ORG_US) for other in OTHER_LISTS)
    in_sync = run_books(conn, settings, zoho, honoured)
    assert in_sync.drift == [], in_sync.lines
    for org in (ORG_IN, ORG_US):
        for table, entity in JUDGED.items():
            rows = list(finance.records(org, entity))
            newest = max(modified(r) for r in rows)
            counted = line(in_sync, org, table)
            assert counted.verdict == "in sync"
            assert counted.zoho == counted.erp == sum(1 for r in rows if modified(r) < newest)
            assert " changed after " in counted.note
        for label, entity in SHOWN.items():
            shown = line(in_sync, org, label)
            assert shown.verdict == INFORMATION
            assert shown.zoho == shown.erp == len(list(finance.records(org, entity)))
            assert "neither filters nor sorts" in shown.note
        assert line(in_sync, org, "invoices").verdict == "in sync"
    # Per Books organization: invoices 2, then one count per list and one changed-since
    # listing for each of the three lists that filter or sort by last_modified_time.
    assert in_sync.calls == {"-": 1, ORG_IN: 10, ORG_US: 10}

    # A sales order deleted in Zoho and still live in the ERP: drift on sales_orders in
    # that organization only; a purchase order created since the sync is not drift; a
    # contact deleted in the other organization is drift there, one created is not.
    gone = finance.delete(ORG_IN, "salesorders")[0]
    finance.create(ORG_IN, "purchaseorders")
    finance.delete(ORG_US, "contacts")
    finance.create(ORG_US, "contacts")
    clock.advance(10)
    target_file, tap_file = tmp_path / "target.json", tmp_path / "tap.json"
    target_file.write_text(json.dumps(target_config))
    tap_file.write_text(json.dumps({**tap_config(zoho), "products": ["books"],
                                    "doctor_findings": str(findings_file)}))
    printed = io.StringIO()
    with redirect_stdout(printed):
        code = main(["reconcile", "--config", str(target_file), "--tap-config", str(tap_file),
                     "--fail-on-drift"])
    assert code == EXIT_DRIFT, printed.getvalue()
    stored = conn.execute(sql.SQL("SELECT payload FROM {}.events_outbox WHERE event_type = %s"
                                  " ORDER BY id DESC LIMIT 1")
                          .format(sql.Identifier(settings.erp_schema)),
                          (RECONCILE_DRIFT,)).fetchone()
    assert stored is not None
    drift = [(d["organization_id"], d["entity"], d["measure"], d["difference"])
             for d in stored[0]["lines"]]
    assert drift == [(ORG_IN, "sales_orders", "count", "1"),
                     (ORG_US, "customers+vendors", "count", "1")], printed.getvalue()
    assert conn.execute(sql.SQL("SELECT deleted_at IS NULL FROM {}.sales_orders"
                                " WHERE zoho_id = %s").format(
                                    sql.Identifier(settings.erp_schema)), (gone,)).fetchone() == (
                                        True,)
    assert f"Zoho calls per organization: - 1, {ORG_IN} 10, {ORG_US} 10" in printed.getvalue()

    # Contacts whose answer does not echo the newest-first sort: shown, not judged.
    zoho.emulator.answers.set(["aggregates-everywhere", "sort-ignored"])
    unsorted = run_books(conn, settings, zoho, honoured)
    contacts = line(unsorted, ORG_US, "customers+vendors")
    # The deleted contact and the new one cancel out without the set-apart: not judged.
    assert (contacts.verdict, contacts.difference) == (INFORMATION, 0)
    assert "did not echo sort_column" in contacts.note
    assert line(unsorted, ORG_IN, "sales_orders").verdict == "drift"

    # Findings that say "honoured" but an answer without the count: said so, never guessed.
    zoho.emulator.answers.set([])
    stale = run_books(conn, settings, zoho, honoured)
    for org in (ORG_IN, ORG_US):
        for label in (*JUDGED, *SHOWN):
            unread = line(stale, org, label)
            assert (unread.zoho, unread.verdict) == (None, NOT_IN_ANSWER), unread
            assert "page_context keys" in unread.note
    assert stale.drift == []
    assert stale.calls == {"-": 1, ORG_IN: 7, ORG_US: 7}  # no changed-since listing then


def test_the_doctor_checks_every_list_reconcile_may_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {other.entity for other in OTHER_LISTS} == set(OTHER_AGGREGATE_LISTS)
    assert {t for other in OTHER_LISTS for t in other.tables} == {t.table for t in UNAGGREGATED}
    tap_file = tmp_path / "tap.json"
    tap_file.write_text(json.dumps(emulator_config("http://127.0.0.1:9")))
    monkeypatch.setenv("TAP_ZOHO_DOCTOR_FINDINGS", str(tmp_path / "findings.json"))
    assert zoho_settings(str(tap_file))["doctor_findings"] == str(tmp_path / "findings.json")
