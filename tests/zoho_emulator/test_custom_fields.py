"""`GET /settings/preferences` lists each organization's custom fields: exactly those its
records carry, different per organization, and a control API to add one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.zoho_emulator.conftest import ORG_IN, ORG_US, session_for
from zoho_emulator.finance.customfields import MODULES
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    import requests

BOOKS = "/books/v3/settings/preferences"
INVENTORY = "/inventory/v1/settings/preferences"


@pytest.fixture
def zoho():
    """An emulator of its own: these tests add fields and refuse calls."""
    with run_emulator(scale=12, requests_per_minute=0, daily_limit=0) as running:
        yield running, session_for(running.base_url)


def preferences(zoho, path: str, organization_id: str | None) -> requests.Response:
    running, session = zoho
    params = {} if organization_id is None else {"organization_id": organization_id}
    return session.get(f"{running.base_url}{path}", params=params, timeout=10)


def api_names(body: dict, module: str) -> list[str]:
    return [field["api_name"] for field in body["customfields"][module]]


def test_envelope_and_definition_shape(zoho) -> None:
    response = preferences(zoho, BOOKS, ORG_IN)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0
    assert body["message"] == "success"
    assert isinstance(body["preferences"], dict)
    # Every Books module is listed, Inventory-only ones are not.
    assert "invoice" in body["customfields"]
    assert "transfer_order" not in body["customfields"]
    (channel,) = [f for f in body["customfields"]["invoice"] if f["label"] == "Sales Channel"]
    assert channel["api_name"] == channel["placeholder"] == "cf_sales_channel"
    assert channel["data_type"] == "dropdown"
    assert channel["entity"] == "invoice"
    assert channel["is_active"] is True
    assert [value["name"] for value in channel["values"]] == ["Online", "Retail", "Wholesale"]
    assert channel["customfield_id"].isdigit()
    inventory = preferences(zoho, INVENTORY, ORG_IN).json()
    assert "transfer_order" in inventory["customfields"]
    assert "invoice" in inventory["customfields"]
    assert "bill" not in inventory["customfields"]


def test_each_organization_lists_its_own_fields(zoho) -> None:
    india = preferences(zoho, BOOKS, ORG_IN).json()
    usa = preferences(zoho, BOOKS, ORG_US).json()
    assert "cf_dispatch_priority" in api_names(india, "invoice")
    assert "cf_dispatch_priority" not in api_names(usa, "invoice")
    assert "cf_freight_estimate" in api_names(usa, "invoice")
    assert "cf_freight_estimate" not in api_names(india, "invoice")
    types = {f["api_name"]: f["data_type"] for f in usa["customfields"]["salesorder"]}
    assert types["cf_promised_ship_time"] == "date_time"
    contact_types = {f["api_name"]: f["data_type"] for f in india["customfields"]["contact"]}
    assert contact_types["cf_gstin_verified"] == "check_box"


@pytest.mark.parametrize(("product", "path"), [("books", BOOKS), ("inventory", INVENTORY)])
@pytest.mark.parametrize("organization_id", [ORG_IN, ORG_US])
def test_definitions_are_exactly_what_records_carry(zoho, product, path, organization_id) -> None:
    running, _ = zoho
    listed = preferences(zoho, path, organization_id).json()["customfields"]
    by_module = {module: entity for entity, module in MODULES.items()}
    for module, definitions in listed.items():
        entity = by_module[module]
        rows = list(running.emulator.finance.records(organization_id, entity, product=product))
        assert rows, entity
        for row in rows:
            carried = {field["api_name"]: field["data_type"] for field in row["custom_fields"]}
            assert carried == {d["api_name"]: d["data_type"] for d in definitions}, entity
            assert all(name in row for name in carried)


def test_unknown_and_missing_organization_get_zohos_codes(zoho) -> None:
    foreign = preferences(zoho, BOOKS, "99999999")
    assert foreign.status_code == 400
    assert foreign.json()["code"] == 6041
    missing = preferences(zoho, INVENTORY, None)
    assert missing.status_code == 400
    assert missing.json()["code"] == 36


def test_settings_calls_count_against_the_limits() -> None:
    with run_emulator(scale=5, requests_per_minute=2, daily_limit=0) as running:
        session = session_for(running.base_url)
        url = f"{running.base_url}{BOOKS}"
        statuses = [
            session.get(url, params={"organization_id": ORG_IN}, timeout=10).status_code
            for _ in range(3)
        ]
        stats = running.emulator.stats.snapshot()
        other_org = session.get(url, params={"organization_id": ORG_US}, timeout=10)
    assert statuses == [200, 200, 429]
    assert stats["requests_by_route"]["books:/settings/preferences"] == 3
    assert stats["requests_by_org"][f"books:{ORG_IN}"] == 3
    assert other_org.status_code == 200  # limits are per organization


def test_control_api_adds_a_field_to_one_organization(zoho) -> None:
    running, session = zoho
    before = running.emulator.finance.records(ORG_US, "invoices").__next__()
    response = session.post(
        f"{running.base_url}/__emulator/finance/{ORG_US}/invoices/customfields",
        json={"label": "Pallet Count", "data_type": "number", "number_range": 40},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    added = response.json()["customfield"]
    assert added["api_name"] == "cf_pallet_count"
    assert added["entity"] == "invoice"
    assert "cf_pallet_count" not in before
    assert "cf_pallet_count" in api_names(preferences(zoho, BOOKS, ORG_US).json(), "invoice")
    assert "cf_pallet_count" in api_names(preferences(zoho, INVENTORY, ORG_US).json(), "invoice")
    assert "cf_pallet_count" not in api_names(preferences(zoho, BOOKS, ORG_IN).json(), "invoice")
    # Served lists (past the page cache) carry it at once, typed by its data type.
    rows = session.get(
        f"{running.base_url}/books/v3/invoices", params={"organization_id": ORG_US}, timeout=10
    ).json()["invoices"]
    for row in rows:
        assert isinstance(row["cf_pallet_count_unformatted"], int)
        assert row["cf_pallet_count"] == str(row["cf_pallet_count_unformatted"])
        assert 0 <= row["cf_pallet_count_unformatted"] < 40


def test_control_api_refuses_bad_fields(zoho) -> None:
    running, session = zoho
    base = f"{running.base_url}/__emulator/finance/{ORG_IN}"
    cases = [
        ("invoices", {"label": "X", "data_type": "hologram"}, 400),
        ("invoices", {"label": "X", "data_type": "dropdown"}, 400),  # no choices
        ("invoices", {"label": "Sales Channel", "data_type": "string"}, 400),  # taken
        ("invoices", {"label": "X", "data_type": "string", "api_name": "Bad"}, 400),
        ("shipmentorders", {"label": "X", "data_type": "string"}, 400),
        ("invoices", {"data_type": "string"}, 400),  # no label
    ]
    for entity, body, status in cases:
        response = session.post(f"{base}/{entity}/customfields", json=body, timeout=10)
        assert response.status_code == status, (entity, body, response.text)
        assert "error" in response.json()
    unknown = f"{running.base_url}/__emulator/finance/99999999/invoices/customfields"
    for body, status in (({"label": "X", "data_type": "string"}, 404), ([1], 400)):
        response = session.post(unknown, json=body, timeout=10)
        assert response.status_code == status, (entity, body, response.text)
        assert "error" in response.json()


def test_denied_settings_call_gets_code_57_for_that_product_and_org_only(zoho) -> None:
    running, session = zoho
    response = session.post(
        f"{running.base_url}/__emulator/finance/{ORG_US}/customfields/deny",
        json={"product": "books"},
        timeout=10,
    )
    assert response.status_code == 200
    denied = preferences(zoho, BOOKS, ORG_US)
    assert denied.status_code == 401
    assert denied.json() == {
        "code": 57,
        "message": "You are not authorized to perform this operation",
    }
    assert preferences(zoho, BOOKS, ORG_IN).status_code == 200
    assert preferences(zoho, INVENTORY, ORG_US).status_code == 200
    running.emulator.finance.custom_fields.deny(ORG_US, "books", denied=False)
    assert preferences(zoho, BOOKS, ORG_US).status_code == 200


def test_every_added_field_varies_across_records(zoho) -> None:
    running, session = zoho
    names = [
        running.emulator.finance.custom_fields.add(
            ORG_IN, "bills", f"Extra {n}", "number", number_range=1000
        )["api_name"]
        for n in range(6)
    ]
    rows = session.get(
        f"{running.base_url}/books/v3/bills", params={"organization_id": ORG_IN}, timeout=10
    ).json()["bills"]
    assert len(rows) >= 10
    for name in names:  # past the fifth field too (one shared 64-bit draw runs out there)
        assert len({row[f"{name}_unformatted"] for row in rows}) > 3, name
