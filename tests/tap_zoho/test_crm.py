"""CRM streams against the emulator's CRM over HTTP: discovery, reads, incremental, deletes."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from tap_zoho.crm import crm_api
from tap_zoho.crm.reader import MAX_FIELDS_PER_CALL, OutOfOrderError
from tap_zoho.tap import TapZoho
from tap_zoho.testing import SyncResult, emulator_config, run_tap, select_only
from zoho_emulator.crm import Crm
from zoho_emulator.crm.catalog import ORG_ID
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from collections import Counter

MODULE_STREAMS = {
    "crm_leads", "crm_contacts", "crm_accounts", "crm_deals", "crm_products",
    "crm_sales_orders", "crm_invoices", "crm_warehouse_visits",
}  # fmt: skip
BROKEN = {"Cases": "OAUTH_SCOPE_MISMATCH", "Campaigns": "204", "Quotes": "NO_PERMISSION"}


@pytest.fixture(scope="module")
def crm_zoho():
    """A small CRM (limits off) shared by the tests of this module.

    Every run_tap mints a fresh token (the tap's tests forget cached ones): the mint
    limit is lifted here, the token rules have tests of their own.
    """
    with run_emulator(
        scale=40, requests_per_minute=0, daily_limit=0, token_mint_limit=1_000
    ) as running:
        yield running


def _metadata_calls(routes: Counter[str]) -> int:
    return sum(count for route, count in routes.items() if "settings" in route or "org" in route)


def sync_with_catalog(config: dict[str, object], catalog: dict[str, object]) -> SyncResult:
    """One sync from a saved catalog (no discovery in between), output captured."""
    raw, logs = io.BytesIO(), io.StringIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)  # .buffer for msgspec
    handler = logging.StreamHandler(logs)
    logging.getLogger().addHandler(handler)
    try:
        with contextlib.redirect_stdout(out):
            TapZoho(config=config, catalog=catalog).sync_all()
    finally:
        logging.getLogger().removeHandler(handler)
    lines = raw.getvalue().decode("utf-8").splitlines()
    messages = [json.loads(line) for line in lines if line.strip()]
    return SyncResult(messages, logs.getvalue(), TapZoho(config=config, catalog=catalog))


def crm_config(base_url: str, **overrides: object) -> dict[str, object]:
    """Only CRM; Bulk Read off unless a test turns it on."""
    return emulator_config(base_url, products=["crm"], crm_bulk_threshold=0, **overrides)


def test_discovery_skips_each_broken_module_and_types_every_field(crm_zoho, caplog) -> None:
    caplog.set_level("WARNING")
    credits_before = crm_zoho.emulator.stats.crm_credits_used
    tap = TapZoho(config=crm_config(crm_zoho.base_url))
    catalog = tap.catalog_dict
    # modules + org + fields of 11 api_supported modules (3 refused) + 2 subforms
    assert crm_api(tap.run).credits.total() == 15
    assert crm_zoho.emulator.stats.crm_credits_used - credits_before == 15
    names = {entry["tap_stream_id"] for entry in catalog["streams"]}
    assert names == MODULE_STREAMS | {
        "crm_sales_orders_ordered_items", "crm_invoices_invoiced_items", "crm_deleted_records",
    }  # fmt: skip
    for module, code in BROKEN.items():
        assert any(module in line and code in line for line in caplog.messages), module
    schemas = {entry["tap_stream_id"]: entry["schema"] for entry in catalog["streams"]}
    keys = {entry["tap_stream_id"]: entry["key_properties"] for entry in catalog["streams"]}
    assert keys["crm_accounts"] == ["organization_id", "id"]
    assert keys["crm_deleted_records"] == ["organization_id", "module", "id"]
    assert keys["crm_sales_orders_ordered_items"] == ["organization_id", "parent_id", "id"]
    accounts = schemas["crm_accounts"]["properties"]
    assert accounts["Owner"]["type"] == ["object", "null"]
    assert set(accounts["Owner"]["properties"]) >= {"id", "name"}
    assert accounts["Parent_Account"]["type"] == ["object", "null"]
    assert accounts["Payment_Terms"]["type"] == ["string", "null"]
    assert "enum" not in accounts["Payment_Terms"]
    assert accounts["Preferred_Channels"]["type"] == ["array", "null"]
    assert accounts["Tally_Ledger_Id"]["type"] == ["string", "null"]  # bigint: a string
    assert accounts["Days_Since_Onboarding"]["type"] == ["number", "null"]  # formula → double
    assert accounts["Onboarding_Date"]["format"] == "date"
    assert accounts["Modified_Time"]["format"] == "date-time"
    assert accounts["Key_Account"]["type"] == ["boolean", "null"]
    assert accounts["Segment_Score_10"]["type"] == ["integer", "null"]
    visits = schemas["crm_warehouse_visits"]["properties"]  # a custom module
    assert visits["Products_Checked"]["type"] == ["array", "null"]
    assert visits["Visit_Photos"]["type"] == ["array", "null"]
    assert visits["Visit_Number"]["type"] == ["string", "null"]
    assert schemas["crm_deals"]["properties"]["Expected_Revenue"]["type"] == ["number", "null"]


def test_crm_modules_setting_restricts_discovery(crm_zoho) -> None:
    config = crm_config(crm_zoho.base_url, crm_modules=["Deals", "sales_orders"])
    names = {s["tap_stream_id"] for s in TapZoho(config=config).catalog_dict["streams"]}
    assert names == {
        "crm_deals", "crm_sales_orders", "crm_sales_orders_ordered_items", "crm_deleted_records",
    }  # fmt: skip


def test_wide_module_has_every_field_from_two_batches_and_matches_zoho(crm_zoho) -> None:
    crm = Crm.of(crm_zoho.emulator)
    config = crm_config(crm_zoho.base_url)
    before = crm_zoho.emulator.stats.requests_by_route["crm:/{module}"]
    result = run_tap(config, streams={"crm_accounts"})
    calls = crm_zoho.emulator.stats.requests_by_route["crm:/{module}"] - before
    rows = result.records["crm_accounts"]
    truth = {record["id"]: record for record in crm.records("Accounts")}
    assert len(truth) > 0
    wide = [name for name in next(iter(truth.values())) if name != "id"]
    assert len(wide) > MAX_FIELDS_PER_CALL  # the module needs two field batches
    assert sorted(row["id"] for row in rows) == sorted(truth)
    assert calls == 2 * math.ceil(len(truth) / 200)  # one call per page per batch
    for row in rows:
        assert row["organization_id"] == ORG_ID
        expected = truth[row["id"]]
        for name in wide:
            assert name in row, name
            value = expected[name]
            if name.endswith("_Time") and value:
                value = datetime.fromisoformat(value).astimezone(UTC).isoformat()
            if name == "Days_Since_Onboarding":
                continue  # a formula moving with the clock, asserted below by type only
            assert row[name] == value, (row["id"], name)
        assert row["Modified_Time"].endswith("+00:00")
        assert isinstance(row["Days_Since_Onboarding"], int | float)


def test_records_stay_whole_when_edited_between_field_batches(crm_zoho) -> None:
    """An Account edited after its first batch was read is emitted once, all-new."""
    crm = Crm.of(crm_zoho.emulator)
    victim = crm.live_ids("Accounts")[3]
    config = crm_config(crm_zoho.base_url)
    tap = TapZoho(config=config)
    api = crm_api(tap.run)
    original_get = api.get
    edited: list[str] = []

    def get_then_edit(path: str, **kwargs: object) -> dict[str, object]:
        body = original_get(path, **kwargs)  # type: ignore[arg-type]
        if path == "/Accounts" and not edited:
            edited.extend(crm.update("Accounts", ids=[victim], values={"GSTIN": "EDITED-1"}))
            crm.update("Accounts", ids=[victim], values={"Segment_Score_10": 77})
        return body

    api.get = get_then_edit  # type: ignore[method-assign]
    stream = tap.streams["crm_accounts"]
    stream.selected = True
    records = list(stream.get_records({"organization_id": ORG_ID}))
    ids = [record["id"] for record in records]
    assert len(ids) == len(set(ids)) == len(crm.live_ids("Accounts"))
    (victim_row,) = [record for record in records if record["id"] == victim]
    assert victim_row["GSTIN"] == "EDITED-1"  # batch 1 field, new version
    assert victim_row["Segment_Score_10"] == 77
    assert stream.last_read is not None
    assert stream.last_read.stats.deferred == []


def test_incremental_run_reads_only_changes_and_honours_if_modified_since() -> None:
    with run_emulator(scale=30, requests_per_minute=0, daily_limit=0) as zoho:
        crm = Crm.of(zoho.emulator)
        config = crm_config(zoho.base_url)
        first = run_tap(config, streams={"crm_contacts", "crm_leads"})
        assert len(first.records["crm_contacts"]) == len(crm.live_ids("Contacts"))
        mark = first.state["bookmarks"]["crm_contacts"]["partitions"][0]["replication_key_value"]
        floor = (datetime.fromisoformat(mark) - timedelta(seconds=300)).isoformat()
        overlap = {r["id"] for r in first.records["crm_contacts"] if r["Modified_Time"] >= floor}
        quiet = run_tap(config, state=first.state, streams={"crm_contacts"})
        assert {r["id"] for r in quiet.records.get("crm_contacts", [])} <= overlap
        changed = set(crm.update("Contacts", count=3, values={"Department": "Ops"}))
        changed |= set(crm.create("Contacts", count=2))
        lead = crm.live_ids("Leads", converted="false")[0]
        converted = crm.convert_lead(lead)
        changed.add(converted["Contacts"])
        second = run_tap(config, state=quiet.state, streams={"crm_contacts", "crm_leads"})
        seen = {row["id"] for row in second.records["crm_contacts"]}
        assert changed <= seen
        assert seen - changed <= overlap  # only the documented lookback overlap repeats
        (converted_lead,) = [row for row in second.records["crm_leads"] if row["id"] == lead]
        assert converted_lead["Converted__s"] is True  # converted Leads are not hidden
        bookmark = second.state["bookmarks"]["crm_contacts"]["partitions"][0]
        assert bookmark["replication_key_value"] >= max(
            row["Modified_Time"] for row in second.records["crm_contacts"]
        )


def test_deleted_records_reach_the_output_once_with_their_module() -> None:
    with run_emulator(scale=20, requests_per_minute=0, daily_limit=0) as zoho:
        crm = Crm.of(zoho.emulator)
        config = crm_config(zoho.base_url)
        first = run_tap(config, streams={"crm_deleted_records"})
        assert "crm_deleted_records" not in first.records
        gone = set(crm.delete("Contacts", count=2))
        gone_deals = set(crm.delete("Deals", count=1, permanent=True))
        second = run_tap(config, state=first.state, streams={"crm_deleted_records"})
        rows = second.records["crm_deleted_records"]
        assert {(row["module"], row["id"]) for row in rows} == {
            *(("Contacts", i) for i in gone), *(("Deals", i) for i in gone_deals),
        }  # fmt: skip
        assert all(row["organization_id"] == ORG_ID for row in rows)
        assert all(row["deleted_time"].endswith("+00:00") for row in rows)
        assert {row["type"] for row in rows} == {"recycle", "permanent"}
        more = set(crm.delete("Contacts", count=1))
        third = run_tap(config, state=second.state, streams={"crm_deleted_records"})
        again = {row["id"] for row in third.records["crm_deleted_records"]}
        # Bookmarked per module: only the new deletion and the lookback overlap come back.
        assert more <= again <= more | gone | gone_deals


def test_past_2000_records_with_page_tokens_converted_leads_and_credits(caplog) -> None:
    caplog.set_level("INFO")
    with run_emulator(scale=2_150, requests_per_minute=0, daily_limit=0) as zoho:
        crm = Crm.of(zoho.emulator)
        config = crm_config(zoho.base_url)
        catalog = select_only(TapZoho(config=config).catalog_dict, {"crm_leads"})
        stats = zoho.emulator.stats
        credits_before = stats.crm_credits_used
        metadata_before = _metadata_calls(stats.requests_by_route)
        result = sync_with_catalog(config, catalog)
        spent = stats.crm_credits_used - credits_before
        assert _metadata_calls(stats.requests_by_route) == metadata_before
        ids = [row["id"] for row in result.records["crm_leads"]]
        truth = crm.live_ids("Leads", converted="both")
        assert len(truth) > 2_000
        assert len(ids) == len(set(ids))
        assert sorted(ids) == truth
        hidden = set(truth) - set(crm.live_ids("Leads", converted="false"))
        assert hidden  # converted Leads exist and are in the output
        rows = result.records["crm_leads"]
        assert all(row["Converted__s"] for row in rows if row["id"] in hidden)
        pages = math.ceil(len(truth) / 200)
        assert spent == pages  # one credit per page; the catalog spared the metadata calls
        report = next(line for line in result.logs.splitlines() if "stream=crm_leads" in line)
        assert f"credits={pages}" in report


def test_formula_refresh_rereads_modules_with_formulas_when_due(crm_zoho) -> None:
    config = crm_config(crm_zoho.base_url, crm_formula_refresh_hours=6)
    first = run_tap(config, streams={"crm_accounts", "crm_contacts"})
    total = len(first.records["crm_accounts"])
    not_due = run_tap(config, state=first.state, streams={"crm_accounts"})
    assert len(not_due.records.get("crm_accounts", [])) < total
    state = json.loads(json.dumps(first.state))
    for name in ("crm_accounts", "crm_contacts"):
        partition = state["bookmarks"][name]["partitions"][0]
        partition["crm_formulas_refreshed_at"] = "2020-01-01T00:00:00+00:00"
    due = run_tap(config, state=state, streams={"crm_accounts", "crm_contacts"})
    assert len(due.records["crm_accounts"]) == total  # Days_Since_Onboarding is a formula
    assert len(due.records.get("crm_contacts", [])) < len(first.records["crm_contacts"])
    refreshed = due.state["bookmarks"]["crm_accounts"]["partitions"][0]
    assert refreshed["crm_formulas_refreshed_at"] > "2020-01-01T00:00:00+00:00"
    assert (
        refreshed["replication_key_value"]
        == (first.state["bookmarks"]["crm_accounts"]["partitions"][0]["replication_key_value"])
    )


def test_a_listing_that_goes_back_in_time_stops_the_stream(crm_zoho) -> None:
    """Zoho answering out of order must fail loudly, not skip records silently."""
    tap = TapZoho(config=crm_config(crm_zoho.base_url))
    api = crm_api(tap.run)
    original_get = api.get

    def reversed_pages(path: str, **kwargs: object) -> dict[str, object]:
        body = original_get(path, **kwargs)  # type: ignore[arg-type]
        if path == "/Deals" and isinstance(body.get("data"), list):
            body["data"] = list(reversed(body["data"]))
        return body

    api.get = reversed_pages  # type: ignore[method-assign]
    stream = tap.streams["crm_deals"]
    with pytest.raises(OutOfOrderError, match=r"crm_deals.*went\s+backwards"):
        list(stream.get_records({"organization_id": ORG_ID}))
