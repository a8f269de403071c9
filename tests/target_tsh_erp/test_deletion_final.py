"""A deletion is final against anything older (issue 14 D2), in the batch path.

A deletion carries its own time (`deleted_at`): the stale guard compares an incoming
record against the latest of the stored modification and deletion times, so a late copy
modified before the deletion (a Zoho retry, a re-read bookmark row) leaves the record
deleted, while a record modified after the deletion (restored in Zoho) comes back.
Real embedded PostgreSQL; the tap batches go through the target itself.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any

from psycopg import sql

from target_tsh_erp.store import Incoming, apply_records
from target_tsh_erp.target import TargetTshErp
from target_tsh_erp.testing import singer_lines

ORG = "10234695"
T0 = "2025-03-01T10:00:00+00:00"
T1 = "2025-03-01T11:00:00+00:00"  # modified after T0, before the deletion
DELETED = "2025-03-01T12:00:00+00:00"
T2 = "2025-03-01T13:00:00+00:00"  # modified after the deletion: restored in Zoho


def run_target(config: dict[str, Any], streams: dict[str, list[dict[str, Any]]]) -> None:
    """One tap run through the target, in-process (its STATE lines are not needed)."""
    text = b"\n".join(singer_lines(streams)).decode() + "\n"
    with redirect_stdout(io.StringIO()):
        TargetTshErp(config=config).listen(io.StringIO(text))


def invoice(modified: str, reference: str, **extra: Any) -> dict[str, Any]:
    return {"organization_id": ORG, "invoice_id": "inv1", "invoice_number": "INV-1",
            "reference_number": reference, "last_modified_time": modified, **extra}


def lines(modified: str, ids: tuple[str, ...] = ("a", "b"), **extra: Any) -> list[dict[str, Any]]:
    return [{"organization_id": ORG, "invoice_id": "inv1", "line_item_id": line_id,
             "name": "Widget", "quantity": 1, "rate": 10.0, "item_total": 10.0,
             "parent_last_modified_time": modified, **extra} for line_id in ids]


def q(conn, settings, query: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(sql.SQL(query).format(erp=sql.Identifier(settings.erp_schema),
                                              raw=sql.Identifier(settings.raw_schema)),
                        params).fetchall()


def invoice_state(conn, settings) -> dict[str, Any]:
    """What a reader sees of inv1: header and lines, raw and ERP, live or deleted."""
    return {
        "erp_header": q(conn, settings, "SELECT reference_number, deleted_at IS NOT NULL"
                                        " FROM {erp}.invoices WHERE zoho_id = 'inv1'"),
        "erp_lines": q(conn, settings, "SELECT zoho_id, deleted_at IS NOT NULL"
                                       " FROM {erp}.invoice_lines"
                                       " WHERE invoice_zoho_id = 'inv1' ORDER BY 1"),
        "raw_header": q(conn, settings, "SELECT record->>'reference_number',"
                                        " deleted_at IS NOT NULL FROM {raw}.books_invoices"),
        "raw_lines": q(conn, settings, "SELECT line_item_id, deleted_at IS NOT NULL"
                                       " FROM {raw}.books_invoice_line_items"
                                       " WHERE invoice_id = 'inv1' ORDER BY 1"),
    }


def webhook_deletion(conn, writer) -> None:
    """What zoho-webhooks applies for a `deleted` event: the payload (still at T0) marked."""
    apply_records(conn, "books_invoices", [invoice(T0, "T0", _sdc_deleted_at=DELETED)],
                  writer=writer)
    apply_records(conn, "books_invoice_line_items", lines(T0, _sdc_deleted_at=DELETED),
                  writer=writer)
    conn.commit()


def test_tap_batch_older_than_a_webhook_deletion_leaves_invoice_and_lines_deleted(
    conn, writer, settings, target_config,
):
    apply_records(conn, "books_invoices", [invoice(T0, "T0")], writer=writer)
    apply_records(conn, "books_invoice_line_items", lines(T0), writer=writer)
    webhook_deletion(conn, writer)
    # The tap re-reads the invoice as modified at T1 (before the deletion), with a line
    # the stored version did not have.
    run_target(target_config, {"books_invoices": [invoice(T1, "T1")],
                               "books_invoice_line_items": lines(T1, ("a", "b", "c"))})
    conn.commit()
    assert invoice_state(conn, settings) == {
        "erp_header": [("T0", True)],
        "erp_lines": [("a", True), ("b", True), ("c", True)],
        "raw_header": [("T0", True)],
        "raw_lines": [("a", True), ("b", True), ("c", True)],
    }


def test_invoice_modified_after_its_deletion_comes_back(conn, writer, settings, target_config):
    apply_records(conn, "books_invoices", [invoice(T0, "T0")], writer=writer)
    apply_records(conn, "books_invoice_line_items", lines(T0), writer=writer)
    webhook_deletion(conn, writer)
    run_target(target_config, {"books_invoices": [invoice(T2, "T2")],
                               "books_invoice_line_items": lines(T2, ("a",))})
    conn.commit()
    assert invoice_state(conn, settings) == {
        "erp_header": [("T2", False)],
        "erp_lines": [("a", False), ("b", True)],
        "raw_header": [("T2", False)],
        "raw_lines": [("a", False), ("b", True)],
    }


def deal(modified: str, name: str, record_id: str = "d1") -> dict[str, Any]:
    return {"organization_id": "crm", "id": record_id, "Deal_Name": name,
            "Modified_Time": modified}


def crm_deletion(record_id: str = "d1", when: str = DELETED) -> dict[str, Any]:
    return {"organization_id": "crm", "module": "Deals", "id": record_id,
            "deleted_time": when, "type": "recycle"}


def deal_state(conn, settings) -> dict[str, Any]:
    return {
        "erp": q(conn, settings, "SELECT zoho_id, name, deleted_at::text FROM"
                                 " {erp}.opportunities ORDER BY 1"),
        "raw": q(conn, settings, "SELECT id, record->>'Deal_Name', deleted_at::text FROM"
                                 " {raw}.crm_deals ORDER BY 1"),
    }


def test_crm_deleted_record_before_an_older_record_keeps_it_deleted(
    conn, settings, target_config,
):
    """The deletion lands first (its raw table not even created): the late record is older."""
    run_target(target_config, {"crm_deleted_records": [crm_deletion()]})
    run_target(target_config, {"crm_deals": [deal(T1, "late")]})
    conn.commit()
    state = deal_state(conn, settings)
    assert [row[2] for row in state["erp"]] == ["2025-03-01 12:00:00+00"]
    assert [row[2] for row in state["raw"]] == ["2025-03-01 12:00:00+00"]
    assert [row[1] for row in state["erp"]] == [None], "the older record wrote nothing"


def test_crm_record_modified_after_its_deletion_comes_back(conn, settings, target_config):
    run_target(target_config, {"crm_deals": [deal(T0, "first")]})
    run_target(target_config, {"crm_deleted_records": [crm_deletion()]})
    run_target(target_config, {"crm_deals": [deal(T1, "late")]})
    conn.commit()
    assert deal_state(conn, settings) == {
        "erp": [("d1", "first", "2025-03-01 12:00:00+00")],
        "raw": [("d1", "first", "2025-03-01 12:00:00+00")],
    }
    run_target(target_config, {"crm_deals": [deal(T2, "restored")]})
    conn.commit()
    assert deal_state(conn, settings) == {"erp": [("d1", "restored", None)],
                                          "raw": [("d1", "restored", None)]}


def test_crm_deletion_older_than_the_stored_record_deletes_nothing(conn, writer, settings):
    """A deletion dated before the record's last modification was undone in Zoho since."""
    apply_records(conn, "crm_deals", [deal(T2, "restored")], writer=writer)
    apply_records(conn, "crm_deleted_records", [crm_deletion()], writer=writer)
    assert deal_state(conn, settings) == {"erp": [("d1", "restored", None)],
                                          "raw": [("d1", "restored", None)]}


