"""Line manifests soft-delete the lines a document no longer lists, even all of them.

Without a manifest a document that lost ALL its lines sends no line record, so the
removed-lines sweep (keyed off the lines of a batch) never sees it. Real embedded
PostgreSQL; the end-to-end test takes the tap's real output from the emulator.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any

import orjson
from psycopg import sql

from tap_zoho.testing import emulator_config, run_tap
from target_tsh_erp.store import apply_records
from target_tsh_erp.target import TargetTshErp
from zoho_emulator.testing import run_emulator

ORG = "10234695"
T1 = "2025-01-01T00:00:00+00:00"
T2 = "2025-01-02T00:00:00+00:00"
T3 = "2025-01-03T00:00:00+00:00"
LINES = "books_invoice_line_items"
MANIFESTS = "books_invoice_line_manifests"


def run_target(config: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    text = "\n".join(orjson.dumps(m).decode() for m in messages) + "\n"
    with redirect_stdout(io.StringIO()):
        TargetTshErp(config=config).listen(io.StringIO(text))


def q(conn, settings, query: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(sql.SQL(query).format(erp=sql.Identifier(settings.erp_schema),
                                              raw=sql.Identifier(settings.raw_schema)),
                        params).fetchall()


def live_erp(conn, settings, document: str) -> list[str]:
    return [r[0] for r in q(conn, settings, "SELECT zoho_id FROM {erp}.invoice_lines"
                            " WHERE deleted_at IS NULL AND invoice_zoho_id = %s ORDER BY 1",
                            document)]


def live_raw(conn, settings, document: str, table: str = LINES) -> list[str]:
    return [r[0] for r in q(conn, settings, f"SELECT line_item_id FROM {{raw}}.{table}"  # noqa: S608 - test table names
                            " WHERE deleted_at IS NULL AND invoice_id = %s ORDER BY 1",
                            document)]


def line(line_id: str, t: str, document: str = "inv1") -> dict[str, Any]:
    return {"organization_id": ORG, "invoice_id": document, "line_item_id": line_id,
            "item_id": "it1", "name": "Widget", "quantity": 1, "rate": 10.0,
            "item_total": 10.0, "parent_last_modified_time": t}


def manifest(t: str, ids: list[str], document: str = "inv1") -> dict[str, Any]:
    return {"organization_id": ORG, "invoice_id": document, "parent_last_modified_time": t,
            "line_item_ids": ids, "line_stream": LINES}


def test_all_and_one_of_three_removed_lines_are_soft_deleted_after_an_incremental_run(
    conn, settings, target_config
):
    streams = {"books_invoices", LINES, MANIFESTS}
    with run_emulator(seed=5, scale=8, requests_per_minute=0, daily_limit=0) as zoho:
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=[ORG])
        first = run_tap(config, streams=streams)
        run_target(target_config, first.messages)
        lines: dict[str, list[str]] = {}
        for record in first.records[LINES]:
            lines.setdefault(record["invoice_id"], []).append(record["line_item_id"])
        trimmed = next(doc for doc, ids in sorted(lines.items()) if len(ids) == 3)
        emptied = next(doc for doc, ids in sorted(lines.items())
                       if len(ids) >= 2 and doc != trimmed)  # fmt: skip
        untouched = next(doc for doc in sorted(lines) if doc not in {emptied, trimmed})
        assert live_erp(conn, settings, emptied) == sorted(lines[emptied])
        finance = zoho.emulator.finance
        detail = finance.record(ORG, "invoices", trimmed)
        assert detail is not None
        dropped = str(detail["line_items"][1]["line_item_id"])
        kept = [item for item in detail["line_items"] if str(item["line_item_id"]) != dropped]
        finance.update(ORG, "invoices", ids=[emptied], fields={"line_items": []})
        finance.update(ORG, "invoices", ids=[trimmed], fields={"line_items": kept})
        second = run_tap(config, state=first.state, streams=streams)
    # Line records alone (the target before manifests): the emptied invoice keeps its lines.
    without = [m for m in second.messages if m.get("stream") != MANIFESTS]
    run_target(target_config, without)
    assert live_erp(conn, settings, emptied) == sorted(lines[emptied])
    run_target(target_config, second.messages)
    assert live_erp(conn, settings, emptied) == []
    assert live_raw(conn, settings, emptied) == []
    remaining = sorted(set(lines[trimmed]) - {dropped})
    assert live_erp(conn, settings, trimmed) == remaining
    assert live_raw(conn, settings, trimmed) == remaining
    assert live_erp(conn, settings, untouched) == sorted(lines[untouched])
    modified = {m["invoice_id"]: m["parent_last_modified_time"]
                for m in second.records[MANIFESTS]}  # fmt: skip
    gone = q(conn, settings, "SELECT invoice_zoho_id, deleted_at, source_modified_at"
                             " FROM {erp}.invoice_lines WHERE deleted_at IS NOT NULL")
    assert {doc for doc, _, _ in gone} == {emptied, trimmed}
    for doc, deleted_at, source_modified_at in gone:
        assert deleted_at.isoformat() == modified[doc] == source_modified_at.isoformat()
    manifests = q(conn, settings, "SELECT invoice_id, record->'line_item_ids'"
                                  " FROM {raw}.books_invoice_line_manifests WHERE invoice_id"
                                  " IN (%s, %s)", emptied, trimmed)  # landed raw as usual
    assert dict(manifests) == {emptied: [], trimmed: remaining}


def test_stale_manifest_deletes_nothing_and_newer_lines_are_kept(conn, writer, settings):
    apply_records(conn, LINES, [line("a", T2), line("b", T2), line("c", T2),
                                line("x", T2, document="inv2")], writer=writer)
    result = apply_records(conn, MANIFESTS, [manifest(T1, [])], writer=writer)
    assert live_erp(conn, settings, "inv1") == ["a", "b", "c"]
    assert live_raw(conn, settings, "inv1") == ["a", "b", "c"]
    assert result.erp_written == {}
    apply_records(conn, MANIFESTS, [manifest(T2, ["a", "c"])], writer=writer)
    assert live_erp(conn, settings, "inv1") == ["a", "c"]
    assert live_raw(conn, settings, "inv1") == ["a", "c"]
    # A line of a newer version already stored (T3) survives an older manifest (T2 < T3).
    apply_records(conn, LINES, [line("d", T3)], writer=writer)
    result = apply_records(conn, MANIFESTS, [manifest(T2, [])], writer=writer)
    assert live_erp(conn, settings, "inv1") == ["d"]  # the T3 sweep of lines took a and c
    apply_records(conn, MANIFESTS, [manifest(T3, [])], writer=writer)
    assert live_erp(conn, settings, "inv1") == []
    assert live_raw(conn, settings, "inv1") == []
    assert q(conn, settings, "SELECT deleted_at::text FROM {erp}.invoice_lines"
                             " WHERE zoho_id = 'd'") == [("2025-01-03 00:00:00+00",)]
    assert live_erp(conn, settings, "inv2") == ["x"]  # another document is not touched


def test_a_stale_copy_of_a_swept_line_does_not_come_back(conn, writer, settings):
    apply_records(conn, LINES, [line("a", T1), line("b", T1)], writer=writer)
    apply_records(conn, MANIFESTS, [manifest(T2, [])], writer=writer)
    apply_records(conn, LINES, [line("a", T1)], writer=writer)  # late copy of the old version
    assert live_erp(conn, settings, "inv1") == []
    assert live_raw(conn, settings, "inv1") == []


def test_raw_only_lines_are_swept_and_unknown_manifests_only_land(conn, writer, settings):
    estimate = "books_estimate_line_items"
    apply_records(conn, estimate, [{"organization_id": ORG, "estimate_id": "e1",
                                    "line_item_id": "a", "parent_last_modified_time": T1}],
                  writer=writer)
    apply_records(conn, "books_estimate_line_manifests",
                  [{"organization_id": ORG, "estimate_id": "e1", "line_item_ids": [],
                    "parent_last_modified_time": T2, "line_stream": estimate}], writer=writer)
    assert q(conn, settings, "SELECT deleted_at::text FROM {raw}.books_estimate_line_items") == [
        ("2025-01-02 00:00:00+00",)]
    apply_records(conn, LINES, [line("a", T1)], writer=writer)
    result = apply_records(conn, "other_invoice_line_manifests",
                           [{**manifest(T2, []), "line_stream": LINES}],
                           key_properties=["organization_id", "invoice_id"], writer=writer)
    assert result.raw_written == 1
    assert live_erp(conn, settings, "inv1") == ["a"]
    assert live_raw(conn, settings, "inv1") == ["a"]
