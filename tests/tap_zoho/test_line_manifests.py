"""Line manifests: one record per fetched document detail, at no extra request.

A document whose lines were ALL removed emits no line record; its manifest (with
`line_item_ids: []`) is what lets the target sweep them (issue 13 H).
"""

from __future__ import annotations

from tap_zoho.finance.books import STREAMS as BOOKS_STREAMS
from tap_zoho.finance.details import LineItemStream, LineManifestStream
from tap_zoho.finance.inventory import STREAMS as INVENTORY_STREAMS
from tap_zoho.finance.registry import line_manifests
from tap_zoho.testing import emulator_config, run_tap

ORG_IN = "10234695"
LINES = "books_invoice_line_items"
MANIFESTS = "books_invoice_line_manifests"
DETAIL_ROUTE = "books:/invoices/{id}"


def test_every_line_stream_has_one_manifest_declared_from_it():
    streams = (*BOOKS_STREAMS, *INVENTORY_STREAMS)
    lines = [cls for cls in streams if issubclass(cls, LineItemStream)]
    manifests = {cls.line_stream: cls for cls in streams if issubclass(cls, LineManifestStream)}
    assert set(manifests) == set(lines)
    invoice = manifests[next(cls for cls in lines if cls.name == LINES)]
    assert invoice.name == MANIFESTS
    assert invoice.primary_keys == ("organization_id", "invoice_id")
    assert invoice.parent_stream_type is not None
    assert invoice.parent_stream_type.name == "books_invoices"
    assert [cls.name for cls in line_manifests("inventory", "salesorders")] == [
        "inventory_sales_order_line_manifests"
    ]


def _run(zoho, streams, state=None):
    config = emulator_config(zoho.base_url, products=["books"], organization_ids=[ORG_IN])
    zoho.emulator.stats.reset()
    result = run_tap(config, state=state, streams={"books_invoices", *streams})
    return result, zoho.emulator.stats.snapshot()


def _by_document(records, field="invoice_id"):
    grouped: dict[str, list[str]] = {}
    for record in records:
        grouped.setdefault(record[field], []).append(record["line_item_id"])
    return grouped


def test_manifests_cost_no_request_and_list_every_documents_lines(fresh_zoho):
    zoho = fresh_zoho
    without, plain = _run(zoho, {LINES})
    with_manifests, shared = _run(zoho, {LINES, MANIFESTS})
    alone, own = _run(zoho, {MANIFESTS})
    assert shared["total_requests"] == plain["total_requests"]
    assert shared["requests_by_route"] == plain["requests_by_route"]
    invoices = {r["invoice_id"] for r in without.records["books_invoices"]}
    assert plain["requests_by_route"][DETAIL_ROUTE] == len(invoices)
    # Without its line stream the manifest fetches the detail itself, once per document.
    assert own["requests_by_route"][DETAIL_ROUTE] == len(invoices)
    for result in (with_manifests, alone):
        manifests = result.records[MANIFESTS]
        assert sorted(m["invoice_id"] for m in manifests) == sorted(invoices)
        lines = _by_document(without.records[LINES])
        for manifest in manifests:
            assert sorted(manifest["line_item_ids"]) == sorted(
                lines.get(manifest["invoice_id"], [])
            )
            assert manifest["line_stream"] == LINES
            assert manifest["organization_id"] == ORG_IN
            assert manifest["parent_last_modified_time"].endswith("+00:00")
    line_times = {(r["invoice_id"], r["parent_last_modified_time"])
                  for r in with_manifests.records[LINES]}  # fmt: skip
    manifest_times = {(m["invoice_id"], m["parent_last_modified_time"])
                      for m in with_manifests.records[MANIFESTS] if m["line_item_ids"]}  # fmt: skip
    assert manifest_times == line_times


def test_incremental_run_emits_a_manifest_for_a_document_whose_lines_all_went(fresh_zoho):
    zoho = fresh_zoho
    first, _ = _run(zoho, {LINES, MANIFESTS})
    finance = zoho.emulator.finance
    lines = _by_document(first.records[LINES])
    emptied, trimmed = [doc for doc, ids in sorted(lines.items()) if len(ids) >= 2][:2]
    detail = finance.record(ORG_IN, "invoices", trimmed)
    assert detail is not None
    kept = detail["line_items"][1:]
    finance.update(ORG_IN, "invoices", ids=[emptied], fields={"line_items": []})
    finance.update(ORG_IN, "invoices", ids=[trimmed], fields={"line_items": kept})

    second, stats = _run(zoho, {LINES, MANIFESTS}, state=first.state)
    manifests = {m["invoice_id"]: m for m in second.records[MANIFESTS]}
    assert set(manifests) == {emptied, trimmed}
    assert manifests[emptied]["line_item_ids"] == []
    assert manifests[trimmed]["line_item_ids"] == [str(line["line_item_id"]) for line in kept]
    assert set(_by_document(second.records[LINES])) == {trimmed}  # the emptied one: no line
    headers = {r["invoice_id"]: r for r in second.records["books_invoices"]}
    for doc in (emptied, trimmed):
        assert manifests[doc]["parent_last_modified_time"] == headers[doc]["last_modified_time"]
        assert manifests[doc]["parent_last_modified_time"] > max(
            m["parent_last_modified_time"]
            for m in first.records[MANIFESTS]
            if m["invoice_id"] == doc
        )
    assert stats["requests_by_route"][DETAIL_ROUTE] == 2
