"""CRM modules without `Modified_Time`: FULL_TABLE, version announced after a complete read.

The emulator's `Price_Tiers` has no `Modified_Time`, so the tap reads it in full every run.
A target soft-deletes rows a full-table version did not carry: announced before the
records (the SDK's default), every tier would look deleted until re-sent, and for good
when spent credits stop the read half-way.
"""

from __future__ import annotations

import pytest

from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap, select_only
from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator

STREAM = "crm_price_tiers"
TIERS = 450  # three pages of 200


def crm_config(base_url: str, **overrides: object) -> dict[str, object]:
    return emulator_config(base_url, products=["crm"], crm_modules=["Price_Tiers"], **overrides)


def positions(messages: list[dict[str, object]], kind: str) -> list[int]:
    return [
        index for index, message in enumerate(messages)
        if message["type"] == kind and message.get("stream") == STREAM
    ]  # fmt: skip


@pytest.fixture
def zoho():
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=0, token_mint_limit=100) as zoho:
        crm = Crm.of(zoho.emulator)
        crm.enable_modules("Price_Tiers")
        crm.set_counts({"Price_Tiers": TIERS})
        yield zoho


def test_version_is_announced_once_after_every_record_of_the_module(zoho):
    result = run_tap(crm_config(zoho.base_url), streams={STREAM})
    truth = set(Crm.of(zoho.emulator).live_ids("Price_Tiers"))
    entry = next(s for s in result.tap.catalog_dict["streams"] if s["tap_stream_id"] == STREAM)
    assert entry.get("replication_method") == "FULL_TABLE"
    records = positions(result.messages, "RECORD")
    versions = positions(result.messages, "ACTIVATE_VERSION")
    assert {str(result.messages[i]["record"]["id"]) for i in records} == truth
    assert len(truth) == TIERS
    assert len(versions) == 1
    assert versions[0] > max(records)
    stamped = {result.messages[i].get("version") for i in records}
    assert stamped == {result.messages[versions[0]]["version"]}


def test_credits_that_stop_the_module_half_way_announce_no_version(zoho):
    # Discovered without a budget; the sync is given the catalog (no metadata call), so
    # its 2 credits read two of the three pages.
    catalog = select_only(TapZoho(config=crm_config(zoho.base_url)).catalog_dict, {STREAM})
    result = run_tap(crm_config(zoho.base_url, crm_daily_credits=2), catalog=catalog)
    records = positions(result.messages, "RECORD")
    assert "Zoho CRM API credits" in result.logs
    assert len(records) == 400
    assert positions(result.messages, "ACTIVATE_VERSION") == []
    assert [product for product, _ in result.tap.quota_stops] == ["crm"]
