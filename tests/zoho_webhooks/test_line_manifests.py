"""A webhook of a document with lines sends its line manifest: dropped lines leave the ERP.

Zoho's sender (the emulator's) delivers an invoice after its lines were edited in Zoho:
one of three dropped, then all of them. The served service's worker lands the lines and
the document's manifest, and the target's sweep soft-deletes what the document no
longer lists, raw and ERP, without waiting for the next batch sync. A document emptied
of ALL its lines has no line record to sweep by: only the manifest says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from psycopg import sql

from tests.zoho_webhooks.conftest import ORG
from tests.zoho_webhooks.support import settled, wait_for
from tests.zoho_webhooks.test_finance_webhooks import register
from zoho_webhooks.records import catalog, shape

if TYPE_CHECKING:
    import psycopg

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.settings import ServiceSettings
    from zoho_webhooks.testing import RunningService

MANIFESTS = "books_invoice_line_manifests"


def live_lines(
    db: psycopg.Connection[Any], settings: ServiceSettings, invoice_id: str
) -> dict[str, list[str]]:
    """The invoice's lines not soft-deleted, in the ERP and in the raw layer."""
    erp = db.execute(sql.SQL(
        "SELECT zoho_id FROM {}.invoice_lines WHERE invoice_zoho_id = %s"
        " AND deleted_at IS NULL ORDER BY 1").format(sql.Identifier(settings.erp_schema)),
        (invoice_id,)).fetchall()
    raw = db.execute(sql.SQL(
        "SELECT line_item_id FROM {}.books_invoice_line_items WHERE invoice_id = %s"
        " AND deleted_at IS NULL ORDER BY 1").format(sql.Identifier(settings.raw_schema)),
        (invoice_id,)).fetchall()
    return {"erp": [row[0] for row in erp], "raw": [row[0] for row in raw]}


def delivered(emulator: RunningEmulator, db: psycopg.Connection[Any],
              settings: ServiceSettings) -> None:
    assert emulator.emulator.webhooks.wait_idle()
    statuses = {d.status for d in emulator.emulator.webhooks.deliveries}
    assert statuses <= {200, 202}, emulator.emulator.webhooks.deliveries
    wait_for(lambda: settled(db, settings))
    wait_for(lambda: all(row[0] == "done" for row in db.execute(sql.SQL(
        "SELECT status FROM {}.inbox").format(sql.Identifier(settings.service_schema)))))


def test_lines_dropped_in_zoho_are_soft_deleted_by_the_webhook(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    register(emulator, service.base_url, "books", ["invoices"])
    finance = emulator.emulator.finance
    trimmed, emptied = finance.create(ORG, "invoices", count=2)
    lines = finance.record(ORG, "invoices", trimmed)["line_items"]
    while len(lines) < 3:  # one dropped of three, two kept
        lines = [*lines, {**lines[0], "line_item_id": f"{lines[0]['line_item_id']}{len(lines)}"}]
    finance.update(ORG, "invoices", ids=[trimmed], fields={"line_items": lines})
    delivered(emulator, db, settings)
    ids = sorted(str(line["line_item_id"]) for line in lines)
    assert live_lines(db, settings, trimmed) == {"erp": ids, "raw": ids}
    emptied_ids = sorted(str(line["line_item_id"])
                         for line in finance.record(ORG, "invoices", emptied)["line_items"])
    assert emptied_ids
    assert live_lines(db, settings, emptied) == {"erp": emptied_ids, "raw": emptied_ids}

    dropped = str(lines[1]["line_item_id"])
    kept_lines = [line for line in lines if str(line["line_item_id"]) != dropped]
    finance.update(ORG, "invoices", ids=[trimmed], fields={"line_items": kept_lines})
    finance.update(ORG, "invoices", ids=[emptied], fields={"line_items": []})
    delivered(emulator, db, settings)

    kept = [line_id for line_id in ids if line_id != dropped]
    assert live_lines(db, settings, trimmed) == {"erp": kept, "raw": kept}
    assert live_lines(db, settings, emptied) == {"erp": [], "raw": []}
    manifests = dict(db.execute(sql.SQL(
        "SELECT invoice_id, record->'line_item_ids' FROM {}.{}").format(
        sql.Identifier(settings.raw_schema), sql.Identifier(MANIFESTS))).fetchall())
    assert manifests == {trimmed: kept, emptied: []}, "landed raw like the tap's manifests"


def test_the_webhook_manifest_equals_the_taps_record_and_only_for_full_documents(
    emulator: RunningEmulator,
) -> None:
    """Same keys and values as the tap's manifest stream; none for a deletion (it removes
    the lines itself) or for a payload without its lines (nothing known about them)."""
    finance = emulator.emulator.finance
    record = finance.record(ORG, "invoices", finance.create(ORG, "invoices")[0])
    spec = catalog()["books", "invoices"]
    shaped = {group.stream: group for group in shape(spec, ORG, record)}
    manifest = shaped[MANIFESTS]
    assert manifest.primary_keys == ("organization_id", "invoice_id")
    assert manifest.records == [{
        "organization_id": ORG, "invoice_id": str(record["invoice_id"]),
        "parent_last_modified_time": shaped["books_invoices"].records[0]["last_modified_time"],
        "line_item_ids": [str(line["line_item_id"]) for line in record["line_items"]],
        "line_stream": "books_invoice_line_items",
    }]
    header_only = {k: v for k, v in record.items() if k != "line_items"}
    assert MANIFESTS not in {group.stream for group in shape(spec, ORG, header_only)}
    deleted = shape(spec, ORG, record, deleted_at=datetime.now(UTC))
    assert MANIFESTS not in {group.stream for group in deleted}
