"""Every fatal answer names what is wrong, where, and never a secret."""

from __future__ import annotations

import pytest

from tap_zoho.api import UnifiedZohoClient, ZohoAPIError, ZohoAuthError, ZohoNotFoundError
from tap_zoho.api.regions import REGIONS
from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.faults import FaultKind, FaultRule

ORG_IN = "10234695"
SECRET = "demo-client-secret"
REFRESH = "1000.demo.refresh-token"


def client(zoho, **overrides) -> UnifiedZohoClient:
    return UnifiedZohoClient.from_config(emulator_config(zoho.base_url, **overrides))


def assert_no_secret(text: str) -> None:
    assert SECRET not in text
    assert REFRESH not in text


def test_revoked_refresh_token_says_regenerate(zoho):
    with pytest.raises(ZohoAuthError) as error:
        client(zoho, refresh_token="1000.revoked.token").organizations("books")
    text = str(error.value)
    assert "invalid_code" in text
    assert "Generate a new refresh token" in text
    assert "1000.revoked.token" not in text
    assert_no_secret(text)


def test_unknown_client_names_region_and_accounts_server(zoho):
    with pytest.raises(ZohoAuthError) as error:
        client(zoho, client_id="1000.OTHER", region="eu").organizations("books")
    text = str(error.value)
    assert "invalid_client" in text
    assert "region 'eu'" in text
    assert zoho.base_url in text
    assert_no_secret(text)


def test_wrong_client_secret(zoho):
    with pytest.raises(ZohoAuthError, match="invalid_client_secret") as error:
        client(zoho, client_secret="wrong-secret").organizations("books")
    assert "wrong-secret" not in str(error.value)


def test_foreign_organization_names_stream_organization_path_code_and_message(zoho):
    """A refused organization fails its partition with one line; the run is not a traceback."""
    config = emulator_config(zoho.base_url, products=["books"], organization_ids=["999"])
    result = run_tap(config, streams={"books_invoices"})
    [failure] = list(result.tap.failures)
    text = failure.describe()
    assert text.startswith(
        "stream books_invoices, organization 999: GET /invoices failed with HTTP 400"
    )
    assert "Zoho code 6041" in text
    assert "not associated with the CompanyID" in text
    assert "organization_id" not in text  # no query strings in messages
    assert text in result.logs
    assert "Traceback" not in result.logs
    assert_no_secret(result.logs)


def test_invalid_parameter_is_fatal_with_zoho_message(zoho):
    with pytest.raises(ZohoAPIError) as error:
        client(zoho).get_json("books", "/invoices", organization_id=ORG_IN,
                              params={"sort_column": "nonsense"}, label="probe")  # fmt: skip
    assert error.value.code == 2
    assert "Invalid value passed for sort_column" in str(error.value)


def test_unknown_path_and_missing_record(zoho):
    zoho_client = client(zoho)
    with pytest.raises(ZohoAPIError, match="Zoho code 5: Invalid URL Passed"):
        zoho_client.get_json("books", "/nonsense", organization_id=ORG_IN)
    assert zoho_client.get_record("books", ORG_IN, "invoices", "1") is None
    with pytest.raises(ZohoNotFoundError):
        zoho_client.get_json("books", "/invoices/1", organization_id=ORG_IN)


def test_persistent_401_after_refresh_is_fatal_with_a_scope_hint(fresh_zoho):
    fresh_zoho.emulator.faults.add(FaultRule(FaultKind.REVOKE_TOKENS, route_glob="books:auth"))
    with pytest.raises(ZohoAPIError) as error:
        client(fresh_zoho).get_json("books", "/invoices", organization_id=ORG_IN)
    text = str(error.value)
    assert "HTTP 401" in text
    assert "Zoho code 57" in text
    assert "READ scope" in text
    assert fresh_zoho.emulator.stats.snapshot()["tokens_minted"] == 2


def test_regions_table():
    assert REGIONS["ca"].accounts_url == "https://accounts.zohocloud.ca"
    assert REGIONS["ca"].api_domain == "https://www.zohoapis.ca"
    assert set(REGIONS) == {"us", "eu", "in", "au", "jp", "ca", "sa", "cn", "uk"}
    zoho_client = UnifiedZohoClient.from_config(
        {
            "client_id": "a",
            "client_secret": "b",
            "refresh_token": "c",
            "region": "au",
            "api_domain": "https://proxy.example",
        }
    )
    assert zoho_client.credentials.accounts_url == "https://accounts.zoho.com.au"
    assert zoho_client.base_url("inventory") == "https://proxy.example/inventory/v1"
    assert "b" not in repr(zoho_client.credentials).replace("client_id", "")


def test_get_items_batches_by_one_hundred(fresh_zoho):
    zoho_client = client(fresh_zoho)
    finance = fresh_zoho.emulator.finance
    ids = [r["item_id"] for r in finance.records(ORG_IN, "items", product="inventory")]
    many = (ids * 40)[:250]
    fresh_zoho.emulator.stats.reset()
    items = zoho_client.get_items("inventory", ORG_IN, many)
    assert len(items) == 250
    assert fresh_zoho.emulator.stats.snapshot()["requests_by_route"] == {
        "inventory:/itemdetails": 3
    }