def item(item_id: str, modified: str) -> dict[str, Any]:
    return {"organization_id": ORG, "item_id": item_id, "name": item_id,
            "last_modified_time": modified}


def test_activate_version_deletion_is_dated_at_the_listing_start(conn, writer, settings):
    """Absent from a listing begun at V: deleted at V; older copies stay out, newer return."""
    began = 1_741_000_000_000  # 2025-03-03T11:06:40Z, in ms: the full listing's start
    writer.ensure_stream(conn, "books_items")
    writer.write(conn, {"books_items": [Incoming(item("a", T0), 1), Incoming(item("b", T0), 1),
                                        Incoming(item("c", T0), 1)]})  # fmt: skip
    writer.write(conn, {"books_items": [Incoming(item("a", T0), began)]})
    assert writer.soft_delete_unseen(conn, "books_items", began).raw_written == 2
    assert q(conn, settings, "SELECT DISTINCT deleted_at::text FROM {raw}.books_items"
                             " WHERE deleted_at IS NOT NULL") == [("2025-03-03 11:06:40+00",)]
    # b: a late webhook of a change made before the listing; c: changed after it began.
    apply_records(conn, "books_items", [item("b", T1), item("c", "2025-03-04T00:00:00Z")],
                  writer=writer)
    assert q(conn, settings, "SELECT zoho_id, deleted_at IS NOT NULL FROM {erp}.products"
                             " ORDER BY 1") == [("a", False), ("b", True), ("c", False)]
    assert q(conn, settings, "SELECT item_id, deleted_at IS NOT NULL FROM {raw}.books_items"
                             " ORDER BY 1") == [("a", False), ("b", True), ("c", False)]


