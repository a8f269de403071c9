"""Custom fields discovered per organization over HTTP: typed `cf_*` columns, the raw
array kept, one call per product and organization, a clean fallback when refused."""

from __future__ import annotations

import logging

import requests

from scripts.build_schemas import organization_specific
from tap_zoho.api import UnifiedZohoClient
from tap_zoho.finance.books import STREAMS as BOOKS_STREAMS
from tap_zoho.finance.custom_fields import definitions_of, property_for
from tap_zoho.finance.inventory import STREAMS as INVENTORY_STREAMS
from tap_zoho.schemas import load_schema
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap, select_only
from tests.tap_zoho.conftest import ORG_IN, ORG_US
from zoho_emulator.faults import FaultKind, FaultRule
from zoho_emulator.finance.customfields import ORGANIZATION_FIELDS
from zoho_emulator.testing import run_emulator

SETTINGS_ROUTE = "books:/settings/preferences"


def properties(catalog: dict, stream: str) -> dict:
    (entry,) = [e for e in catalog["streams"] if e["tap_stream_id"] == stream]
    return entry["schema"]["properties"]


def custom_field_warnings(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "tap_zoho.custom_fields" and record.levelno == logging.WARNING
    ]


def test_each_organization_s_fields_are_discovered_with_their_types(zoho):
    zoho.emulator.stats.reset()
    catalog = TapZoho(config=emulator_config(zoho.base_url)).catalog_dict
    stats = zoho.emulator.stats.snapshot()
    invoices = properties(catalog, "books_invoices")
    assert invoices["cf_dispatch_priority"] == {"type": ["number", "null"]}  # India only
    assert invoices["cf_freight_estimate"] == {"type": ["number", "null"]}  # USA only
    assert "custom_fields" in invoices
    contacts = properties(catalog, "books_contacts")
    assert contacts["cf_gstin_verified"] == {"type": ["boolean", "null"]}
    assert contacts["cf_tax_exempt_until"] == {"type": ["string", "null"], "format": "date"}
    orders = properties(catalog, "inventory_sales_orders")
    assert orders["cf_promised_ship_time"] == {
        "type": ["string", "null"],
        "format": "date-time",
    }
    assert properties(catalog, "inventory_items")["cf_hsn_chapter"] == {"type": ["string", "null"]}
    # Line items carry no header custom fields.
    assert "cf_dispatch_priority" not in properties(catalog, "books_invoice_line_items")
    # Fixed overhead: one settings call per product and organization, nothing else but
    # the /organizations call the sync would make anyway.
    assert stats["requests_by_route"] == {
        "books:/organizations": 1,
        "inventory:/organizations": 1,
        SETTINGS_ROUTE: 2,
        "inventory:/settings/preferences": 2,
    }

    india_only = TapZoho(config=emulator_config(zoho.base_url, organization_ids=[ORG_IN]))
    invoices = properties(india_only.catalog_dict, "books_invoices")
    assert "cf_dispatch_priority" in invoices
    assert "cf_freight_estimate" not in invoices


def test_a_field_added_later_is_discovered_and_lands_typed(fresh_zoho):
    config = emulator_config(fresh_zoho.base_url, products=["books"])
    before = properties(TapZoho(config=config).catalog_dict, "books_invoices")
    assert "cf_pallet_count" not in before
    response = requests.post(
        f"{fresh_zoho.base_url}/__emulator/finance/{ORG_US}/invoices/customfields",
        json={"label": "Pallet Count", "data_type": "number", "number_range": 40},
        timeout=10,
    )
    assert response.status_code == 200, response.text

    result = run_tap(config, streams={"books_invoices"})

    (schema,) = [
        m["schema"]
        for m in result.messages
        if m["type"] == "SCHEMA" and m["stream"] == "books_invoices"
    ]
    assert schema["properties"]["cf_pallet_count"] == {"type": ["number", "null"]}
    truth = {
        row["invoice_id"]: row["cf_pallet_count_unformatted"]
        for row in fresh_zoho.emulator.finance.records(ORG_US, "invoices")
    }
    records = result.records["books_invoices"]
    us = [r for r in records if r["organization_id"] == ORG_US]
    assert {r["invoice_id"]: r["cf_pallet_count"] for r in us} == truth
    assert all(isinstance(r["cf_pallet_count"], int | float) for r in us)
    assert all(
        "cf_pallet_count" in {f["api_name"] for f in r["custom_fields"]} for r in us
    )  # the raw array is kept
    assert all(r.get("cf_pallet_count") is None for r in records if r["organization_id"] == ORG_IN)
    assert "not in the catalog schema" not in result.logs


