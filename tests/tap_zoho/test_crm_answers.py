"""CRM under both readings of Zoho's docs: the emulator's default and the `docs-only` profile.

Each register entry of `tap_zoho/assumptions/crm.py` is answered the other way under
`docs-only` (a `json_type` the tap does not know, a refused record count, an expired page
token answered INVALID_DATA, a key no metadata declares, `If-Modified-Since` read as
strictly after). A full and an incremental sync must still give exactly the emulator's
ground truth, every key Zoho sent included (undeclared ones in `zoho_extra`), every
record must fit the SCHEMA the tap announced (what any Singer target validates), and
each fallback must be reported, never silent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from jsonschema import Draft7Validator

from tap_zoho.assumptions import REGISTER, FallbackLedger
from tap_zoho.crm import crm_api
from tap_zoho.crm.reader import ModuleReader
from tap_zoho.crm.schema import module_from_schema, property_schema
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.answers import PROFILES
from zoho_emulator.crm import Crm
from zoho_emulator.crm.catalog import ORG_ID, SUBFORM_FIELDS
from zoho_emulator.crm.system_keys import SYSTEM_KEYS, UNDECLARED_FIELD
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from tap_zoho.testing import SyncResult
    from zoho_emulator.testing import RunningEmulator

MODULES = ("Leads", "Contacts", "Accounts", "Deals", "Products", "Sales_Orders", "Invoices",
           "Warehouse_Visits")  # fmt: skip
CLOCK_FORMULAS = {"Days_Since_Onboarding"}
"""Moves with the clock between the sync and the check (asserted by type elsewhere)."""
CRM_FALLBACKS = (
    "crm.field-json-type", "crm.record-count", "crm.page-token-expiry", "crm.declared-fields",
    "crm.modified-since-inclusive", "crm.bulk-tag-cell",
)  # fmt: skip


def _stream(module: str) -> str:
    return "crm_" + module.lower()


def _utc(value: Any, data_type: str) -> Any:
    """Zoho's org-zone datetimes as the tap emits them (UTC, `+00:00`)."""
    if data_type == "datetime" and value is not None:
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    return value


def _crm_requests(zoho: RunningEmulator) -> int:
    routes = zoho.emulator.stats.requests_by_route
    return sum(count for route, count in routes.items() if route.startswith("crm"))


class Replica:
    """What a target holds after applying the tap's output: rows by key, deletions applied."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}
        self.subform_rows: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.deleted: dict[tuple[str, str], dict[str, Any]] = {}

    def apply(self, result: SyncResult) -> None:
        for stream, records in result.records.items():
            if stream == "crm_deleted_records":
                for entry in records:
                    self.rows.get(_stream(entry["module"]), {}).pop(entry["id"], None)
                    self.deleted[entry["module"], entry["id"]] = entry
            elif "parent_id" in (records[0] if records else {}):
                table = self.subform_rows.setdefault(stream, {})
                table.update({(row["parent_id"], row["id"]): row for row in records})
            else:
                self.rows.setdefault(stream, {}).update({row["id"]: row for row in records})


def _assert_equals_ground_truth(crm: Crm, replica: Replica, *, undeclared: bool) -> None:
    """Every declared field equal to Zoho's, every other key Zoho sent in `zoho_extra`."""
    marker = {UNDECLARED_FIELD: "Available"} if undeclared else {}
    for module in MODULES:
        spec = crm.store.modules[module].spec
        compared = [
            field for field in spec.fields
            if not field.list_hidden and field.api_name not in CLOCK_FORMULAS
        ]  # fmt: skip
        truth = {record["id"]: record for record in crm.records(module)}
        rows = replica.rows.get(_stream(module), {})
        assert sorted(rows) == sorted(truth), module
        for record_id, record in truth.items():
            row = rows[record_id]
            assert row["organization_id"] == ORG_ID
            for field in compared:
                expected = _utc(record[field.api_name], field.data_type)
                assert row.get(field.api_name) == expected, (module, record_id, field.api_name)
            assert row["zoho_extra"] == {**SYSTEM_KEYS, **marker}, (module, record_id)
    for module, subform in (("Sales_Orders", "Ordered_Items"), ("Invoices", "Invoiced_Items")):
        expected = {
            (record["id"], item["id"]): item
            for record in crm.records(module) for item in record[subform]
        }  # fmt: skip
        got = replica.subform_rows[f"{_stream(module)}_{subform.lower()}"]
        live_parents = {parent for parent, _ in expected}
        got = {key: row for key, row in got.items() if key[0] in live_parents}
        assert sorted(got) == sorted(expected), subform
        declared = {field.api_name for field in SUBFORM_FIELDS[subform]} | {"id"}
        for key, item in expected.items():
            for field in SUBFORM_FIELDS[subform]:  # what the subform's metadata declares
                assert got[key][field.api_name] == item[field.api_name], (subform, key, field)
            # Parent_Id, Created_Time, Modified_Time: as Zoho sent them, not dropped
            system = {name: value for name, value in item.items() if name not in declared}
            assert system.keys() >= {"Parent_Id", "Created_Time", "Modified_Time"}
            assert got[key]["zoho_extra"] == {**system, **marker}, (subform, key)
    for module in MODULES:
        for entry in crm.deleted(module):
            row = replica.deleted[module, entry["id"]]
            assert row["created_by"] == entry["created_by"]  # Zoho's sixth key, declared
            extra = {UNDECLARED_FIELD: "Trash"} if undeclared else {}
            assert (row.get("zoho_extra") or {}) == extra, (module, entry["id"])


