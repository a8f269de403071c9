"""Each strict Books/Inventory behaviour, with a test that fails if the emulator were
more lenient than Zoho."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.zoho_emulator.conftest import ORG_IN, ORG_US


def _get(finance, path, **params):
    zoho, session = finance
    return session.get(f"{zoho.base_url}{path}", params=params, timeout=10)


def _all_pages(finance, path, key, **params):
    rows, page = [], 1
    while True:
        body = _get(finance, path, page=page, **params).json()
        rows.extend(body[key])
        if not body["page_context"]["has_more_page"]:
            return rows
        page += 1


def test_organization_id_is_required_and_must_be_the_users(finance) -> None:
    missing = _get(finance, "/books/v3/invoices")
    assert missing.status_code == 400
    assert missing.json()["code"] == 36
    foreign = _get(finance, "/inventory/v1/items", organization_id="99999999")
    assert foreign.status_code == 400
    assert foreign.json() == {
        "code": 6041,
        "message": "This user is not associated with the CompanyID/CompanyName:99999999.",
    }
    assert _get(finance, "/books/v3/organizations").status_code == 200


def test_wrong_token_gets_code_57_and_missing_header_code_14(finance) -> None:
    zoho, _ = finance
    url = f"{zoho.base_url}/books/v3/invoices"
    wrong = requests.get(
        url,
        params={"organization_id": ORG_IN},
        timeout=5,
        headers={"Authorization": "Zoho-oauthtoken 1000.nope.nope"},
    )
    assert (wrong.status_code, wrong.json()["code"]) == (401, 57)
    missing = requests.get(url, params={"organization_id": ORG_IN}, timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (401, 14)


def test_per_page_is_clamped_to_200_and_pages_end_with_has_more_page(finance) -> None:
    body = _get(finance, "/books/v3/invoices", organization_id=ORG_IN, per_page=500).json()
    assert body["page_context"]["per_page"] == 200
    assert len(body["invoices"]) == 60
    first = _get(finance, "/books/v3/invoices", organization_id=ORG_IN, per_page=25).json()
    assert len(first["invoices"]) == 25
    assert first["page_context"]["has_more_page"] is True
    last = _get(finance, "/books/v3/invoices", organization_id=ORG_IN, per_page=25, page=3).json()
    assert len(last["invoices"]) == 10
    assert last["page_context"]["has_more_page"] is False
    rows = _all_pages(finance, "/books/v3/invoices", "invoices", organization_id=ORG_IN, per_page=7)
    assert len({row["invoice_id"] for row in rows}) == 60


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/books/v3/invoices", {"per_page": "0"}, "per_page"),
        ("/books/v3/invoices", {"page": "abc"}, "page"),
        ("/books/v3/invoices", {"page": "99999999999999999999"}, "page"),
        ("/books/v3/invoices", {"per_page": "²"}, "per_page"),
        (
            "/books/v3/invoices",
            {"last_modified_time": "٢٠٢٥-01-01T10:00:00Z"},
            "last_modified_time",
        ),
        ("/books/v3/invoices", {"sort_column": "last_modified_time"}, "sort_column"),
        ("/books/v3/bills", {"sort_column": "total", "sort_order": "X"}, "sort_order"),
        ("/books/v3/invoices", {"filter_by": "Status.Everything"}, "filter_by"),
        ("/books/v3/contacts", {"contact_type": "supplier"}, "contact_type"),
        ("/books/v3/settings/taxes", {"sort_column": "tax_name"}, "sort_column"),
        ("/inventory/v1/purchaseorders", {"sort_column": "date"}, "sort_column"),
        ("/books/v3/invoices", {"last_modified_time": "2025-01-01"}, "last_modified_time"),
        (
            "/books/v3/invoices",
            {"last_modified_time": "2025-01-01T10:00:00 0530"},
            "last_modified_time",
        ),
    ],
)
def test_undocumented_or_invalid_parameters_get_code_2(finance, path, params, name) -> None:
    response = _get(finance, path, organization_id=ORG_IN, **params)
    assert response.status_code == 400
    assert response.json() == {"code": 2, "message": f"Invalid value passed for {name}"}


def test_unencoded_plus_in_last_modified_time_is_refused(finance) -> None:
    zoho, session = finance
    # requests would encode '+'; send the raw query string a careless client produces.
    raw = (
        f"{zoho.base_url}/books/v3/invoices?organization_id={ORG_IN}"
        "&last_modified_time=2025-01-01T10:00:00+0530"
    )
    response = session.get(raw, timeout=5)
    assert response.json()["code"] == 2


def test_last_modified_filter_is_inclusive_and_accepts_zoho_offsets(finance) -> None:
    rows = _all_pages(finance, "/books/v3/invoices", "invoices", organization_id=ORG_IN)
    pivot = sorted(rows, key=lambda row: row["last_modified_time"])[30]["last_modified_time"]
    moment = datetime.strptime(pivot, "%Y-%m-%dT%H:%M:%S%z")
    expected = {
        row["invoice_id"]
        for row in rows
        if datetime.strptime(row["last_modified_time"], "%Y-%m-%dT%H:%M:%S%z") >= moment
    }
    variants = [
        pivot,
        pivot[:-2] + ":" + pivot[-2:],
        moment.astimezone(datetime.now().astimezone().tzinfo).strftime("%Y-%m-%dT%H:%M:%S%z"),
        datetime.fromtimestamp(moment.timestamp(), tz=None)
        .astimezone()
        .strftime("%Y-%m-%dT%H:%M:%S%z"),
    ]
    utc = moment.astimezone(datetime.fromisoformat("2000-01-01T00:00:00+00:00").tzinfo)
    variants.append(utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for value in variants:
        got = _all_pages(
            finance,
            "/books/v3/invoices",
            "invoices",
            organization_id=ORG_IN,
            last_modified_time=value,
        )
        assert {row["invoice_id"] for row in got} == expected, value
    assert pivot in {row["last_modified_time"] for row in rows if row["invoice_id"] in expected}


def test_last_modified_filter_is_ignored_where_zoho_does_not_document_it(finance) -> None:
    everything = _all_pages(finance, "/books/v3/estimates", "estimates", organization_id=ORG_IN)
    filtered = _all_pages(
        finance,
        "/books/v3/estimates",
        "estimates",
        organization_id=ORG_IN,
        last_modified_time="2030-01-01T00:00:00+0000",
    )
    assert len(filtered) == len(everything) == 60


def test_default_order_is_newest_created_first_not_modification(finance) -> None:
    rows = _all_pages(finance, "/books/v3/invoices", "invoices", organization_id=ORG_IN)
    created = [row["created_time"] for row in rows]
    assert created == sorted(created, reverse=True)
    modified = [row["last_modified_time"] for row in rows]
    assert modified != sorted(modified, reverse=True)
    ascending = _all_pages(
        finance,
        "/books/v3/invoices",
        "invoices",
        organization_id=ORG_IN,
        sort_column="created_time",
        sort_order="A",
    )
    assert [row["invoice_id"] for row in ascending] == [row["invoice_id"] for row in reversed(rows)]


def test_documented_sort_columns_sort(finance) -> None:
    rows = _all_pages(
        finance,
        "/books/v3/invoices",
        "invoices",
        organization_id=ORG_IN,
        sort_column="total",
        sort_order="A",
    )
    totals = [row["total"] for row in rows]
    assert totals == sorted(totals)
    items = _all_pages(
        finance,
        "/inventory/v1/items",
        "items",
        organization_id=ORG_US,
        sort_column="last_modified_time",
        sort_order="A",
        filter_by="Status.All",
    )
    stamps = [datetime.strptime(row["last_modified_time"], "%Y-%m-%dT%H:%M:%S%z") for row in items]
    assert stamps == sorted(stamps)


def test_contacts_and_items_default_to_active_only(finance) -> None:
    for path, key in (
        ("/books/v3/contacts", "contacts"),
        ("/books/v3/items", "items"),
        ("/inventory/v1/items", "items"),
    ):
        default = _all_pages(finance, path, key, organization_id=ORG_IN)
        everything = _all_pages(finance, path, key, organization_id=ORG_IN, filter_by="Status.All")
        inactive = _all_pages(
            finance, path, key, organization_id=ORG_IN, filter_by="Status.Inactive"
        )
        assert {row["status"] for row in default} == {"active"}
        assert inactive
        assert {row["status"] for row in inactive} == {"inactive"}
        assert len(everything) == len(default) + len(inactive)
    body = _get(finance, "/books/v3/contacts", organization_id=ORG_IN).json()
    assert body["page_context"]["applied_filter"] == "Status.Active"


def test_contacts_hold_customers_and_vendors(finance) -> None:
    everything = _all_pages(
        finance, "/books/v3/contacts", "contacts", organization_id=ORG_IN, filter_by="Status.All"
    )
    vendors = _all_pages(
        finance,
        "/books/v3/contacts",
        "contacts",
        organization_id=ORG_IN,
        filter_by="Status.All",
        contact_type="vendor",
    )
    assert {row["contact_type"] for row in everything} == {"customer", "vendor"}
    assert vendors
    assert {row["contact_type"] for row in vendors} == {"vendor"}


def test_status_filters_match_record_status(finance) -> None:
    paid = _all_pages(
        finance, "/books/v3/invoices", "invoices", organization_id=ORG_IN, filter_by="Status.Paid"
    )
    unpaid = _all_pages(
        finance, "/books/v3/invoices", "invoices", organization_id=ORG_IN, filter_by="Status.Unpaid"
    )
    assert paid
    assert {row["status"] for row in paid} == {"paid"}
    assert {row["status"] for row in unpaid} <= {"sent", "overdue", "partially_paid", "viewed"}


def test_unknown_ids_get_1002_and_ids_are_shared_by_both_products(finance) -> None:
    odd = _get(finance, "/books/v3/invoices/" + "²" * 17, organization_id=ORG_IN)
    assert (odd.status_code, odd.json()["code"]) == (404, 1002)
    missing = _get(finance, "/books/v3/invoices/1234567890", organization_id=ORG_IN)
    assert missing.status_code == 404
    assert missing.json() == {"code": 1002, "message": "Invoice does not exist."}
    row = _get(finance, "/books/v3/salesorders", organization_id=ORG_IN).json()["salesorders"][0]
    other_org = _get(
        finance, f"/books/v3/salesorders/{row['salesorder_id']}", organization_id=ORG_US
    )
    assert other_org.json()["code"] == 1002
    books = _get(
        finance, f"/books/v3/salesorders/{row['salesorder_id']}", organization_id=ORG_IN
    ).json()
    inventory = _get(
        finance, f"/inventory/v1/salesorders/{row['salesorder_id']}", organization_id=ORG_IN
    ).json()
    assert books["salesorder"]["line_items"] == inventory["salesorder"]["line_items"]


def test_exact_list_keys(finance) -> None:
    for path, key in (
        ("/books/v3/customerpayments", "customerpayments"),
        ("/inventory/v1/compositeitems", "composite_items"),
        ("/inventory/v1/transferorders", "transfer_orders"),
        ("/inventory/v1/inventoryadjustments", "inventory_adjustments"),
        ("/inventory/v1/settings/warehouses", "warehouses"),
    ):
        body = _get(finance, path, organization_id=ORG_IN).json()
        assert body[key], path


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        [
            "/books/v3/invoices",
            "/inventory/v1/items",
            "/books/v3/contacts",
            "/inventory/v1/packages",
            "/books/v3/journals",
            "/books/v3/invoices/x",
            "/inventory/v1/itemdetails",
            "/books/v3/contacts/1/contactpersons",
        ]
    ),
    params=st.dictionaries(
        st.sampled_from(
            [
                "page",
                "per_page",
                "sort_column",
                "sort_order",
                "filter_by",
                "last_modified_time",
                "organization_id",
                "item_ids",
                "contact_type",
            ]
        ),
        st.text(max_size=30),
        max_size=5,
    ),
)
def test_bad_requests_never_get_a_500(finance, path, params) -> None:
    response = _get(finance, path, **params)
    assert response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body["code"], int)


def test_journals_treat_last_modified_time_as_same_journal_date(finance) -> None:
    journals = _all_pages(finance, "/books/v3/journals", "journals", organization_id=ORG_IN)
    assert len(journals) >= 5
    target = journals[len(journals) // 2]
    pivot = target["created_time"]
    got = _all_pages(
        finance, "/books/v3/journals", "journals", organization_id=ORG_IN, last_modified_time=pivot
    )
    assert target["journal_id"] in {row["journal_id"] for row in got}
    assert {row["journal_date"] for row in got} == {target["journal_date"]}
    newer = [row for row in journals if row["journal_date"] > target["journal_date"]]
    assert newer, "a >= filter would have returned these"


def test_stock_places_follow_the_organizations_model(finance) -> None:
    warehouses_in = _get(finance, "/inventory/v1/settings/warehouses", organization_id=ORG_IN)
    locations_in = _get(finance, "/inventory/v1/locations", organization_id=ORG_IN)
    warehouses_us = _get(finance, "/inventory/v1/settings/warehouses", organization_id=ORG_US)
    locations_us = _get(finance, "/inventory/v1/locations", organization_id=ORG_US)
    assert len(warehouses_in.json()["warehouses"]) == 3
    assert locations_in.json()["locations"] == []
    assert warehouses_us.json()["warehouses"] == []
    assert len(locations_us.json()["locations"]) == 4


def test_sorting_by_modification_puts_edited_records_in_place(finance) -> None:
    zoho, _ = finance
    contact_id = zoho.emulator.finance.update(ORG_US, "contacts", count=1)[0]
    newest_first = _all_pages(
        finance,
        "/books/v3/contacts",
        "contacts",
        organization_id=ORG_US,
        filter_by="Status.All",
        sort_column="last_modified_time",
        sort_order="D",
    )
    assert newest_first[0]["contact_id"] == contact_id
    stamps = [
        datetime.strptime(row["last_modified_time"], "%Y-%m-%dT%H:%M:%S%z") for row in newest_first
    ]
    assert stamps == sorted(stamps, reverse=True)