def test_a_type_that_differs_between_organizations_widens_to_string(fresh_zoho, caplog):
    finance = fresh_zoho.emulator.finance
    finance.custom_fields.add(ORG_IN, "invoices", "Route", "number", api_name="cf_route")
    finance.custom_fields.add(ORG_US, "invoices", "Route", "date", api_name="cf_route")
    config = emulator_config(fresh_zoho.base_url, products=["books"])
    with caplog.at_level(logging.WARNING):
        result = run_tap(config, streams={"books_invoices"})
    assert properties(result.tap.catalog_dict, "books_invoices")["cf_route"] == {
        "type": ["string", "null"]
    }
    warnings = custom_field_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert ORG_IN in warnings[0]
    assert ORG_US in warnings[0]
    assert "cf_route" in warnings[0]
    assert "number" in warnings[0]
    assert "date" in warnings[0]
    by_org = {r["organization_id"]: r["cf_route"] for r in result.records["books_invoices"]}
    assert by_org[ORG_IN].isdigit()  # kept as Zoho sent it, in a string column
    assert by_org[ORG_US][4] == "-"


def test_a_refused_settings_call_falls_back_with_one_warning(fresh_zoho, caplog):
    fresh_zoho.emulator.finance.custom_fields.deny(ORG_US, "books")
    config = emulator_config(fresh_zoho.base_url)
    with caplog.at_level(logging.WARNING):
        result = run_tap(config, streams={"books_invoices", "inventory_sales_orders"})
    warnings = custom_field_warnings(caplog)
    assert len(warnings) == 1, warnings
    (warning,) = warnings
    assert "books" in warning
    assert ORG_US in warning
    assert "HTTP 401, Zoho code 57: You are not authorized to perform this operation" in warning
    assert config["client_secret"] not in caplog.text
    assert config["refresh_token"] not in caplog.text
    assert "Traceback" not in caplog.text
    catalog = result.tap.catalog_dict
    invoices = properties(catalog, "books_invoices")
    assert "cf_freight_estimate" not in invoices  # only the refused organization has it
    assert "cf_dispatch_priority" in invoices  # the other organization was discovered
    assert "cf_promised_ship_time" in properties(catalog, "inventory_sales_orders")
    us = [r for r in result.records["books_invoices"] if r["organization_id"] == ORG_US]
    assert us  # the organization still syncs, with the committed schema
    assert all("cf_freight_estimate" not in r for r in us)
    assert all(
        "cf_freight_estimate" in {f["api_name"] for f in r["custom_fields"]} for r in us
    )  # the raw array still carries it


def test_a_token_without_the_settings_scope_is_not_refreshed_per_organization(fresh_zoho, caplog):
    for organization_id in (ORG_IN, ORG_US):
        fresh_zoho.emulator.finance.custom_fields.deny(organization_id, "books")
    config = emulator_config(fresh_zoho.base_url, products=["books"])
    with caplog.at_level(logging.WARNING):
        catalog = TapZoho(config=config).catalog_dict
    stats = fresh_zoho.emulator.stats.snapshot()
    warnings = custom_field_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "other organizations are not asked" in warnings[0]
    # The first organization's call, once more after a fresh token; none for the second.
    assert stats["requests_by_route"][SETTINGS_ROUTE] == 2
    assert stats["tokens_minted"] == 2
    assert "cf_dispatch_priority" not in properties(catalog, "books_invoices")