def _assert_fits_its_schema(result: SyncResult) -> None:
    """What any Singer target checks: each RECORD valid against its stream's SCHEMA."""
    schemas = {
        message["stream"]: message["schema"]
        for message in result.messages
        if message["type"] == "SCHEMA"
    }
    for stream, records in result.records.items():
        assert schemas[stream]["properties"]["zoho_extra"]["type"] == ["object", "null"]
        validator = Draft7Validator(schemas[stream], format_checker=Draft7Validator.FORMAT_CHECKER)
        for record in records:
            errors = [error.message for error in validator.iter_errors(record)]
            assert not errors, (stream, record.get("id"), errors[:3])


def _sync(zoho: RunningEmulator, replica: Replica, state: dict[str, Any] | None) -> SyncResult:
    config = emulator_config(zoho.base_url, products=["crm"])  # crm_bulk_threshold: default
    result = run_tap(config, state=state)
    replica.apply(result)
    return result


def _mutate(crm: Crm) -> None:
    crm.update("Contacts", count=3, values={"Department": "Ops"})
    crm.update("Accounts", count=2, values={"GSTIN": "29ABCDE1234F1Z5"})
    crm.create("Deals", count=2)
    crm.create("Products", count=2)
    crm.delete("Leads", count=2)
    crm.delete("Sales_Orders", count=1, permanent=True)
    crm.convert_lead(crm.live_ids("Leads", converted="false")[0])


@pytest.mark.parametrize("profile", ["default", "docs-only"])
def test_full_and_incremental_syncs_give_the_ground_truth(profile: str) -> None:
    answers = PROFILES[profile]
    with run_emulator(
        scale=30, requests_per_minute=0, daily_limit=0, token_mint_limit=1_000, answers=answers
    ) as zoho:
        crm = Crm.of(zoho.emulator)
        crm.set_counts({"Leads": 450})  # three pages: page tokens in use
        replica = Replica()
        requests_before, credits_before = _crm_requests(zoho), zoho.emulator.stats.crm_credits_used
        first = _sync(zoho, replica, None)
        undeclared = profile == "docs-only"
        _assert_equals_ground_truth(crm, replica, undeclared=undeclared)
        _mutate(crm)
        second = _sync(zoho, replica, first.state)
        _assert_equals_ground_truth(crm, replica, undeclared=undeclared)
        requests = _crm_requests(zoho) - requests_before
        spent = zoho.emulator.stats.crm_credits_used - credits_before
    fell_back = {
        entry for result in (first, second) for entry in result.tap.fallbacks.summary()
        if entry in CRM_FALLBACKS
    }  # fmt: skip
    for result in (first, second):
        _assert_fits_its_schema(result)
    if profile == "default":
        assert fell_back == set()
    else:
        # Bulk Read never runs under docs-only (the count is refused): no crm.bulk-tag-cell.
        assert fell_back == {"crm.field-json-type", "crm.record-count", "crm.declared-fields"}
        undeclared_uses = sum(
            result.tap.fallbacks.count("crm.declared-fields") for result in (first, second)
        )
        assert undeclared_uses == sum(  # one use per record that carried the key
            1 for result in (first, second) for rows in result.records.values() for _ in rows
        )
        assert first.tap.fallbacks.count("crm.record-count") == len(MODULES)
        assert "crm.record-count" in first.logs
        # One per module (Tag's json_type), reported when discovery builds the streams.
        assert first.tap.fallbacks.count("crm.field-json-type") == len(MODULES)
        tagged = [row for row in replica.rows["crm_leads"].values() if row["Tag"]]
        assert tagged
        assert all(isinstance(tag, dict) for row in tagged for tag in row["Tag"])
    # Printed for the report (pytest -s): what both runs cost under this profile.
    print(f"crm answers {profile}: {requests} CRM requests, {spent} credits")  # noqa: T201


