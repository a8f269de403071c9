"""Each Books/Inventory fallback of the assumptions register, under the emulator's other answer.

Every test here fails if its fallback is removed: the other answer then loses rows, drops
keys, or stops the stream. See docs/assumptions.md.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tap_zoho.api import entities
from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.api.entities import ENTITIES
from tap_zoho.api.errors import ZohoUnexpectedAnswerError
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap
from tap_zoho.timefmt import utc_instant
from zoho_emulator.finance.other_answers import EXTRA_FIELDS, OUT_OF_RANGE
from zoho_emulator.testing import run_emulator

ORG_IN = "10234695"
ORG_US = "20987654"
ORGS = (ORG_IN, ORG_US)


@contextlib.contextmanager
def emulator(*answers: str):
    with run_emulator(
        scale=8, requests_per_minute=0, daily_limit=0, answers=frozenset(answers)
    ) as running:
        yield running


def truth(zoho, entity: str, org: str, product: str = "books") -> set[str]:
    id_field = ENTITIES[product][entity].id_field
    return {
        str(row[id_field]) for row in zoho.emulator.finance.records(org, entity, product=product)
    }


def emitted(result, stream: str, field: str, org: str) -> list[str]:
    return [r[field] for r in result.records.get(stream, []) if r["organization_id"] == org]


def bookmark(state: dict, stream: str, org: str) -> str | None:
    for partition in state["bookmarks"].get(stream, {}).get("partitions", []):
        if partition["context"]["organization_id"] == org:
            return partition.get("replication_key_value")
    return None


def test_ignored_sort_reads_to_the_end_and_finds_an_edit_to_an_old_contact():
    with emulator("sort-ignored") as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        first = run_tap(config, streams={"books_contacts"})
        oldest = list(zoho.emulator.finance.records(ORG_IN, "contacts"))[-1]["contact_id"]
        zoho.emulator.finance.update(ORG_IN, "contacts", ids=[oldest])
        second = run_tap(config, streams={"books_contacts"}, state=first.state)
    assert oldest in emitted(second, "books_contacts", "contact_id", ORG_IN)
    assert second.tap.fallbacks.count("list.sort-echo", "books_contacts") >= 1
    assert "list.sort-echo" in second.logs


def test_sorted_list_that_echoes_the_sort_stops_early_without_a_fallback(zoho):
    config = emulator_config(zoho.base_url, products=["books"])
    first = run_tap(config, streams={"books_contacts"})
    second = run_tap(config, streams={"books_contacts"}, state=first.state)
    assert second.tap.fallbacks.summary() == {}
    newest = max(
        utc_instant(r["last_modified_time"])
        for r in first.records["books_contacts"]
        if r["organization_id"] == ORG_IN
    )
    floor = newest - timedelta(seconds=300)
    assert all(
        utc_instant(r["last_modified_time"]) >= floor
        for r in second.records.get("books_contacts", [])
        if r["organization_id"] == ORG_IN
    )


def test_page_without_page_context_asks_for_the_next_page(monkeypatch):
    monkeypatch.setattr("tap_zoho.api.client.PER_PAGE", 3)  # 8 sales orders: pages 3, 3, 2
    with emulator("no-page-context") as zoho:
        result = run_tap(
            emulator_config(zoho.base_url, products=["books"]), streams={"books_sales_orders"}
        )
        for org in ORGS:
            got = emitted(result, "books_sales_orders", "salesorder_id", org)
            assert len(got) == len(set(got))
            assert set(got) == truth(zoho, "salesorders", org)
    assert result.tap.fallbacks.count("list.page-context", "books_sales_orders") == 2 * 3


def test_ignored_modified_filter_is_applied_client_side():
    with emulator("modified-filter-ignored") as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        first = run_tap(config, streams={"books_invoices"})
        [edited] = zoho.emulator.finance.update(ORG_US, "invoices", count=1)
        second = run_tap(config, streams={"books_invoices"}, state=first.state)
        for org in ORGS:
            since = datetime.fromisoformat(
                bookmark(first.state, "books_invoices", org)
            ) - timedelta(seconds=300)
            expected = {
                row["invoice_id"]
                for row in zoho.emulator.finance.records(org, "invoices")
                if utc_instant(row["last_modified_time"]) >= since
            }
            assert set(emitted(second, "books_invoices", "invoice_id", org)) == expected
            assert len(expected) < len(truth(zoho, "invoices", org))  # the filter matters
    assert edited in emitted(second, "books_invoices", "invoice_id", ORG_US)
    assert second.tap.fallbacks.count("list.modified-filter", "books_invoices") >= 1


def test_filter_read_as_organization_wall_time_still_finds_a_fresh_edit():
    """Sent in UTC, `12:00+0000` read as 12:00 in Los Angeles is 8 h later: edits missed."""
    with emulator("modified-filter-org-local") as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        first = run_tap(config, streams={"books_invoices"})
        zoho.emulator.finance.update(ORG_US, "invoices", count=1)
        second = run_tap(config, streams={"books_invoices"}, state=first.state)
        zoho.emulator.clock.advance(60)
        [fresh] = zoho.emulator.finance.update(ORG_US, "invoices", count=1)
        third = run_tap(config, streams={"books_invoices"}, state=second.state)
    assert fresh in emitted(third, "books_invoices", "invoice_id", ORG_US)
    assert third.tap.fallbacks.summary() == {}


def test_refused_all_records_filter_reads_the_default_and_the_inactive_records():
    with emulator("filter-all-refused") as zoho:
        finance = zoho.emulator.finance
        [inactive_contact] = finance.update(
            ORG_IN, "contacts", count=1, fields={"status": "inactive"}
        )
        [inactive_item] = finance.update(ORG_US, "items", count=1, fields={"status": "inactive"})
        result = run_tap(
            emulator_config(zoho.base_url, products=["books"]),
            streams={"books_contacts", "books_items", "books_invoices"},
        )
        for org in ORGS:
            for stream, entity, field in (
                ("books_contacts", "contacts", "contact_id"),
                ("books_items", "items", "item_id"),
                ("books_invoices", "invoices", "invoice_id"),
            ):
                got = emitted(result, stream, field, org)
                assert len(got) == len(set(got)), stream
                assert set(got) == truth(zoho, entity, org), stream
    assert inactive_contact in emitted(result, "books_contacts", "contact_id", ORG_IN)
    assert inactive_item in emitted(result, "books_items", "item_id", ORG_US)
    assert not list(result.tap.failures)
    for stream in ("books_contacts", "books_items", "books_invoices"):
        assert result.tap.fallbacks.count("list.filter-all", stream) == 2  # once per org


def test_detail_under_the_oas_key_is_read_from_the_alternate():
    with emulator("oas-detail-keys") as zoho:
        result = run_tap(
            emulator_config(zoho.base_url, products=["inventory"]),
            streams={"inventory_purchase_orders", "inventory_purchase_order_line_items"},
        )
        for org in ORGS:
            want = {
                (order["purchaseorder_id"], line["line_item_id"])
                for order in zoho.emulator.finance.records(
                    org, "purchaseorders", detail=True, product="inventory"
                )
                for line in order["line_items"]
            }
            got = {
                (line["purchaseorder_id"], line["line_item_id"])
                for line in result.records.get("inventory_purchase_order_line_items", [])
                if line["organization_id"] == org
            }
            assert want
            assert got == want
    headers = len(result.records["inventory_purchase_orders"])
    assert result.tap.fallbacks.count("detail.key") == headers


def test_detail_without_any_known_key_fails_that_stream_per_organization(zoho, monkeypatch):
    route = ENTITIES["books"]["invoices"]
    monkeypatch.setitem(
        entities.BOOKS, "invoices", replace(route, detail_key="bill", detail_alternates=())
    )
    result = run_tap(
        emulator_config(zoho.base_url, products=["books"]),
        streams={"books_invoices", "books_invoice_line_items", "books_bills"},
    )
    failures = list(result.tap.failures)
    assert {(f.stream, f.organization_id) for f in failures} == {
        ("books_invoice_line_items", ORG_IN),
        ("books_invoice_line_items", ORG_US),
    }
    text = failures[0].describe()
    assert "GET /invoices/" in text
    assert "no record under 'bill'" in text
    assert "keys seen: code, invoice, message" in text
    assert "books_invoice_line_items" not in result.records
    for org in ORGS:  # the headers and the other stream are complete
        assert set(emitted(result, "books_invoices", "invoice_id", org)) == truth(
            zoho, "invoices", org
        )
        assert set(emitted(result, "books_bills", "bill_id", org)) == truth(zoho, "bills", org)
        assert bookmark(result.state, "books_invoice_line_items", org) is None


def test_rows_without_modified_time_are_emitted_and_do_not_move_the_bookmark():
    with emulator("rows-without-modified-time") as zoho:
        config = emulator_config(zoho.base_url, products=["books"])
        streams = {"books_invoices", "books_invoice_line_items"}
        first = run_tap(config, streams=streams)
        second = run_tap(config, streams=streams, state=first.state)
        for org in ORGS:
            got = emitted(first, "books_invoices", "invoice_id", org)
            assert set(got) == truth(zoho, "invoices", org)
            dated = [
                r["last_modified_time"]
                for r in first.records["books_invoices"]
                if r["organization_id"] == org and r.get("last_modified_time") is not None
            ]
            assert bookmark(first.state, "books_invoices", org) == max(dated)
    undated = [r for r in first.records["books_invoices"] if r.get("last_modified_time") is None]
    assert undated
    assert first.tap.fallbacks.count("row.modified-time", "books_invoices") == len(undated)
    assert not list(first.tap.failures)
    assert not list(second.tap.failures)


def test_out_of_range_datetimes_become_null_and_keep_the_text():
    with emulator("out-of-range-dates") as zoho:
        result = run_tap(
            emulator_config(zoho.base_url, products=["books"]), streams={"books_invoices"}
        )
        for org in ORGS:
            assert set(emitted(result, "books_invoices", "invoice_id", org)) == truth(
                zoho, "invoices", org
            )
    odd = [r for r in result.records["books_invoices"] if r["created_time"] is None]
    assert odd
    assert {r["zoho_unparsed"]["created_time"] for r in odd} <= set(OUT_OF_RANGE)
    dated = [r for r in result.records["books_invoices"] if r["created_time"] is not None]
    assert all("created_time" not in (r.get("zoho_unparsed") or {}) for r in dated)
    assert result.tap.fallbacks.count("value.datetime-range", "books_invoices") == len(odd)


def test_undeclared_keys_are_kept_in_zoho_extra():
    with emulator("extra-fields") as zoho:
        result = run_tap(
            emulator_config(zoho.base_url, products=["books"]),
            streams={"books_invoices", "books_invoice_line_items"},
        )
    for stream in ("books_invoices", "books_invoice_line_items"):
        records = result.records[stream]
        assert records
        assert all(record["zoho_extra"] == EXTRA_FIELDS for record in records), stream
        assert result.tap.fallbacks.count("record.declared-fields", stream) == len(records)


def test_default_invoice_rows_declare_their_location(first_default_run):
    invoices = first_default_run.records["books_invoices"]
    assert all("location_id" in r and "location_name" in r for r in invoices)
    assert all(r.get("zoho_extra") is None for r in invoices)
    assert first_default_run.tap.fallbacks.summary() == {}


@pytest.fixture(scope="module")
def first_default_run(zoho):
    return run_tap(emulator_config(zoho.base_url, products=["books"]), streams={"books_invoices"})


def test_refused_warehouses_fall_back_to_locations():
    with emulator("locations-only") as zoho:
        result = run_tap(
            emulator_config(zoho.base_url, products=["inventory"]),
            streams={"inventory_warehouses", "inventory_items", "inventory_item_stock"},
        )
        finance = zoho.emulator.finance
        for org in ORGS:
            places = truth(zoho, "warehouses", org, "inventory") | truth(
                zoho, "locations", org, "inventory"
            )
            assert set(emitted(result, "inventory_warehouses", "warehouse_id", org)) == places
            items = list(finance.records(org, "items", detail=True, product="inventory"))
            want = {
                (item["item_id"], place.get("warehouse_id") or place.get("location_id"))
                for item in items
                for place in (item.get("warehouses") or []) + (item.get("locations") or [])
            }
            got = {
                (row["item_id"], row["warehouse_id"])
                for row in result.records["inventory_item_stock"]
                if row["organization_id"] == org
            }
            assert got == want
    assert {r["location_type"] for r in result.records["inventory_warehouses"]} == {"location"}
    assert result.tap.fallbacks.count("inventory.warehouses", "inventory_warehouses") == 2
    assert not list(result.tap.failures)


def test_organization_zone_comes_from_organizations_else_utc_with_a_warning(zoho):
    tap = TapZoho(config=emulator_config(zoho.base_url, products=["books"]))
    assert str(tap.organization_zone("books", ORG_US, "books_invoices")) == "America/Los_Angeles"
    assert tap.fallbacks.summary() == {}
    assert tap.organization_zone("books", "999", "books_invoices") is UTC
    assert tap.fallbacks.count("list.modified-filter-zone", "books_invoices") == 1


@pytest.mark.timeout(120)
def test_a_refused_fallback_filter_fails_the_partition_instead_of_looping(monkeypatch):
    route = ENTITIES["books"]["contacts"]
    monkeypatch.setitem(entities.BOOKS, "contacts", replace(route, other_filters=("Status.Nope",)))
    with emulator("filter-all-refused") as zoho:
        result = run_tap(
            emulator_config(zoho.base_url, products=["books"]), streams={"books_contacts"}
        )
    failures = list(result.tap.failures)
    assert {(f.stream, f.organization_id) for f in failures} == {
        ("books_contacts", ORG_IN),
        ("books_contacts", ORG_US),
    }
    assert all(f.code == 2 for f in failures)
    assert result.tap.fallbacks.count("list.filter-all", "books_contacts") == 2


class _SamePageEveryTime(BaseHTTPRequestHandler):
    """A server that ignores `page` and sends no page_context: a full page, forever."""

    def do_GET(self) -> None:
        rows = [{"invoice_id": str(number)} for number in range(200)]
        body = json.dumps({"code": 0, "message": "success", "invoices": rows}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.timeout(60)
def test_a_list_that_repeats_its_page_is_an_error_not_an_endless_loop(zoho):
    server = HTTPServer(("127.0.0.1", 0), _SamePageEveryTime)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        config = emulator_config(zoho.base_url, api_domain=f"http://127.0.0.1:{server.server_port}")
        client = UnifiedZohoClient.from_config(config)
        pages = client.paginate("books", "/invoices", "invoices", organization_id=ORG_IN)
        with pytest.raises(ZohoUnexpectedAnswerError, match="page 2 repeats page 1"):
            list(pages)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