def test_a_daily_quota_spent_before_discovery_is_one_clean_stop(caplog):
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=2) as zoho:
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=[ORG_IN])
        other = UnifiedZohoClient.from_config(config)  # another process spent the day
        for _ in range(2):
            other.get_json("books", "/users", organization_id=ORG_IN)
        zoho.emulator.stats.reset()
        with caplog.at_level(logging.WARNING):
            result = run_tap(config)
        stats = zoho.emulator.stats.snapshot()
    assert stats["responses_by_status"].get("429") == 1
    assert stats["requests_by_org"][f"books:{ORG_IN}"] == 1  # discovery's call, then none
    stops = [line for line in caplog.text.splitlines() if "daily API quota" in line]
    assert len(stops) == 1, stops
    assert "books custom fields discovery" in stops[0]
    assert "Traceback" not in caplog.text
    assert set(result.records) <= {"books_organizations"}  # its call needs no org quota


def test_organizations_that_cannot_be_listed_leave_the_error_to_the_streams(fresh_zoho, caplog):
    fresh_zoho.emulator.faults.add(
        FaultRule(FaultKind.SERVER_ERROR, "books:/organizations", remaining=1, status=403)
    )
    config = emulator_config(fresh_zoho.base_url, products=["books"])
    with caplog.at_level(logging.WARNING):
        catalog = TapZoho(config=config).catalog_dict  # no exception out of discovery
    warnings = custom_field_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "HTTP 403" in warnings[0]
    assert "cf_dispatch_priority" not in properties(catalog, "books_invoices")
    assert SETTINGS_ROUTE not in fresh_zoho.emulator.stats.snapshot()["requests_by_route"]


def test_a_catalog_run_makes_no_discovery_call_and_keeps_the_columns(zoho):
    config = emulator_config(zoho.base_url, products=["books"])
    catalog = select_only(TapZoho(config=config).catalog_dict, {"books_invoices"})
    zoho.emulator.stats.reset()
    result = run_tap(config, catalog=catalog)
    routes = zoho.emulator.stats.snapshot()["requests_by_route"]
    assert SETTINGS_ROUTE not in routes
    records = result.records["books_invoices"]
    india = [r for r in records if r["organization_id"] == ORG_IN]
    assert india
    assert all(isinstance(r["cf_dispatch_priority"], int | float) for r in india)
    us = [r for r in records if r["organization_id"] == ORG_US]
    assert all(isinstance(r["cf_freight_estimate"], int | float) for r in us)
    assert "not in the catalog schema" not in result.logs


def test_committed_schemas_hold_no_organization_s_own_field():
    # Per-organization fields come from discovery; a committed one would reach every org.
    own = {
        (entity, spec[1])
        for entities in ORGANIZATION_FIELDS.values()
        for entity, specs in entities.items()
        for spec in specs
    }
    checked = 0
    for cls in (*BOOKS_STREAMS, *INVENTORY_STREAMS):
        committed = load_schema(cls.name)["properties"]
        for entity, name in own:
            if getattr(cls, "entity", None) == entity:
                checked += 1
                assert name not in committed, cls.name
                assert f"{name}_unformatted" not in committed, cls.name
    assert checked >= len(own)
    records = [
        {"organization_id": ORG_IN, "cf_shared": 1, "cf_india": 2, "total": 3},
        {"organization_id": ORG_US, "cf_shared": 1, "cf_india_unformatted": None},
    ]
    assert organization_specific(records) == {"cf_india", "cf_india_unformatted"}


def test_definitions_are_read_from_api_name_or_placeholder_and_typed():
    body = {
        "customfields": {
            "invoice": [
                {"api_name": "cf_a", "data_type": "decimal"},
                {"placeholder": "cf_b", "data_type": "multiselect"},
                {"label": "no key", "data_type": "number"},
                {"api_name": "not_cf", "data_type": "number"},
                "junk",
            ],
            "bill": "junk",
        }
    }
    assert list(definitions_of(body)) == [
        ("invoice", "cf_a", "decimal"),
        ("invoice", "cf_b", "multiselect"),
    ]
    assert list(definitions_of({"preferences": {}})) == []
    assert property_for("multiselect") == {"type": ["array", "null"], "items": {"type": "string"}}
    assert property_for("Check_Box") == {"type": ["boolean", "null"]}
    assert property_for("formula") == {"type": ["string", "null"]}  # unknown: string
