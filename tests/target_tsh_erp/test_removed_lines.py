"""Lines removed from a document (and contact persons from a contact) are soft-deleted.

A changed document is re-emitted with all its current lines, each dated with the
document's new `parent_last_modified_time`; a stored line dated before the newest stored
line of its document is no longer in it. Real embedded PostgreSQL; the last test takes
its before/after documents from the emulator's ground truth.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest
from psycopg import sql

from target_tsh_erp.store import apply_records
from target_tsh_erp.store.migrations import migrate
from target_tsh_erp.target import TargetTshErp
from target_tsh_erp.testing import emulator_streams, singer_lines
from zoho_emulator.emulator import Emulator
from zoho_emulator.settings import EmulatorSettings

ORG = "10234695"
T1 = "2025-01-01T00:00:00+00:00"
T2 = "2025-01-02T00:00:00+00:00"
T3 = "2025-01-03T00:00:00+00:00"


def run_target(config: dict[str, Any], lines: list[bytes]) -> list[dict[str, Any]]:
    """Run the target in-process; return the STATE values it emitted."""
    out = io.StringIO()
    with redirect_stdout(out):
        TargetTshErp(config=config).listen(io.StringIO(b"\n".join(lines).decode() + "\n"))
    return [json.loads(text) for text in out.getvalue().splitlines() if text.strip()]


def line(line_id: str, t: str, *, document: str = "inv1", total: float = 10.0,
         id_field: str = "invoice_id") -> dict[str, Any]:
    return {"organization_id": ORG, id_field: document, "line_item_id": line_id,
            "item_id": "it1", "name": "Widget", "quantity": 1, "rate": total,
            "item_total": total, "parent_last_modified_time": t}


def q(conn, settings, query: str, table: str = "") -> list[tuple[Any, ...]]:
    return conn.execute(sql.SQL(query).format(erp=sql.Identifier(settings.erp_schema),
                                              raw=sql.Identifier(settings.raw_schema),
                                              table=sql.Identifier(table))).fetchall()


def live_erp(conn, settings, table: str = "invoice_lines") -> list[str]:
    return [r[0] for r in q(conn, settings, "SELECT zoho_id FROM {erp}.{table}"
                                            " WHERE deleted_at IS NULL ORDER BY 1", table)]


def live_raw(conn, settings, table: str = "books_invoice_line_items") -> list[str]:
    return [r[0] for r in q(conn, settings, "SELECT line_item_id FROM {raw}.{table}"
                                            " WHERE deleted_at IS NULL ORDER BY 1", table)]


def test_removed_line_is_soft_deleted_in_erp_and_raw(conn, writer, settings):
    stream = "books_invoice_line_items"
    apply_records(conn, stream, [line("a", T1), line("b", T1), line("c", T1),
                                 line("x", T1, document="inv2")], writer=writer)
    result = apply_records(conn, stream, [line("a", T2), line("c", T2, total=15.0)],
                           writer=writer)
    assert live_erp(conn, settings) == ["a", "c", "x"]
    assert live_raw(conn, settings) == ["a", "c", "x"]
    assert q(conn, settings, "SELECT deleted_at::text, source_modified_at::text"
                             " FROM {erp}.invoice_lines WHERE zoho_id = 'b'") == [
        ("2025-01-02 00:00:00+00", "2025-01-02 00:00:00+00")]
    assert q(conn, settings, "SELECT deleted_at::text FROM {raw}.books_invoice_line_items"
                             " WHERE line_item_id = 'b'") == [("2025-01-02 00:00:00+00",)]
    # a, c updated and b deleted: 3 ERP rows; raw: 2 updated + 1 deleted.
    assert result.erp_written["invoice_lines"] == 3
    assert result.raw_written == 3
    total = q(conn, settings, "SELECT sum(item_total)::float FROM {erp}.invoice_lines"
                              " WHERE deleted_at IS NULL AND invoice_zoho_id = 'inv1'")
    assert total == [(25.0,)]


@pytest.mark.parametrize("stream", ["books_bill_line_items", "books_estimate_line_items",
                                    "books_credit_note_line_items"])
def test_raw_only_line_streams_soft_delete_removed_lines(conn, writer, settings, stream):
    id_field = {"books_bill_line_items": "bill_id", "books_estimate_line_items": "estimate_id",
                "books_credit_note_line_items": "creditnote_id"}[stream]
    apply_records(conn, stream, [line("a", T1, id_field=id_field),
                                 line("b", T1, id_field=id_field)], writer=writer)
    apply_records(conn, stream, [line("b", T2, id_field=id_field)], writer=writer)
    assert live_raw(conn, settings, stream) == ["b"]


def test_new_version_split_across_batches_keeps_every_line_live(conn, writer, settings):
    stream = "books_sales_order_line_items"

    def so_line(line_id: str, t: str) -> dict[str, Any]:
        return line(line_id, t, document="so1", id_field="salesorder_id")

    apply_records(conn, stream, [so_line("a", T1), so_line("b", T1), so_line("c", T1),
                                 so_line("d", T1)], writer=writer)
    # Version T2 has a, b, c (d removed); its lines arrive in two batches.
    apply_records(conn, stream, [so_line("a", T2), so_line("b", T2)], writer=writer)
    apply_records(conn, stream, [so_line("c", T2)], writer=writer)
    assert live_erp(conn, settings, "sales_order_lines") == ["a", "b", "c"]
    assert live_raw(conn, settings, stream) == ["a", "b", "c"]


def test_split_version_through_the_target_keeps_every_line_live(target_config, conn, settings):
    stream = "books_invoice_line_items"
    old = [line(x, T1) for x in ("a", "b", "c", "d")]
    new = [line(x, T2) for x in ("a", "b", "c")]
    run_target(target_config, list(singer_lines({stream: old})))
    # One record per transaction: the new version's lines span three batches.
    states = run_target({**target_config, "batch_size_rows": 1},
                        list(singer_lines({stream: new}, state_every=1)))
    assert states[-1] == {"sent": {stream: 3}}
    assert live_erp(conn, settings) == ["a", "b", "c"]
    assert live_raw(conn, settings) == ["a", "b", "c"]


def test_stale_redelivery_of_the_old_version_changes_nothing(conn, writer, settings):
    stream = "books_purchase_order_line_items"

    def po_line(line_id: str, t: str) -> dict[str, Any]:
        return line(line_id, t, document="po1", id_field="purchaseorder_id")

    old = [po_line("a", T1), po_line("b", T1)]
    apply_records(conn, stream, old, writer=writer)
    apply_records(conn, stream, [po_line("a", T2)], writer=writer)
    erp_before = q(conn, settings, "SELECT zoho_id, xmin::text, deleted_at"
                                   " FROM {erp}.purchase_order_lines ORDER BY 1")
    raw_before = q(conn, settings, "SELECT line_item_id, xmin::text, deleted_at"
                                   " FROM {raw}.books_purchase_order_line_items ORDER BY 1")
    stale = apply_records(conn, stream, old, writer=writer)
    assert (stale.raw_written, dict(stale.erp_written)) == (0, {})
    assert q(conn, settings, "SELECT zoho_id, xmin::text, deleted_at"
                             " FROM {erp}.purchase_order_lines ORDER BY 1") == erp_before
    assert q(conn, settings, "SELECT line_item_id, xmin::text, deleted_at"
                             " FROM {raw}.books_purchase_order_line_items ORDER BY 1") == raw_before
    assert live_erp(conn, settings, "purchase_order_lines") == ["a"]
    # A line of a version never seen, older than the newest, never becomes live.
    apply_records(conn, stream, [po_line("z", T1)], writer=writer)
    assert live_erp(conn, settings, "purchase_order_lines") == ["a"]
    # A later version may bring a removed line back.
    apply_records(conn, stream, [po_line("a", T3), po_line("b", T3)], writer=writer)
    assert live_erp(conn, settings, "purchase_order_lines") == ["a", "b"]
    assert live_raw(conn, settings, "books_purchase_order_line_items") == ["a", "b"]


def test_removed_contact_person_is_soft_deleted(conn, writer, settings):
    def contact(t: str, persons: list[str]) -> dict[str, Any]:
        return {"organization_id": ORG, "contact_id": "c1", "contact_name": "Acme",
                "contact_type": "customer", "last_modified_time": t,
                "contact_persons": [{"contact_person_id": p, "first_name": p}
                                    for p in persons]}

    apply_records(conn, "books_contacts", [contact(T1, ["p1", "p2"])], writer=writer)
    apply_records(conn, "books_contacts", [contact(T2, ["p2"])], writer=writer)
    assert live_erp(conn, settings, "contact_persons") == ["p2"]
    apply_records(conn, "books_contacts", [contact(T1, ["p1", "p2"])], writer=writer)
    assert live_erp(conn, settings, "contact_persons") == ["p2"]


_DOCUMENTS = {
    # emulator entity: (header stream, line stream, id field, ERP line table, ERP doc column)
    "invoices": ("books_invoices", "books_invoice_line_items", "invoice_id",
                 "invoice_lines", "invoice_zoho_id"),
    "salesorders": ("books_sales_orders", "books_sales_order_line_items", "salesorder_id",
                    "sales_order_lines", "sales_order_zoho_id"),
    "purchaseorders": ("books_purchase_orders", "books_purchase_order_line_items",
                       "purchaseorder_id", "purchase_order_lines", "purchase_order_zoho_id"),
}


def _document_streams(streams: dict[str, list[dict[str, Any]]]) -> dict[str, list[Any]]:
    return {name: streams[name] for spec in _DOCUMENTS.values() for name in spec[:2]}


def test_erp_line_totals_match_the_emulator_after_lines_are_removed(target_config, conn,
                                                                    settings):
    emulator = Emulator(EmulatorSettings(seed=23, scale=8))
    finance = emulator.finance
    before = emulator_streams(emulator, ORG)
    run_target({**target_config, "batch_size_rows": 7},
               list(singer_lines(_document_streams(before))))
    changed: dict[str, list[str]] = {}
    for entity, (header_stream, _, id_field, _, _) in _DOCUMENTS.items():
        with_lines = [h for h in before[header_stream] if len(h.get("line_items") or []) >= 2]
        assert len(with_lines) >= 2, entity
        for header in with_lines[:2]:
            detail = finance.record(ORG, entity, header[id_field])
            finance.update(ORG, entity, ids=[header[id_field]],
                           fields={"line_items": detail["line_items"][1:]})
        changed[entity] = [h[id_field] for h in with_lines[:2]]
    after = emulator_streams(emulator, ORG)
    # Only the changed documents, as an incremental tap run emits them; batches of 3
    # split their lines across transactions.
    incremental = {}
    for entity, (header_stream, line_stream, id_field, _, _) in _DOCUMENTS.items():
        ids = set(changed[entity])
        incremental[header_stream] = [h for h in after[header_stream] if h[id_field] in ids]
        incremental[line_stream] = [r for r in after[line_stream] if r[id_field] in ids]
    run_target({**target_config, "batch_size_rows": 3}, list(singer_lines(incremental)))

    for entity, (header_stream, line_stream, id_field, table, column) in _DOCUMENTS.items():
        truth = {h[id_field]: (sorted(line["line_item_id"] for line in h["line_items"]),
                               round(sum(line["item_total"] for line in h["line_items"]), 2))
                 for h in after[header_stream]}
        got_erp = q(conn, settings,
                    "SELECT {doc}, array_agg(zoho_id ORDER BY zoho_id),"
                    " round(sum(item_total), 2)::float FROM {erp}.{table}"
                    " WHERE deleted_at IS NULL GROUP BY 1".replace("{doc}", column), table)
        assert {doc: (ids, total) for doc, ids, total in got_erp} == truth, entity
        got_raw = q(conn, settings,
                    "SELECT {doc}, array_agg(line_item_id ORDER BY line_item_id)"
                    " FROM {raw}.{table} WHERE deleted_at IS NULL GROUP BY 1"
                    .replace("{doc}", id_field), line_stream)
        assert dict(got_raw) == {k: v[0] for k, v in truth.items()}
        removed = q(conn, settings, "SELECT count(*) FROM {erp}.{table}"
                                    " WHERE deleted_at IS NOT NULL", table)
        assert removed == [(len(changed[entity]),)], entity

    # The old versions delivered again (a re-read window) change nothing.
    snapshot = {t: q(conn, settings, "SELECT zoho_id, xmin::text FROM {erp}.{table} ORDER BY 1",
                     t) for *_, t, _ in _DOCUMENTS.values()}
    run_target(target_config, list(singer_lines(_document_streams(before))))
    assert {t: q(conn, settings, "SELECT zoho_id, xmin::text FROM {erp}.{table} ORDER BY 1",
                 t) for *_, t, _ in _DOCUMENTS.values()} == snapshot


def test_migration_2_sweeps_lines_removed_before_it(conn, writer, settings):
    stream = "books_invoice_line_items"
    apply_records(conn, stream, [line("a", T1), line("b", T1)], writer=writer)
    # What version 1 left behind: "a" moved on to T2, removed "b" still live.
    q(conn, settings, "UPDATE {erp}.invoice_lines SET source_modified_at = '2025-01-02Z'"
                      " WHERE zoho_id = 'a' RETURNING 1")
    q(conn, settings, "UPDATE {raw}.books_invoice_line_items SET modified_at = '2025-01-02Z'"
                      " WHERE line_item_id = 'a' RETURNING 1")
    q(conn, settings, "DELETE FROM {erp}.schema_migrations WHERE version >= 2 RETURNING 1")
    assert (live_erp(conn, settings), live_raw(conn, settings)) == (["a", "b"], ["a", "b"])
    migrate(conn, settings.erp_schema, settings.raw_schema)
    assert (live_erp(conn, settings), live_raw(conn, settings)) == (["a"], ["a"])
