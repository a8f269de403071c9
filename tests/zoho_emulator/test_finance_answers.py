"""Books/Inventory other-answer switches: each changes exactly the answer it names.

With every switch off the answers are the emulator's defaults (the other finance tests);
here each switch is turned on over the control API's Python side and the HTTP answer is
compared with the default one.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from tests.zoho_emulator.conftest import ORG_IN, ORG_US, session_for
from zoho_emulator.finance.other_answers import EXTRA_FIELDS, OUT_OF_RANGE
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    import requests


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(scale=40, requests_per_minute=0, daily_limit=0, concurrency_limit=0) as z:
        yield z, session_for(z.base_url)


@contextmanager
def switched(zoho, *names: str):
    running, _ = zoho
    running.emulator.answers.set(names)
    try:
        yield
    finally:
        running.emulator.answers.set([])


def get(zoho, path: str, product: str = "books", org: str = ORG_IN, **params) -> requests.Response:
    running, session = zoho
    prefix = "/books/v3" if product == "books" else "/inventory/v1"
    return session.get(
        f"{running.base_url}{prefix}{path}", params={"organization_id": org, **params}, timeout=10
    )


def test_sort_ignored_answers_default_order_and_says_so(zoho):
    running, _ = zoho
    params = {"sort_column": "last_modified_time", "sort_order": "D", "per_page": 200}
    oldest = get(zoho, "/contacts", per_page=200).json()["contacts"][-1]["contact_id"]
    running.emulator.finance.update(ORG_IN, "contacts", ids=[oldest])
    default = get(zoho, "/contacts", **params).json()
    assert default["page_context"]["sort_column"] == "last_modified_time"
    assert default["contacts"][0]["contact_id"] == oldest
    with switched(zoho, "sort-ignored"):
        other = get(zoho, "/contacts", **params).json()
    assert other["page_context"]["sort_column"] == "created_time"
    assert other["page_context"]["sort_order"] == "D"
    assert other["contacts"][-1]["contact_id"] == oldest


@pytest.mark.parametrize("path", ["/salesorders", "/purchaseorders", "/chartofaccounts"])
def test_no_page_context_on_the_lists_whose_oas_has_none(zoho, path):
    assert "page_context" in get(zoho, path).json()
    with switched(zoho, "no-page-context"):
        assert "page_context" not in get(zoho, path).json()
        assert "page_context" in get(zoho, "/invoices").json()


def test_modified_filter_ignored_answers_every_row(zoho):
    rows = get(zoho, "/invoices", per_page=200).json()["invoices"]
    newest = max(row["last_modified_time"] for row in rows)
    assert len(get(zoho, "/invoices", last_modified_time=newest).json()["invoices"]) < len(rows)
    with switched(zoho, "modified-filter-ignored"):
        ignored = get(zoho, "/invoices", last_modified_time=newest, per_page=200).json()
    assert len(ignored["invoices"]) == len(rows)


def test_modified_filter_org_local_reads_wall_time_in_the_organization_zone(zoho):
    """The offset sent is ignored: `10:00-1200` is read as 10:00 in Los Angeles."""
    rows = get(zoho, "/invoices", org=ORG_US, per_page=200).json()["invoices"]
    newest = max(rows, key=lambda row: row["last_modified_time"])
    far_west = newest["last_modified_time"][:19] + "-1200"  # 12 h or more after the row

    def ids(**params):
        body = get(zoho, "/invoices", org=ORG_US, per_page=200, **params).json()
        return {row["invoice_id"] for row in body["invoices"]}

    assert newest["invoice_id"] not in ids(last_modified_time=far_west)
    own_offset = ids(last_modified_time=newest["last_modified_time"])
    with switched(zoho, "modified-filter-org-local"):
        assert newest["invoice_id"] in ids(last_modified_time=far_west)
        assert ids(last_modified_time=newest["last_modified_time"]) == own_offset


def test_filter_all_refused_with_code_2(zoho):
    assert get(zoho, "/contacts", filter_by="Status.All").status_code == 200
    with switched(zoho, "filter-all-refused"):
        refused = get(zoho, "/contacts", filter_by="Status.All")
        assert get(zoho, "/contacts", filter_by="Status.Inactive").status_code == 200
    assert refused.status_code == 400
    assert refused.json() == {"code": 2, "message": "Invalid value passed for filter_by"}


def test_oas_detail_keys_put_inventory_purchase_orders_under_purchase_order(zoho):
    order = get(zoho, "/purchaseorders", product="inventory").json()["purchaseorders"][0]
    path = f"/purchaseorders/{order['purchaseorder_id']}"
    assert "purchaseorder" in get(zoho, path, product="inventory").json()
    with switched(zoho, "oas-detail-keys"):
        body = get(zoho, path, product="inventory").json()
        books = get(zoho, path).json()
    assert "purchaseorder" not in body
    assert body["purchase_order"]["purchaseorder_id"] == order["purchaseorder_id"]
    assert "purchaseorder" in books  # Books' OAS says purchaseorder


def test_rows_without_modified_time_every_tenth_row(zoho):
    with switched(zoho, "rows-without-modified-time"):
        rows = get(zoho, "/invoices", per_page=200).json()["invoices"]
    missing = [row for row in rows if "last_modified_time" not in row]
    assert missing
    assert len(missing) <= len(rows) // 10 + 1


def test_out_of_range_dates_on_some_rows(zoho):
    with switched(zoho, "out-of-range-dates"):
        rows = get(zoho, "/invoices", per_page=200).json()["invoices"]
    assert {row["created_time"] for row in rows} & set(OUT_OF_RANGE) == set(OUT_OF_RANGE)


def test_extra_fields_on_rows_details_and_lines(zoho):
    with switched(zoho, "extra-fields"):
        row = get(zoho, "/invoices").json()["invoices"][0]
        detail = get(zoho, f"/invoices/{row['invoice_id']}").json()["invoice"]
    for record in (row, detail, detail["line_items"][0]):
        assert {key: record[key] for key in EXTRA_FIELDS} == EXTRA_FIELDS


def test_locations_only_refuses_warehouses_and_lists_stock_by_location(zoho):
    default = get(zoho, "/settings/warehouses", product="inventory").json()["warehouses"]
    assert default  # the Indian organization keeps its stock in warehouses
    item = get(zoho, "/items", product="inventory").json()["items"][0]
    with switched(zoho, "locations-only"):
        refused = get(zoho, "/settings/warehouses", product="inventory")
        locations = get(zoho, "/locations", product="inventory").json()["locations"]
        details = get(zoho, "/itemdetails", product="inventory", item_ids=item["item_id"]).json()
    assert refused.status_code == 400
    assert refused.json()["code"] == 4
    assert {place["location_id"] for place in locations} == {w["warehouse_id"] for w in default}
    [detail] = details["items"]
    assert "warehouses" not in detail
    assert {place["location_id"] for place in detail["locations"]} <= {
        w["warehouse_id"] for w in default
    }
    assert all("location_stock_on_hand" in place for place in detail["locations"])


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/invoices", "invoices"),
        ("/estimates", "estimates"),
        ("/bills", "bills"),
        ("/creditnotes", "creditnotes"),
        ("/expenses", "expenses"),
    ],
)
def test_default_rows_carry_their_location_as_the_oas_lists_it(zoho, path, key):
    row = get(zoho, path).json()[key][0]
    assert {"location_id", "location_name"} <= set(row)
