"""The generated data set: deterministic, consistent, and answered without scanning."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest

from zoho_emulator.clock import Clock
from zoho_emulator.finance.catalog import ENTITIES
from zoho_emulator.finance.orgs import ORGANIZATIONS
from zoho_emulator.finance.selection import Selection
from zoho_emulator.finance.store import FinanceData
from zoho_emulator.finance.timeline import Timeline

ORG = "10234695"
SAMPLER_1 = random.Random(1)  # noqa: S311 - sampling test inputs, not security
SAMPLER_2 = random.Random(2)  # noqa: S311


def _first_rows(data: FinanceData) -> list[dict]:
    rows = []
    for organization in ORGANIZATIONS:
        for spec in ENTITIES:
            rows.extend(
                list(data.records(organization.organization_id, spec.name, detail=True))[:3]
            )
    return rows


def test_same_seed_same_data_other_seed_other_data() -> None:
    first = _first_rows(FinanceData(7, 40, Clock()))
    again = _first_rows(FinanceData(7, 40, Clock()))
    other = _first_rows(FinanceData(8, 40, Clock()))
    assert first == again
    assert first != other


def test_documents_reference_live_contacts_and_items_of_their_org() -> None:
    data = FinanceData(3, 50, Clock())
    contacts = {row["contact_id"]: row for row in data.records(ORG, "contacts")}
    items = {row["item_id"] for row in data.records(ORG, "items")}
    for invoice in data.records(ORG, "invoices", detail=True):
        assert contacts[invoice["customer_id"]]["contact_type"] == "customer"
        assert contacts[invoice["customer_id"]]["contact_name"] == invoice["customer_name"]
        assert {line["item_id"] for line in invoice["line_items"]} <= items
        assert (
            round(sum(line["item_total"] for line in invoice["line_items"]), 2)
            == invoice["sub_total"]
        )
    for bill in data.records(ORG, "bills"):
        assert contacts[bill["vendor_id"]]["contact_type"] == "vendor"


@pytest.mark.parametrize("count", [7, 300, 100_000])
def test_created_time_is_strictly_increasing(count) -> None:
    timeline = Timeline(12345, count)
    probe = sorted(SAMPLER_1.sample(range(count), min(count, 500)))
    created = [timeline.created(index) for index in probe]
    assert created == sorted(set(created))
    assert all(timeline.modified(index) >= timeline.created(index) for index in probe)


def test_modified_filter_candidates_are_bounded_at_a_million_records() -> None:
    timeline = Timeline(99, 1_000_000)
    for epoch in (timeline.created(10), timeline.created(500_000), timeline.created(999_990)):
        dense_start, window, late = timeline.modified_candidates(epoch)
        assert len(window) + len(late) < 20_000
        assert timeline.created(dense_start) >= epoch


def test_modified_selection_equals_brute_force_with_mutations() -> None:
    clock = Clock()
    data = FinanceData(5, 400, clock)
    state = data.state(ORG, "invoices")
    updated = data.update(ORG, "invoices", count=5)
    deleted = data.delete(ORG, "invoices", count=3)
    created = data.create(ORG, "invoices", count=2)
    every = {index: data.times(state, index) for index in range(state.next_index)}
    for epoch in (
        0,
        state.context.timeline.created(200),
        state.context.timeline.created(399),
        int(clock.time()) - 5,
    ):
        for predicate in ({}, {"status": frozenset({"paid"})}):
            selection, _ = data.select(
                state,
                product="books",
                predicate=predicate,
                modified_since=epoch,
                sort_column=None,
                descending=True,
            )
            got = selection.all_descending()
            expected = sorted(
                (
                    index
                    for index, times in every.items()
                    if times is not None
                    and times[1] >= epoch
                    and all(
                        (data.row(state, index) or {}).get(k) in v for k, v in predicate.items()
                    )
                ),
                reverse=True,
            )
            assert got == expected
    ids = {
        state.context.record_id(index)
        for index in data.select(
            state,
            product="books",
            predicate={},
            modified_since=int(clock.time()) - 5,
            sort_column=None,
            descending=True,
        )[0].all_descending()
    }
    assert set(updated) | set(created) <= ids
    assert not set(deleted) & ids


def test_selection_pages_match_a_materialised_list() -> None:
    pattern = tuple(SAMPLER_2.choice([0, 1, 2]) for _ in range(100))
    selection = Selection(
        dense_start=37,
        dense_end=1_000,
        pattern=pattern,
        allowed=frozenset({1}),
        excluded=[40, 41, 500, 999],
        explicit=[3, 17, 41, 1_200],
    )
    expected = sorted(
        [i for i in range(37, 1_000) if pattern[i % 100] == 1 and i not in {40, 41, 500, 999}]
        + [3, 17, 41, 1_200],
        reverse=True,
    )
    assert len(selection) == len(expected)
    for offset in (0, 1, 50, len(expected) - 3):
        assert selection.descending(offset, 20) == expected[offset : offset + 20]
    assert selection.ascending(0, 10) == sorted(expected)[:10]


def test_a_million_records_per_entity_need_no_per_record_memory() -> None:
    data = FinanceData(42, 1_000_000, Clock())
    state = data.state(ORG, "invoices")
    selection, _ = data.select(
        state,
        product="books",
        predicate={"status": frozenset({"paid"})},
        modified_since=None,
        sort_column=None,
        descending=True,
    )
    assert 440_000 < len(selection) < 460_000
    page = selection.descending(300_000, 200)
    assert len(page) == 200
    assert all(data.row(state, index)["status"] == "paid" for index in page)
    assert state.overlays == {}


def test_same_seed_same_data_across_processes() -> None:
    """Guards against anything keyed on Python's per-process string hashing."""
    script = (
        "import hashlib, orjson\n"
        "from zoho_emulator.clock import Clock\n"
        "from zoho_emulator.finance.store import FinanceData\n"
        "data = FinanceData(11, 30, Clock())\n"
        "rows = [r for e in ('contacts', 'invoices', 'items', 'packages', 'users')\n"
        "        for r in data.records('20987654', e, detail=True)]\n"
        "print(hashlib.sha256(orjson.dumps(rows)).hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1
