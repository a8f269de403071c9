"""Books/Inventory custom-field definitions kept in the metadata cache between discoveries.

`meltano run` discovers before every sync (this project's plugin has no `pip_url`), so
without the cache every run spends one request per product and organization of the
organization's daily quota on definitions that rarely change. Each discovery here runs
as Meltano's `--discover` process would: a new tap with no access token in memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tap_zoho.api.auth import TokenManager
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap, select_only
from tests.tap_zoho.conftest import ORG_IN, ORG_US

if TYPE_CHECKING:
    from pathlib import Path

BOOKS = "books:/settings/preferences"
INVENTORY = "inventory:/settings/preferences"


def discover(zoho: Any, config: dict[str, Any]) -> tuple[dict[str, dict], dict[str, Any]]:
    """A fresh process's discovery: the `cf_*` properties per stream, and the requests."""
    TokenManager.forget_all()
    zoho.emulator.stats.reset()
    tap = TapZoho(config=config)
    catalog = tap.catalog_dict
    columns = {
        entry["tap_stream_id"]: {
            name: prop
            for name, prop in entry["schema"]["properties"].items()
            if name.startswith("cf_")
        }
        for entry in catalog["streams"]
    }
    stats = zoho.emulator.stats.snapshot()
    stats["access_token"] = tap.client.tokens.access_token() if stats["tokens_minted"] else ""
    return columns, stats


def test_a_warm_cache_makes_no_settings_call_and_yields_the_same_columns(fresh_zoho, tmp_path):
    config = emulator_config(fresh_zoho.base_url, products=["books", "inventory"],
                             metadata_cache_dir=str(tmp_path))  # fmt: skip
    cold, cold_stats = discover(fresh_zoho, config)
    warm, warm_stats = discover(fresh_zoho, config)
    assert cold_stats["requests_by_route"][BOOKS] == 2  # one per organization
    assert cold_stats["requests_by_route"][INVENTORY] == 2
    assert cold["books_invoices"]["cf_dispatch_priority"] == {"type": ["number", "null"]}
    assert warm == cold
    # Only the organization listings are left (they cost no organization's quota).
    assert warm_stats["requests_by_route"] == {
        "books:/organizations": 1,
        "inventory:/organizations": 1,
    }
    names = sorted(path.name.rsplit("-", 1)[0] for path in tmp_path.iterdir())
    assert names == [
        f"books-custom-fields-{ORG_IN}", f"books-custom-fields-{ORG_US}",
        f"inventory-custom-fields-{ORG_IN}", f"inventory-custom-fields-{ORG_US}",
    ]  # fmt: skip
    text = "".join(path.read_text() for path in tmp_path.iterdir())
    assert "cf_dispatch_priority" in text
    for secret in (config["client_secret"], config["refresh_token"], cold_stats["access_token"]):
        assert secret
        assert secret not in text

    # With the organizations configured, a warm discovery asks Zoho nothing at all: not
    # even an access token.
    listed = {**config, "organization_ids": [ORG_IN, ORG_US]}
    quiet, quiet_stats = discover(fresh_zoho, listed)
    assert quiet == cold
    assert quiet_stats["total_requests"] == 0
    assert quiet_stats["tokens_minted"] == 0


def test_a_field_added_in_zoho_shows_once_the_cached_definitions_age(fresh_zoho, tmp_path):
    config = emulator_config(fresh_zoho.base_url, products=["books"],
                             metadata_cache_dir=str(tmp_path))  # fmt: skip
    discover(fresh_zoho, config)
    fresh_zoho.emulator.finance.custom_fields.add(
        ORG_US, "invoices", "Pallet Count", "number", api_name="cf_pallet_count"
    )
    cached, cached_stats = discover(fresh_zoho, config)
    assert "cf_pallet_count" not in cached["books_invoices"]  # younger than 24 h: no call
    assert BOOKS not in cached_stats["requests_by_route"]

    # Age is the tap machine's clock (the file is local); a 1 ms limit has passed.
    aged, aged_stats = discover(fresh_zoho, {**config, "metadata_cache_hours": 1 / 3_600_000})
    assert aged["books_invoices"]["cf_pallet_count"] == {"type": ["number", "null"]}
    assert aged_stats["requests_by_route"][BOOKS] == 2
    again, again_stats = discover(fresh_zoho, config)  # the fresh answer was cached
    assert again == aged
    assert BOOKS not in again_stats["requests_by_route"]

    off, off_stats = discover(fresh_zoho, {**config, "metadata_cache_hours": 0})
    assert off == aged
    assert off_stats["requests_by_route"][BOOKS] == 2

    (us_file,) = tmp_path.glob(f"books-custom-fields-{ORG_US}-*.json")
    us_file.write_text("{not json")
    broken, broken_stats = discover(fresh_zoho, config)
    assert broken == aged
    assert broken_stats["requests_by_route"][BOOKS] == 1  # the broken file's organization
    assert "cf_pallet_count" in us_file.read_text()  # ... rewritten


def test_a_refused_settings_call_is_not_cached(fresh_zoho, tmp_path: Path):
    fresh_zoho.emulator.finance.custom_fields.deny(ORG_US, "books")
    config = emulator_config(fresh_zoho.base_url, products=["books"],
                             organization_ids=[ORG_IN, ORG_US],
                             metadata_cache_dir=str(tmp_path))  # fmt: skip
    refused, _ = discover(fresh_zoho, config)
    assert "cf_freight_estimate" not in refused["books_invoices"]  # the fallback, as before
    assert [path.name.rsplit("-", 1)[0] for path in tmp_path.iterdir()] == [
        f"books-custom-fields-{ORG_IN}"
    ]
    fresh_zoho.emulator.finance.custom_fields.deny(ORG_US, "books", denied=False)
    granted, granted_stats = discover(fresh_zoho, config)
    assert granted["books_invoices"]["cf_freight_estimate"] == {"type": ["number", "null"]}
    assert granted_stats["requests_by_route"][BOOKS] == 1  # the refused one, asked again


def test_a_catalog_run_neither_calls_nor_touches_the_cache(fresh_zoho, tmp_path: Path):
    catalog = select_only(
        TapZoho(config=emulator_config(fresh_zoho.base_url, products=["books"])).catalog_dict,
        {"books_invoices"},
    )
    config = emulator_config(fresh_zoho.base_url, products=["books"],
                             metadata_cache_dir=str(tmp_path / "metadata"))  # fmt: skip
    fresh_zoho.emulator.stats.reset()
    result = run_tap(config, catalog=catalog)
    assert BOOKS not in fresh_zoho.emulator.stats.snapshot()["requests_by_route"]
    assert not (tmp_path / "metadata").exists()  # a cold cache stays cold: nothing read
    india = [r for r in result.records["books_invoices"] if r["organization_id"] == ORG_IN]
    assert india
    assert all(isinstance(r["cf_dispatch_priority"], int | float) for r in india)
