"""A deletion is final against anything older (issue 14 D2), through the served service.

Update at T0, a `deleted` delivery (its payload still says T0), then a late delivery of
an update made at T1 (T0 < T1 < deletion), as a Zoho retry after one of our 503s would
arrive: the invoice and its lines stay deleted. An update made after the deletion (the
invoice restored in Zoho) brings them back. Real service, real PostgreSQL, the emulator's
invoice as the payload.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
import requests
from psycopg import sql

from target_tsh_erp.database import connect
from target_tsh_erp.store import apply_records
from tests.zoho_webhooks.conftest import ORG
from tests.zoho_webhooks.support import erp_rows, settled, wait_for
from tests.zoho_webhooks.test_crm import subscribe
from tests.zoho_webhooks.test_refusals import post, zoho_time
from zoho_emulator.crm.service import Crm
from zoho_webhooks.signing import SIGNATURE_HEADER, sign_form
from zoho_webhooks.testing import DEMO_WEBHOOK_SECRET

if TYPE_CHECKING:
    import psycopg

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.settings import ServiceSettings
    from zoho_webhooks.testing import RunningService


def deliver(service: RunningService, db: psycopg.Connection[Any], settings: ServiceSettings,
            record: dict[str, Any], event: str) -> None:
    """One signed delivery, applied before the next (Zoho sends them in that order)."""
    response = post(service, orjson.dumps({"invoice": record}),
                    params={"organization_id": ORG, "event": event})
    assert response.status_code == 202, response.text
    wait_for(lambda: settled(db, settings))


def invoice_state(db: psycopg.Connection[Any], settings: ServiceSettings) -> dict[str, Any]:
    return {
        "header": [(ref, deleted is not None) for ref, deleted in
                   erp_rows(db, settings, "invoices", "reference_number, deleted_at")],
        "lines": {deleted is not None for (deleted,) in
                  erp_rows(db, settings, "invoice_lines", "deleted_at")},
    }


def test_late_update_older_than_the_deletion_leaves_invoice_and_lines_deleted(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    finance = emulator.emulator.finance
    record = finance.record(ORG, "invoices", finance.create(ORG, "invoices")[0])
    assert record["line_items"], "the emulator's invoice has lines to delete"
    now = datetime.now(UTC).replace(microsecond=0)
    at_t0 = {**record, "last_modified_time": zoho_time(now - timedelta(minutes=4)),
             "reference_number": "T0"}
    deliver(service, db, settings, at_t0, "updated")
    deliver(service, db, settings, at_t0, "deleted")
    assert invoice_state(db, settings) == {"header": [("T0", True)], "lines": {True}}

    late = {**record, "last_modified_time": zoho_time(now - timedelta(minutes=2)),
            "reference_number": "T1"}
    deliver(service, db, settings, late, "updated")
    state = invoice_state(db, settings)  # the header holds the form's pairs, deleted
    assert [deleted for _, deleted in state["header"]] == [True]
    assert [ref for ref, _ in state["header"]] != ["T1"], "the late update was refused"
    assert state["lines"] == {True}

    restored = {**record, "last_modified_time": zoho_time(now + timedelta(minutes=1)),
                "reference_number": "T2"}
    deliver(service, db, settings, restored, "updated")
    assert invoice_state(db, settings) == {"header": [("T2", False)], "lines": {False}}




def test_a_form_deletion_without_lines_deletes_the_stored_lines_too(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    """Form entity parameters carry the header's fields only: the lines go with it."""
    finance = emulator.emulator.finance
    record = finance.record(ORG, "invoices", finance.create(ORG, "invoices")[0])
    now = datetime.now(UTC).replace(microsecond=0)
    at_t0 = {**record, "last_modified_time": zoho_time(now - timedelta(minutes=4)),
             "reference_number": "T0"}
    deliver(service, db, settings, at_t0, "updated")
    pairs = [("invoice_id", record["invoice_id"]),
             ("last_modified_time", at_t0["last_modified_time"])]
    query = {"organization_id": ORG, "event": "deleted"}
    response = requests.post(
        f"{service.base_url}/webhooks/books", params=query, data=pairs, timeout=10,
        headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
                 SIGNATURE_HEADER: sign_form(DEMO_WEBHOOK_SECRET, pairs, query)})
    assert response.status_code == 202, response.text
    wait_for(lambda: settled(db, settings))
    assert invoice_state(db, settings)["lines"] == {True}
    late = {**record, "last_modified_time": zoho_time(now - timedelta(minutes=2)),
            "reference_number": "T1"}
    deliver(service, db, settings, late, "updated")
    state = invoice_state(db, settings)  # the header holds the form's pairs, deleted
    assert [deleted for _, deleted in state["header"]] == [True]
    assert [ref for ref, _ in state["header"]] != ["T1"], "the late update was refused"
    assert state["lines"] == {True}


def test_crm_deletion_carries_zohos_server_time_and_stays_final(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    database_url: str, db: psycopg.Connection[Any],
) -> None:
    """A CRM `delete` notification is dated with its `server_time` (not when a worker got
    to it), and an older copy of the record written after it (the tap re-reading a
    bookmark; here through the same `apply_records`) leaves it deleted in both layers."""
    settings = replace(settings, public_url=service.base_url)
    subscribe(settings, database_url)
    store = Crm.of(emulator.emulator)
    [deal_id] = store.create("Deals", count=1)
    store.flush_notifications()
    wait_for(lambda: settled(db, settings))
    [(stored,)] = db.execute(sql.SQL("SELECT record FROM {}.crm_deals").format(
        sql.Identifier(settings.raw_schema))).fetchall()
    time.sleep(1.1)  # Zoho's times have whole seconds: the deletion is a later second
    store.delete("Deals", ids=[deal_id])
    store.flush_notifications()
    wait_for(lambda: settled(db, settings))
    [(payload,)] = db.execute(sql.SQL("SELECT payload FROM {}.inbox WHERE operation = 'delete'")
                              .format(sql.Identifier(settings.service_schema))).fetchall()
    deleted = datetime.fromtimestamp(orjson.loads(payload)["server_time"] / 1000, UTC)
    assert erp_rows(db, settings, "opportunities", "zoho_id, deleted_at") == [(deal_id, deleted)]

    late_time = deleted - timedelta(milliseconds=1)
    assert datetime.fromisoformat(stored["Modified_Time"]) < late_time
    late = {**stored, "Modified_Time": late_time.isoformat(), "Deal_Name": "late copy"}
    with connect(database_url) as connection:
        apply_records(connection, "crm_deals", [late], settings=settings.writer_settings)
    assert erp_rows(db, settings, "opportunities", "zoho_id, name, deleted_at") == [
        (deal_id, stored["Deal_Name"], deleted)]
    assert db.execute(sql.SQL("SELECT record->>'Deal_Name', deleted_at FROM {}.crm_deals")
                      .format(sql.Identifier(settings.raw_schema))).fetchall() == [
        (stored["Deal_Name"], deleted)]
