"""Zoho's official CRM v8 SDK (`zohocrmsdk8-0`) reads the emulator, through its own classes.

A strict emulator written from one reading of Zoho's docs can agree with itself and be
wrong; the SDK is Zoho's own model of every answer. Each operation here must parse into
the SDK's expected class with no value the SDK could not read (None), and what it read
must equal the emulator's ground truth.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from official_sdk import run_sdk_client, sdk_venv

from zoho_emulator.crm import Crm
from zoho_emulator.crm.catalog import ORG_ID, TAXES
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(900)

EXPECTED_CLASSES = {
    "modules": "ResponseWrapper",
    "fields": "ResponseWrapper",
    "org": "ResponseWrapper",
    "first_order": "ResponseWrapper",
    "single_record": "ResponseWrapper",
    "records_page_1": "ResponseWrapper",
    "records_page_2": "ResponseWrapper",
    "records_page_3": "ResponseWrapper",
    "if_modified_since": "ResponseWrapper",
    "products": "ResponseWrapper",
    "deleted": "DeletedRecordsWrapper",
    "count": "CountWrapper",
    "search": "ResponseWrapper",
    "search_count": "CountWrapper",
    "coql": "ResponseWrapper",
    "bulk_create": "ActionWrapper",
    "bulk_status": "ResponseWrapper",
    "bulk_download": "FileBodyWrapper",
    "watch_enable": "ActionWrapper",
    "watch_get": "ResponseWrapper",
    "watch_delete": "ActionWrapper",
}
"""Every operation the client runs, and the SDK class its answer must parse into
(`APIException` or None means the SDK did not accept the answer)."""
SEARCHED_SOURCES = {"Cold Call", "Partner"}


@pytest.fixture(scope="module")
def sdk(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = getattr(pytestconfig, "cache", None)  # None under `-p no:cacheprovider`
    if cache is None:
        return sdk_venv(tmp_path_factory.mktemp("sdk"))
    return sdk_venv(cache.mkdir("official-sdk-venvs"))


@pytest.fixture(scope="module")
def report(sdk: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One SDK session against one emulator; the ground truth is read right after."""
    work = tmp_path_factory.mktemp("sdk-session")
    with run_emulator(
        scale=60, requests_per_minute=0, daily_limit=0, token_mint_limit=1_000
    ) as zoho:
        crm = Crm.of(zoho.emulator)
        crm.set_counts({"Leads": 600})  # three pages of page tokens (converted ones hidden)
        deleted = crm.delete("Deals", count=2)
        crm.bulk.added_seconds = crm.bulk.progress_seconds = 0
        started = time.monotonic()
        output = run_sdk_client(
            sdk, zoho.base_url, work, (DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN)
        )
        seconds = time.monotonic() - started
        truth = {
            "leads": {r["id"]: r["Modified_Time"] for r in crm.records("Leads", converted="false")},
            "contacts": list(crm.records("Contacts")),
            "deals": crm.live_ids("Deals"),
            "deleted": deleted,
            "modules": {name: crm.module(name).module_id for name in ("Leads", "Deals")},
            "order_items": {
                r["id"]: [item["id"] for item in r["Ordered_Items"]]
                for r in crm.records("Sales_Orders")
            },
        }
        crm.channels.close()
    body = json.loads(output)
    # Printed for the report (pytest -s): the SDK session's wall time, venv ready.
    print(f"official SDK session: {len(body['operations'])} answers in {seconds:.1f} s")  # noqa: T201
    return {**body, "truth": truth}


def test_every_operation_ran(report) -> None:
    assert report["failures"] == {}
    assert set(EXPECTED_CLASSES) <= set(report["operations"])


@pytest.mark.parametrize("operation", sorted(EXPECTED_CLASSES))
def test_every_answer_parses_into_the_sdk_types(report, operation) -> None:
    answer = report["operations"][operation]
    assert answer["type"] == EXPECTED_CLASSES[operation], answer
    assert answer["nones"] == [], answer["nones"]


def test_org_and_a_single_record_with_its_subform_rows(report) -> None:
    operations, truth = report["operations"], report["truth"]
    assert operations["org"]["ids"] == [ORG_ID]
    single = operations["single_record"]
    assert single["item_ids"] == truth["order_items"][single["id"]]
    assert single["item_types"] == ["Record"]


def test_records_with_page_tokens_tags_and_if_modified_since(report) -> None:
    operations, truth = report["operations"], report["truth"]
    leads = truth["leads"]
    assert operations["records"]["pages"] == 3
    assert sorted(operations["records"]["ids"]) == sorted(leads)
    assert "tags.Tag" in operations["records_page_1"]["found"]  # Tag: objects, not a string
    assert "users.MinifiedUser" in operations["records_page_1"]["found"]
    since = datetime.fromisoformat(operations["if_modified_since"]["since"])
    changed = sorted(
        moment for value in leads.values()
        if (moment := datetime.fromisoformat(value).astimezone(UTC)) >= since
    )  # fmt: skip
    got = [datetime.fromisoformat(value) for value in operations["if_modified_since"]["modified"]]
    assert got == changed[:200]
    assert got
    assert operations["not_modified"]["status"] == 304


def test_products_tax_is_the_sdks_tax_objects(report) -> None:
    taxes = report["operations"]["products"]["taxes"]
    assert taxes
    assert {kind for kind, _, _ in taxes} == {"Tax"}
    assert {value for _, value, _ in taxes} <= set(TAXES)
    assert all(isinstance(tax_id, int) for _, _, tax_id in taxes)
    assert "record.Tax" in report["operations"]["products"]["found"]


def test_deleted_count_search_and_coql_match_the_ground_truth(report) -> None:
    operations, truth = report["operations"], report["truth"]
    assert sorted(operations["deleted"]["ids"]) == sorted(truth["deleted"])
    contacts = truth["contacts"]
    assert operations["count"]["count"] == len(contacts)
    matching = [c["id"] for c in contacts if c["Lead_Source"] in SEARCHED_SOURCES]
    assert operations["search"]["ids"] == matching[:50]
    assert set(operations["search"]["sources"]) <= SEARCHED_SOURCES
    assert operations["search_count"]["count"] == len(matching)
    by_time = sorted(contacts, key=lambda c: (datetime.fromisoformat(c["Modified_Time"]), c["id"]))
    assert operations["coql"]["ids"] == [c["id"] for c in by_time[:20]]


def test_bulk_read_and_watch(report) -> None:
    operations, truth = report["operations"], report["truth"]
    assert operations["bulk_status"]["state"] == "COMPLETED"
    assert operations["bulk_status"]["count"] == len(truth["deals"])
    assert operations["bulk_download"]["file_name"].endswith(".zip")
    assert operations["bulk_download"]["size"] > 0
    entries = operations["watch_get"]["entries"]
    assert [entry["resource_name"] for entry in entries] == ["Leads", "Deals"]
    assert {entry["channel_id"] for entry in entries} == {"1000000068001"}
    assert [entry["resource_id"] for entry in entries] == [
        int(truth["modules"]["Leads"]), int(truth["modules"]["Deals"]),
    ]  # fmt: skip
    assert entries[0]["events"] == ["Leads.create", "Leads.edit"]
    assert operations["watch_gone"]["status"] == 400  # NOT_SUBSCRIBED once deleted
