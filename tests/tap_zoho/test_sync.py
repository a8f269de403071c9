"""Full and incremental syncs against the emulator: completeness, cost, edits."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from tap_zoho.api.entities import ENTITIES
from tap_zoho.finance.books import STREAMS as BOOKS_STREAMS
from tap_zoho.finance.details import DetailChildStream, LineManifestStream
from tap_zoho.finance.inventory import STREAMS as INVENTORY_STREAMS
from tap_zoho.finance.listing import ListStream
from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.testing import run_emulator

ORG_IN = "10234695"
ORG_US = "20987654"

ORGS = (ORG_IN, ORG_US)
LIST_STREAMS = [cls for cls in (*BOOKS_STREAMS, *INVENTORY_STREAMS) if issubclass(cls, ListStream)]


def truth_ids(zoho, product: str, entity: str, organization_id: str) -> set[str]:
    id_field = ENTITIES[product][entity].id_field
    rows = zoho.emulator.finance.records(organization_id, entity, product=product)
    return {str(row[id_field]) for row in rows}


def ids(records, field: str, organization_id: str) -> list[str]:
    return [r[field] for r in records if r["organization_id"] == organization_id]


@pytest.fixture(scope="module")
def first_run(zoho):
    zoho.emulator.stats.reset()
    result = run_tap(emulator_config(zoho.base_url))
    return result, zoho.emulator.stats.snapshot()


@pytest.mark.parametrize("stream_class", LIST_STREAMS, ids=lambda cls: cls.name)
def test_every_list_stream_is_complete_for_both_organizations(zoho, first_run, stream_class):
    result, _ = first_run
    entity = stream_class.entity
    id_field = ENTITIES[stream_class.product][entity].id_field
    records = result.records.get(stream_class.name, [])
    for org in ORGS:
        got = ids(records, id_field, org)
        assert len(got) == len(set(got)), "duplicates"
        assert set(got) == truth_ids(zoho, stream_class.product, entity, org)
    for record in records:
        assert record["organization_id"] in ORGS


def test_records_are_normalised(first_run):
    result, _ = first_run
    invoice = result.records["books_invoices"][0]
    assert invoice["last_modified_time"].endswith("+00:00")
    assert invoice["created_time"].endswith("+00:00")
    assert invoice["due_days"] is None or isinstance(invoice["due_days"], str)
    assert isinstance(invoice["custom_fields"], list)
    items = result.records["inventory_items"]
    assert all(isinstance(i.get("cf_shelf_life_days"), (float, int, type(None))) for i in items)
    line = result.records["books_invoice_line_items"][0]
    assert set(line) >= {
        "organization_id",
        "invoice_id",
        "line_item_id",
        "parent_last_modified_time",
    }


def test_line_items_match_each_header_detail(zoho, first_run):
    result, _ = first_run
    lines = result.records["books_invoice_line_items"]
    for org in ORGS:
        for invoice in zoho.emulator.finance.records(org, "invoices", detail=True):
            want = {line["line_item_id"] for line in invoice["line_items"]}
            got = {
                line["line_item_id"] for line in lines
                if line["organization_id"] == org and line["invoice_id"] == invoice["invoice_id"]
            }  # fmt: skip
            assert got == want


def test_item_stock_rows_per_item_and_warehouse(zoho, first_run):
    result, _ = first_run
    stock = result.records["inventory_item_stock"]
    keys = [(r["organization_id"], r["item_id"], r["warehouse_id"]) for r in stock]
    assert len(keys) == len(set(keys))
    for org in ORGS:
        items = list(zoho.emulator.finance.records(org, "items", detail=True, product="inventory"))
        expected = sum(
            len(i.get("warehouses") or []) + len(i.get("locations") or []) for i in items
        )
        assert len([k for k in keys if k[0] == org]) == expected
    assert {r["location_type"] for r in stock} <= {"warehouse", "location"}


def expected_requests(zoho) -> int:
    """The lower bound: ceil(rows/200) per list and org, one detail per header (batched for
    items), one /organizations per product, two lists for warehouses (+ locations), and
    the fixed discovery overhead: one /settings/preferences per product and org."""
    total = 2  # GET /organizations for books and inventory
    total += 2 * len(ORGS)  # custom-field discovery, per product and organization
    finance = zoho.emulator.finance
    for cls in (*BOOKS_STREAMS, *INVENTORY_STREAMS):
        for org in ORGS:
            if issubclass(cls, ListStream):
                rows = len(truth_ids(zoho, cls.product, cls.entity, org))
                total += max(1, math.ceil(rows / 200))
            elif cls.name == "inventory_warehouses":
                total += 2
            elif cls.name == "inventory_item_stock":
                total += math.ceil(len(truth_ids(zoho, "inventory", "items", org)) / 100)
            elif issubclass(cls, LineManifestStream):
                continue  # reads the detail its line stream fetched: no request
            elif cls.name == "inventory_shipments":
                packages = finance.records(org, "packages", product="inventory")
                total += sum(1 for p in packages if p.get("shipment_id"))
            elif issubclass(cls, DetailChildStream):
                parent = cls.parent_stream_type
                total += len(truth_ids(zoho, cls.product, parent.entity, org))
    return total


def test_full_run_costs_exactly_the_lower_bound(zoho, first_run):
    _, stats = first_run
    assert stats["total_requests"] == expected_requests(zoho)
    assert stats["tokens_minted"] == 1
    assert stats["rate_limited"] == 0


def test_second_run_without_changes_costs_one_request_per_stream_and_org(zoho, first_run):
    result, _ = first_run
    zoho.emulator.stats.reset()
    second = run_tap(emulator_config(zoho.base_url), state=result.state)
    stats = zoho.emulator.stats.snapshot()
    detail_routes = [
        route for route in stats["requests_by_route"] if "{id}" in route or "itemdetails" in route
    ]
    assert detail_routes == []
    for route, count in stats["requests_by_route"].items():
        if route.endswith("/organizations"):
            assert count == 1
        else:
            assert count == len(ORGS), route
    # No detail child emits anything when no header changed.
    for cls in (*BOOKS_STREAMS, *INVENTORY_STREAMS):
        if issubclass(cls, DetailChildStream):
            assert cls.name not in second.records


def test_pagination_across_pages():
    with run_emulator(scale=450, requests_per_minute=0, daily_limit=0) as zoho:
        config = emulator_config(zoho.base_url, organization_ids=[ORG_IN], products=["books"])
        streams = {"books_invoices", "books_contacts", "books_estimates"}
        result = run_tap(config, streams=streams)
        stats = zoho.emulator.stats.snapshot()["requests_by_route"]
        for name, entity in (("books_invoices", "invoices"), ("books_contacts", "contacts"),
                             ("books_estimates", "estimates")):  # fmt: skip
            truth = truth_ids(zoho, "books", entity, ORG_IN)
            got = [r[ENTITIES["books"][entity].id_field] for r in result.records[name]]
            assert len(truth) > 400
            assert sorted(got) == sorted(truth)
            assert stats[f"books:/{entity}"] == math.ceil(len(truth) / 200)


def test_mutations_then_incremental_run(fresh_zoho):
    zoho = fresh_zoho
    config = emulator_config(zoho.base_url, products=["books"])
    streams = {"books_invoices", "books_invoice_line_items", "books_contacts",
               "books_contact_persons", "books_estimates", "books_estimate_line_items"}  # fmt: skip
    first = run_tap(config, streams=streams)
    finance = zoho.emulator.finance
    oldest = min(finance.records(ORG_IN, "invoices"), key=lambda r: r["created_time"])
    edited = finance.update(
        ORG_IN, "invoices", ids=[oldest["invoice_id"]], fields={"status": "paid"}
    )
    created = finance.create(ORG_US, "invoices", count=2)
    contact = finance.update(ORG_US, "contacts", count=1)
    estimate = finance.update(ORG_IN, "estimates", count=1)

    zoho.emulator.stats.reset()
    second = run_tap(config, state=first.state, streams=streams)
    invoices = {r["invoice_id"]: r for r in second.records["books_invoices"]}
    assert set(edited) | set(created) <= set(invoices)
    assert invoices[oldest["invoice_id"]]["status"] == "paid"
    # Unchanged invoices appear only through the documented overlap (at/after bookmark).
    bookmarks = {
        p["context"]["organization_id"]: p["replication_key_value"]
        for p in first.state["bookmarks"]["books_invoices"]["partitions"]
    }
    lookback = 300
    for invoice_id, record in invoices.items():
        if invoice_id in set(edited) | set(created):
            continue
        mark = bookmarks[record["organization_id"]]
        assert record["last_modified_time"] >= _minus(mark, lookback)
    # Line items: exactly the changed invoices' lines were fetched.
    line_parents = {r["invoice_id"] for r in second.records["books_invoice_line_items"]}
    assert line_parents == set(edited) | set(created)
    routes = zoho.emulator.stats.snapshot()["requests_by_route"]
    assert routes["books:/invoices/{id}"] == len(edited) + len(created)
    assert routes["books:/contacts/{id}/contactpersons"] == len(contact)
    assert routes["books:/estimates/{id}"] == len(estimate)
    assert {r["contact_id"] for r in second.records["books_contacts"]} >= set(contact)
    assert {r["estimate_id"] for r in second.records["books_estimate_line_items"]} == set(estimate)


def _minus(iso: str, seconds: int) -> str:
    return (datetime.fromisoformat(iso) - timedelta(seconds=seconds)).isoformat()


def test_a_run_without_state_activates_a_version_of_every_stream(first_run):
    # Full-table streams always; incremental ones and their detail children because a
    # run without bookmarks (or start_date) listed every row (deletion reconciliation;
    # that incremental runs do not is in test_reconcile_deletions.py).
    result, _ = first_run
    activated = {m["stream"] for m in result.messages if m["type"] == "ACTIVATE_VERSION"}
    assert {"books_estimates", "books_items", "inventory_purchase_orders"} <= activated
    assert {"books_invoices", "books_invoice_line_items", "books_contacts",
            "books_contact_persons", "inventory_item_stock"} <= activated  # fmt: skip


def test_journals_edit_to_an_old_journal_reaches_the_next_run(fresh_zoho):
    # The emulator (like Zoho) reads /journals?last_modified_time= as journal_date equal
    # to that day: an incremental filter would miss this edit.
    zoho = fresh_zoho
    config = emulator_config(zoho.base_url, products=["books"], organization_ids=[ORG_IN])
    first = run_tap(config, streams={"books_journals"})
    finance = zoho.emulator.finance
    journals = list(finance.records(ORG_IN, "journals"))
    oldest = min(journals, key=lambda r: r["journal_date"])
    edited = finance.update(
        ORG_IN, "journals", ids=[oldest["journal_id"]], fields={"reference_number": "EDIT-1"}
    )
    second = run_tap(config, state=first.state, streams={"books_journals"})
    rows = {r["journal_id"]: r for r in second.records["books_journals"]}
    assert rows[edited[0]]["reference_number"] == "EDIT-1"
    assert set(rows) == {r["journal_id"] for r in journals}  # full table: every journal
    activated = {m["stream"] for m in second.messages if m["type"] == "ACTIVATE_VERSION"}
    assert "books_journals" in activated
