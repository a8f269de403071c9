"""Every emulated list and detail response validates against Zoho's OAS (tolerances in
oas.py), and list rows are summaries while details carry line items."""

from __future__ import annotations

import jsonschema
import pytest

from tests.zoho_emulator.conftest import ORG_IN, ORG_US
from tests.zoho_emulator.oas import response_schema

INV = "inventory-v1/zoho-inventory-{}-api-openapi.yml"
# (product, spec file, list path, list key, detail path, detail schema renames)
ENDPOINTS = [
    ("books", "books-v3/contacts.yml", "/contacts", "contacts", "/contacts/{contact_id}", {}),
    ("books", "books-v3/items.yml", "/items", "items", "/items/{item_id}", {}),
    ("books", "books-v3/invoices.yml", "/invoices", "invoices", "/invoices/{invoice_id}", {}),
    ("books", "books-v3/estimates.yml", "/estimates", "estimates", "/estimates/{estimate_id}", {}),
    (
        "books",
        "books-v3/sales-order.yml",
        "/salesorders",
        "salesorders",
        "/salesorders/{salesorder_id}",
        {},
    ),
    (
        "books",
        "books-v3/purchase-order.yml",
        "/purchaseorders",
        "purchaseorders",
        "/purchaseorders/{purchase_order_id}",
        {},
    ),
    ("books", "books-v3/bills.yml", "/bills", "bills", "/bills/{bill_id}", {}),
    (
        "books",
        "books-v3/credit-notes.yml",
        "/creditnotes",
        "creditnotes",
        "/creditnotes/{creditnote_id}",
        {},
    ),
    (
        "books",
        "books-v3/customer-payments.yml",
        "/customerpayments",
        "customerpayments",
        "/customerpayments/{payment_id}",
        {},
    ),
    (
        "books",
        "books-v3/vendor-payments.yml",
        "/vendorpayments",
        "vendorpayments",
        "/vendorpayments/{payment_id}",
        {},
    ),
    ("books", "books-v3/expenses.yml", "/expenses", "expenses", "/expenses/{expense_id}", {}),
    ("books", "books-v3/journals.yml", "/journals", "journals", "/journals/{journal_id}", {}),
    (
        "books",
        "books-v3/chart-of-accounts.yml",
        "/chartofaccounts",
        "chartofaccounts",
        "/chartofaccounts/{account_id}",
        {},
    ),
    ("books", "books-v3/taxes.yml", "/settings/taxes", "taxes", "/settings/taxes/{tax_id}", {}),
    ("books", "books-v3/users.yml", "/users", "users", "/users/{user_id}", {}),
    ("inventory", INV.format("items"), "/items", "items", "/items/{item_id}", {}),
    (
        "inventory",
        INV.format("itemgroups"),
        "/itemgroups",
        "itemgroups",
        "/itemgroups/{itemgroup_id}",
        {},
    ),
    (
        "inventory",
        INV.format("compositeitems"),
        "/compositeitems",
        "composite_items",
        "/compositeitems/{composite_item_id}",
        None,
    ),
    ("inventory", INV.format("contacts"), "/contacts", "contacts", "/contacts/{contact_id}", {}),
    (
        "inventory",
        INV.format("salesorders"),
        "/salesorders",
        "salesorders",
        "/salesorders/{salesorder_id}",
        {},
    ),
    (
        "inventory",
        INV.format("purchaseorders"),
        "/purchaseorders",
        "purchaseorders",
        "/purchaseorders/{purchaseorder_id}",
        {"purchase_order": "purchaseorder"},
    ),
    ("inventory", INV.format("packages"), "/packages", "packages", "/packages/{package_id}", {}),
    (
        "inventory",
        INV.format("transferorders"),
        "/transferorders",
        "transfer_orders",
        "/transferorders/{transfer_order_id}",
        {},
    ),
    (
        "inventory",
        INV.format("inventoryadjustments"),
        "/inventoryadjustments",
        "inventory_adjustments",
        "/inventoryadjustments/{inventory_adjustment_id}",
        {},
    ),
    (
        "inventory",
        INV.format("locations"),
        "/locations",
        "locations",
        "/locations/{location_id}",
        {},
    ),
    ("inventory", INV.format("taxes"), "/settings/taxes", "taxes", "/settings/taxes/{tax_id}", {}),
    ("inventory", INV.format("users"), "/users", "users", "/users/{user_id}", {}),
]
LIST_KEY_RENAMES = {
    "customerpayments": {"customer_payments": "customerpayments"},
    "packages": {"packagea": "packages"},
}
LINE_ITEM_ENTITIES = {
    "/invoices",
    "/estimates",
    "/salesorders",
    "/purchaseorders",
    "/bills",
    "/creditnotes",
    "/packages",
    "/transferorders",
    "/inventoryadjustments",
}
PREFIX = {"books": "/books/v3", "inventory": "/inventory/v1"}