def test_repeated_key_in_one_batch_keeps_the_deletion_over_an_older_update(
    conn, writer, settings,
):
    """Within one batch the newest of modification and deletion wins, as across batches."""
    apply_records(conn, "books_invoices", [invoice(T1, "T1"),
                                           invoice(T0, "T0", _sdc_deleted_at=DELETED)],
                  writer=writer)
    apply_records(conn, "books_invoices", [invoice(T0, "T0", _sdc_deleted_at=DELETED),
                                           invoice(T1, "T1")], writer=writer)
    assert q(conn, settings, "SELECT reference_number, deleted_at IS NOT NULL"
                             " FROM {erp}.invoices") == [("T0", True)]



def test_document_deleted_without_its_lines_takes_its_lines_with_it(conn, writer, settings):
    """A form or template `deleted` webhook carries the header's fields only."""
    apply_records(conn, "books_invoices", [invoice(T0, "T0")], writer=writer)
    apply_records(conn, "books_invoice_line_items", lines(T0), writer=writer)
    # Another document's lines, and a line stream of another product, are left alone.
    apply_records(conn, "books_invoice_line_items",
                  [{**line, "invoice_id": "inv2"} for line in lines(T0)], writer=writer)
    apply_records(conn, "inventory_invoice_line_items", lines(T0), writer=writer,
                  key_properties=["organization_id", "invoice_id", "line_item_id"])
    apply_records(conn, "books_invoices", [invoice(T0, "T0", _sdc_deleted_at=DELETED)],
                  writer=writer)
    deleted = {"erp_header": [("T0", True)], "erp_lines": [("a", True), ("b", True)],
               "raw_header": [("T0", True)], "raw_lines": [("a", True), ("b", True)]}
    assert invoice_state(conn, settings) == deleted
    assert q(conn, settings, "SELECT count(*) FROM {raw}.books_invoice_line_items"
                             " WHERE invoice_id = 'inv2' AND deleted_at IS NULL") == [(2,)]
    assert q(conn, settings, "SELECT count(*) FROM {raw}.inventory_invoice_line_items"
                             " WHERE deleted_at IS NULL") == [(2,)]
    apply_records(conn, "books_invoices", [invoice(T1, "T1")], writer=writer)
    apply_records(conn, "books_invoice_line_items", lines(T1), writer=writer)
    assert invoice_state(conn, settings) == deleted