def test_schema_takes_the_shape_from_json_type() -> None:
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=0) as zoho:
        catalog = TapZoho(config=emulator_config(zoho.base_url, products=["crm"])).catalog_dict
    schemas = {
        entry["tap_stream_id"]: entry["schema"]["properties"] for entry in catalog["streams"]
    }
    tag = schemas["crm_leads"]["Tag"]
    assert tag["type"] == ["array", "null"]
    assert "json_type jsonarray" in tag["description"]
    tax = schemas["crm_products"]["Tax"]
    assert tax["type"] == ["array", "null"]
    assert tax["items"]["type"] == ["string", "object"]
    assert schemas["crm_leads"]["Preferred_Channels"]["type"] == ["array", "null"]
    assert schemas["crm_accounts"]["Owner"]["properties"]["id"] == {"type": ["string", "null"]}
    assert schemas["crm_accounts"]["Onboarding_Date"]["format"] == "date"


def test_an_expired_page_token_restarts_the_listing_under_either_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for answers, warned in (
        (frozenset(), False),
        (frozenset({"crm-page-token-invalid-data"}), True),
    ):
        with run_emulator(
            scale=5, requests_per_minute=0, daily_limit=0, token_mint_limit=1_000,
            answers=answers,
        ) as zoho:  # fmt: skip
            crm = Crm.of(zoho.emulator)
            crm.set_counts({"Contacts": 650})
            tap = TapZoho(config=emulator_config(zoho.base_url, products=["crm"]))
            stream = tap.streams["crm_contacts"]
            ledger = FallbackLedger(REGISTER)
            reader = ModuleReader(
                crm_api(tap.run), stream.module, stream=stream.name, fields=stream.module.fields,
                replication_key="Modified_Time", fallbacks=ledger,
            )  # fmt: skip
            caplog.clear()
            ids: list[str] = []
            for row in reader.read(None):
                ids.append(row["id"])
                if len(ids) == 200:  # page 1 read; its token dies before page 2 is asked for
                    zoho.emulator.clock.advance(86_401)
            truth = crm.live_ids("Contacts")
        assert reader.stats.expired_tokens == 1
        assert set(ids) == set(truth)
        assert len(ids) - len(truth) <= 1  # the restart repeats the boundary record only
        assert (ledger.count("crm.page-token-expiry") == 1) is warned
        assert any("crm.page-token-expiry" in line for line in caplog.messages) is warned


def test_count_forbidden_degrades_to_rest_and_keeps_every_record() -> None:
    with run_emulator(
        scale=5, requests_per_minute=0, daily_limit=0, token_mint_limit=1_000,
        answers=frozenset({"crm-count-forbidden"}),
    ) as zoho:  # fmt: skip
        crm = Crm.of(zoho.emulator)
        crm.set_counts({"Deals": 250})
        config = emulator_config(zoho.base_url, products=["crm"], crm_bulk_threshold=10)
        result = run_tap(config, streams={"crm_deals"})
        truth = crm.live_ids("Deals")
        counts = zoho.emulator.stats.requests_by_route["crm:/{module}/actions/count"]
    assert sorted(row["id"] for row in result.records["crm_deals"]) == sorted(truth)
    assert counts == 1
    assert result.tap.fallbacks.summary()["crm.record-count"] == {"crm_deals": 1}
    assert "HTTP 403, Zoho code NO_PERMISSION" in result.logs
    assert json.dumps(result.state).count("crm_bulk") == 0  # no Bulk Read job was started


def test_a_catalog_keeps_json_type_and_an_older_one_falls_back_to_data_type() -> None:
    current = {
        "description": f"Zoho CRM module Leads (organization {ORG_ID})",
        "properties": {
            "Tag": {"description": "Zoho CRM field, data_type text, json_type jsonarray"},
            "Score": {"description": "Zoho CRM field, data_type formula, returns double, "
                      "json_type double"},
            "Odd": {"description": "Zoho CRM field, data_type text, json_type taglist"},
        },
    }  # fmt: skip
    module = module_from_schema(current)
    assert module is not None
    fields = module.by_name
    assert property_schema(fields["Tag"])["type"] == ["array", "null"]
    assert property_schema(fields["Score"])["type"] == ["number", "null"]
    assert "type" not in property_schema(fields["Odd"])  # unknown json_type: any value
    assert not fields["Odd"].json_type_known
    older = {
        "description": f"Zoho CRM module Leads (organization {ORG_ID})",
        "properties": {"Tag": {"description": "Zoho CRM field, data_type text"}},
    }
    old_module = module_from_schema(older)
    assert old_module is not None
    assert property_schema(old_module.by_name["Tag"])["type"] == ["string", "null"]
