"""Bulk Read loads keep every column Zoho writes, and read `Tag` cells written either way.

A Bulk Read CSV holds the requested fields; a column no metadata declares goes into
`zoho_extra` like any undeclared key (register entry `crm.declared-fields`). How Zoho
writes `Tag` there is not documented (`crm.bulk-tag-cell`): `;`-joined names by the
emulator's default, the JSON array REST sends under `crm-bulk-tag-json`. The REST side
of both entries is covered with the full and incremental syncs of `test_crm_answers.py`.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft7Validator

from tap_zoho.crm.extra import UndeclaredKeys
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.crm import Crm
from zoho_emulator.crm.system_keys import UNDECLARED_FIELD
from zoho_emulator.testing import run_emulator

LEADS = 60


def _first_per_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Bulk rows come first; the incremental REST read that follows may repeat a few."""
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row["id"], row)
    return first


@pytest.mark.parametrize("other", [False, True], ids=["default", "other-answers"])
def test_bulk_read_keeps_undeclared_columns_and_reads_tag_cells_either_way(other: bool) -> None:  # noqa: FBT001
    answers = frozenset({"crm-undeclared-fields", "crm-bulk-tag-json"}) if other else frozenset()
    with run_emulator(
        scale=20, requests_per_minute=0, daily_limit=0, token_mint_limit=1_000, answers=answers
    ) as zoho:
        crm = Crm.of(zoho.emulator)
        crm.set_counts({"Leads": LEADS})
        config = emulator_config(zoho.base_url, products=["crm"], crm_bulk_threshold=10)
        result = run_tap(config, streams={"crm_leads"})
        jobs = zoho.emulator.stats.requests_by_route["crm:/bulk/read"]
        truth = {record["id"]: record for record in crm.records("Leads")}
    assert jobs == 1
    rows = _first_per_id(result.records["crm_leads"])
    assert sorted(rows) == sorted(truth)
    tagged = [record_id for record_id, record in truth.items() if record["Tag"]]
    assert tagged
    for record_id, record in truth.items():
        row = rows[record_id]
        if other:  # the JSON cell is the array REST sends, ids and colours included
            assert row["Tag"] == (record["Tag"] or None), record_id
            assert row["zoho_extra"] == {UNDECLARED_FIELD: "Available"}, record_id
        else:  # names only; ids and colours come with the record's next change
            names = [{"name": tag["name"]} for tag in record["Tag"]]
            assert row["Tag"] == (names or None), record_id
            assert "zoho_extra" not in row  # a CSV has no `$` keys: nothing undeclared
    fallbacks = result.tap.fallbacks
    assert fallbacks.count("crm.bulk-tag-cell") == (len(tagged) if other else 0)
    assert fallbacks.count("crm.declared-fields") == (len(truth) if other else 0)
    assert ("crm.bulk-tag-cell" in result.logs) is other
    assert (f"keys the field metadata does not declare: {UNDECLARED_FIELD}" in result.logs) is other


def test_undeclared_keys_are_moved_not_dropped_and_only_unexpected_ones_reported() -> None:
    reported: list[str] = []
    split = UndeclaredKeys(
        "crm_sales_orders_ordered_items", ["id", "Quantity", "zoho_extra"],
        expected=frozenset({"Parent_Id"}), report=reported.append,
    )  # fmt: skip
    declared = {"id": "1", "Quantity": 2.0}
    assert split(dict(declared)) == declared  # nothing to move: the same keys
    system = {**declared, "$editable": True, "Parent_Id": {"id": "9"}}
    assert split(system) == {
        **declared,
        "zoho_extra": {"$editable": True, "Parent_Id": {"id": "9"}},
    }
    assert reported == []  # Zoho's `$` keys and a subform row's own keys are expected
    keys = [f"New_Field_{number:02}" for number in range(12)]
    surprise = {**declared, **dict.fromkeys(keys, "x")}
    assert split(surprise)["zoho_extra"] == dict.fromkeys(keys, "x")
    assert reported == [
        "keys the field metadata does not declare: " + ", ".join(keys[:10]) + " and 2 more"
    ]


def test_a_catalog_saved_before_zoho_extra_still_announces_it() -> None:
    """Records always carry `zoho_extra`; the SCHEMA message must declare it for targets."""
    with run_emulator(
        scale=5, requests_per_minute=0, daily_limit=0, token_mint_limit=1_000
    ) as zoho:
        config = emulator_config(zoho.base_url, products=["crm"])
        catalog = copy.deepcopy(TapZoho(config=config).catalog_dict)
        kept = ("zoho_extra", "zoho_unparsed")
        for entry in catalog["streams"]:
            for name in kept:
                entry["schema"]["properties"].pop(name)
            entry["metadata"] = [m for m in entry["metadata"] if m["breadcrumb"][-1:] != [kept[0]]]
            for item in entry["metadata"]:
                if item["breadcrumb"] == []:
                    item["metadata"]["selected"] = entry["tap_stream_id"] == "crm_leads"
        result = run_tap(config, catalog=catalog)
    schema = next(
        m["schema"] for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == "crm_leads"
    )
    assert schema["properties"]["zoho_extra"]["type"] == ["object", "null"]
    validator = Draft7Validator(schema)
    rows = result.records["crm_leads"]
    assert rows
    assert all(row["zoho_extra"]["$approval_state"] == "approved" for row in rows)
    assert all(not list(validator.iter_errors(row)) for row in rows)
