"""The optional `Price_Tiers` module: no `Modified_Time`, served only once enabled.

Clients need a module they cannot bookmark (FULL_TABLE); keeping it out of the default
set leaves every other client's discovery and call counts as they were.
"""

from __future__ import annotations

import pytest
import requests

from tests.zoho_emulator.test_crm_records import crm_session
from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator

FIELDS = "Name,Discount_Percent,Minimum_Quantity"


@pytest.fixture
def zoho():
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
                      token_mint_limit=100) as running:  # fmt: skip
        yield running, crm_session(running.base_url)


def api(zoho, path, **kwargs):
    running, session = zoho
    return session.get(f"{running.base_url}/crm/v8/{path}", timeout=10, **kwargs)


def module_names(zoho) -> set[str]:
    return {module["api_name"] for module in api(zoho, "settings/modules").json()["modules"]}


def test_an_optional_module_is_unknown_until_enabled(zoho) -> None:
    assert "Price_Tiers" not in module_names(zoho)
    assert api(zoho, "Price_Tiers", params={"fields": FIELDS}).json()["code"] == "INVALID_MODULE"
    fields = api(zoho, "settings/fields", params={"module": "Price_Tiers"})
    assert fields.json()["code"] == "INVALID_MODULE"


def test_enabled_over_http_it_is_listed_and_has_no_modified_time(zoho) -> None:
    running, _ = zoho
    enabled = requests.post(f"{running.base_url}/__emulator/crm/modules/enable",
                            json={"modules": ["price_tiers"]}, timeout=10)  # fmt: skip
    assert "Price_Tiers" in enabled.json()["modules"]
    assert "Price_Tiers" in module_names(zoho)
    fields = api(zoho, "settings/fields", params={"module": "Price_Tiers"}).json()["fields"]
    names = [spec["api_name"] for spec in fields]
    assert "Name" in names
    assert "Modified_Time" not in names
    assert "Created_Time" not in names
    rows = api(zoho, "Price_Tiers", params={"fields": FIELDS, "sort_by": "id"}).json()["data"]
    assert len(rows) == 5
    assert all("Modified_Time" not in row for row in rows)


def test_it_cannot_be_sorted_by_a_field_it_does_not_have(zoho) -> None:
    running, _ = zoho
    Crm.of(running.emulator).enable_modules("Price_Tiers")
    refused = api(zoho, "Price_Tiers", params={"fields": FIELDS, "sort_by": "Modified_Time"})
    assert refused.status_code == 400
    assert refused.json()["details"] == {"param_name": "sort_by", "supported_values": ["id"]}


def test_only_optional_modules_can_be_enabled(zoho) -> None:
    running, _ = zoho
    with pytest.raises(ValueError, match="not an optional CRM module"):
        Crm.of(running.emulator).enable_modules("Leads")


def test_coql_bulk_and_watch_refuse_it_until_enabled(zoho) -> None:
    running, session = zoho
    base = running.base_url

    def coql() -> requests.Response:
        query = {"select_query": "select Name from Price_Tiers limit 5"}
        return session.post(f"{base}/crm/v8/coql", json=query, timeout=10)

    def bulk() -> requests.Response:
        return session.post(f"{base}/crm/bulk/v8/read", timeout=10,
                            json={"query": {"module": {"api_name": "Price_Tiers"}}})  # fmt: skip

    def watch() -> requests.Response:
        return session.post(f"{base}/crm/v8/actions/watch", timeout=10, json={"watch": [{
            "channel_id": "1000000068001", "events": ["Price_Tiers.all"],
            "notify_url": "http://127.0.0.1:9/notify"}]})  # fmt: skip

    assert coql().json()["code"] == "INVALID_QUERY"
    assert bulk().json()["code"] == "INVALID_DATA"
    assert watch().json()["watch"][0]["code"] == "INVALID_DATA"
    Crm.of(running.emulator).enable_modules("Price_Tiers")
    assert len(coql().json()["data"]) == 5
    assert bulk().status_code == 201
    assert watch().status_code == 201