def _validate(body, schema) -> None:
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    ("product", "file_name", "list_path", "list_key", "detail_path", "renames"),
    ENDPOINTS,
    ids=[f"{row[0]}{row[2]}" for row in ENDPOINTS],
)
def test_list_and_detail_validate_against_oas(  # noqa: PLR0913, PLR0917 - one per column
    finance, product, file_name, list_path, list_key, detail_path, renames
) -> None:
    zoho, session = finance
    organization = ORG_US if list_path == "/locations" else ORG_IN
    url = f"{zoho.base_url}{PREFIX[product]}{list_path}"
    listing = session.get(url, params={"organization_id": organization}, timeout=10)
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["code"] == 0
    rows = body[list_key]
    assert rows, f"{list_path} returned no rows"
    schema = response_schema(file_name, list_path, LIST_KEY_RENAMES.get(list_key))
    _validate(body, schema)
    if list_path in LINE_ITEM_ENTITIES:
        assert all("line_items" not in row for row in rows), "list rows must be summaries"
    id_field = next(key for key in rows[0] if key.endswith("_id"))
    detail = session.get(
        f"{url}/{rows[0][id_field]}", params={"organization_id": organization}, timeout=10
    )
    assert detail.status_code == 200, detail.text
    detail_body = detail.json()
    if renames is None:  # tolerated nesting (see oas.TOLERANCES)
        _validate(
            {"code": 0, "message": "success", **detail_body["composite_item"]},
            response_schema(file_name, detail_path),
        )
        return
    _validate(detail_body, response_schema(file_name, detail_path, renames))
    if list_path in LINE_ITEM_ENTITIES:
        record = next(value for value in detail_body.values() if isinstance(value, dict))
        assert record["line_items"], "details carry line items"


def test_organizations_validate_against_oas(finance) -> None:
    zoho, session = finance
    for product, file_name in (
        ("books", "books-v3/organizations.yml"),
        ("inventory", INV.format("organizations")),
    ):
        body = session.get(f"{zoho.base_url}{PREFIX[product]}/organizations", timeout=5).json()
        _validate(body, response_schema(file_name, "/organizations"))
        zones = {org["organization_id"]: org["time_zone"] for org in body["organizations"]}
        assert zones == {ORG_IN: "Asia/Kolkata", ORG_US: "America/Los_Angeles"}


def test_datetimes_use_org_time_zone_with_colonless_offset(finance) -> None:
    zoho, session = finance
    offsets = {}
    for organization in (ORG_IN, ORG_US):
        rows = session.get(
            f"{zoho.base_url}/books/v3/invoices",
            timeout=5,
            params={"organization_id": organization},
        ).json()["invoices"]
        offsets[organization] = {row["last_modified_time"][-5:] for row in rows}
    assert offsets[ORG_IN] == {"+0530"}
    assert offsets[ORG_US] <= {"-0800", "-0700"}
    assert offsets[ORG_US]


def test_custom_fields_array_and_flattened_keys(finance) -> None:
    zoho, session = finance
    row = session.get(
        f"{zoho.base_url}/books/v3/invoices", timeout=5, params={"organization_id": ORG_IN}
    ).json()["invoices"][0]
    assert row["custom_fields"]
    for field in row["custom_fields"]:
        assert row[field["api_name"]] == field["value_formatted"]
        assert row[f"{field['api_name']}_unformatted"] == field["value"]


def test_inventory_item_detail_has_stock_per_warehouse_or_location(finance) -> None:
    zoho, session = finance
    for organization, key, prefix in (
        (ORG_IN, "warehouses", "warehouse"),
        (ORG_US, "locations", "location"),
    ):
        items = session.get(
            f"{zoho.base_url}/inventory/v1/items",
            timeout=5,
            params={"organization_id": organization},
        ).json()["items"]
        tracked = next(row for row in items if row["track_inventory"])
        item = session.get(
            f"{zoho.base_url}/inventory/v1/items/{tracked['item_id']}",
            timeout=5,
            params={"organization_id": organization},
        ).json()["item"]
        places = item[key]
        assert len(places) >= 3
        assert sum(place[f"{prefix}_stock_on_hand"] for place in places) == item["stock_on_hand"]
        books = session.get(
            f"{zoho.base_url}/books/v3/items/{tracked['item_id']}",
            timeout=5,
            params={"organization_id": organization},
        ).json()["item"]
        assert books["item_id"] == item["item_id"]
        assert key not in books


def test_itemdetails_batch(finance) -> None:
    zoho, session = finance
    items = session.get(
        f"{zoho.base_url}/inventory/v1/items",
        timeout=5,
        params={"organization_id": ORG_IN, "filter_by": "Status.All"},
    ).json()["items"]
    wanted = [row["item_id"] for row in items[:5]]
    body = session.get(
        f"{zoho.base_url}/inventory/v1/itemdetails",
        timeout=5,
        params={"organization_id": ORG_IN, "item_ids": ",".join(wanted)},
    ).json()
    assert [item["item_id"] for item in body["items"]] == wanted
    assert all("warehouses" in item for item in body["items"])


def test_contact_persons_and_shipments(finance) -> None:
    zoho, session = finance
    contact = session.get(
        f"{zoho.base_url}/books/v3/contacts", timeout=5, params={"organization_id": ORG_IN}
    ).json()["contacts"][0]
    persons = session.get(
        f"{zoho.base_url}/books/v3/contacts/{contact['contact_id']}/contactpersons",
        params={"organization_id": ORG_IN},
        timeout=5,
    ).json()
    assert persons["contact_persons"]
    assert persons["page_context"]["has_more_page"] is False
    packages = session.get(
        f"{zoho.base_url}/inventory/v1/packages", timeout=5, params={"organization_id": ORG_IN}
    ).json()["packages"]
    shipped = next(row for row in packages if row["shipment_id"])
    shipment = session.get(
        f"{zoho.base_url}/inventory/v1/shipmentorders/{shipped['shipment_id']}",
        params={"organization_id": ORG_IN},
        timeout=5,
    )
    assert shipment.status_code == 200
    assert shipment.json()["shipment_order"]["salesorder_id"] == shipped["salesorder_id"]
    not_shipped = session.get(
        f"{zoho.base_url}/inventory/v1/shipmentorders",
        timeout=5,
        params={"organization_id": ORG_IN},
    )
    assert not_shipped.status_code == 404  # Zoho documents no shipment list


def test_remaining_endpoints_validate_against_oas(finance) -> None:
    zoho, session = finance

    def get(path, **params):
        response = session.get(f"{zoho.base_url}{path}", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    invoices = get("/inventory/v1/invoices", organization_id=ORG_IN)
    _validate(invoices, response_schema(INV.format("invoices"), "/invoices"))
    invoice_id = invoices["invoices"][0]["invoice_id"]
    _validate(
        get(f"/inventory/v1/invoices/{invoice_id}", organization_id=ORG_IN),
        response_schema(INV.format("invoices"), "/invoices/{invoice_id}"),
    )
    _validate(
        get("/books/v3/locations", organization_id=ORG_US),
        response_schema("books-v3/locations.yml", "/locations"),
    )
    contact_id = get("/books/v3/contacts", organization_id=ORG_IN)["contacts"][0]["contact_id"]
    persons = get(f"/books/v3/contacts/{contact_id}/contactpersons", organization_id=ORG_IN)
    _validate(
        persons,
        response_schema("books-v3/contact-persons.yml", "/contacts/{contact_id}/contactpersons"),
    )
    person_id = persons["contact_persons"][0]["contact_person_id"]
    _validate(
        get(f"/books/v3/contacts/{contact_id}/contactpersons/{person_id}", organization_id=ORG_IN),
        response_schema(
            "books-v3/contact-persons.yml",
            "/contacts/{contact_id}/contactpersons/{contact_person_id}",
        ),
    )
    item_ids = [
        row["item_id"] for row in get("/books/v3/items", organization_id=ORG_IN)["items"][:3]
    ]
    for product, file_name in (("books", "books-v3/items.yml"), ("inventory", INV.format("items"))):
        _validate(
            get(
                f"{PREFIX[product]}/itemdetails",
                organization_id=ORG_IN,
                item_ids=",".join(item_ids),
            ),
            response_schema(file_name, "/itemdetails"),
        )
    packages = get("/inventory/v1/packages", organization_id=ORG_IN)["packages"]
    shipment_id = next(row["shipment_id"] for row in packages if row["shipment_id"])
    _validate(
        get(f"/inventory/v1/shipmentorders/{shipment_id}", organization_id=ORG_IN),
        response_schema(INV.format("shipmentorders"), "/shipmentorders/{shipmentorder_id}"),
    )
    _validate(
        get(f"/books/v3/organizations/{ORG_IN}"),
        response_schema("books-v3/organizations.yml", "/organizations/{organization_id}"),
    )
