"""Full + incremental Books/Inventory syncs give the emulator's ground truth under both profiles.

`default` is the emulator's own reading of Zoho's docs; `docs-only` answers every
behaviour the docs do not promise the other way (docs/assumptions.md), so every finance
fallback of the tap runs. Each profile: a full run, edits through the emulator, an
incremental run; the records, merged by key (newest last), must be exactly what the
emulator holds. The requests of both runs are counted (`-s` prints them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tap_zoho.api.entities import ENTITIES
from tap_zoho.finance.books import STREAMS as BOOKS_STREAMS
from tap_zoho.finance.details import LineItemStream
from tap_zoho.finance.inventory import STREAMS as INVENTORY_STREAMS
from tap_zoho.finance.listing import ListStream
from tap_zoho.testing import SyncResult, emulator_config, run_tap
from tap_zoho.timefmt import utc_instant
from zoho_emulator.answers import PROFILES
from zoho_emulator.testing import RunningEmulator, run_emulator

ORG_IN = "10234695"
ORG_US = "20987654"
ORGS = (ORG_IN, ORG_US)
LIST_STREAMS = [cls for cls in (*BOOKS_STREAMS, *INVENTORY_STREAMS) if issubclass(cls, ListStream)]
LINE_STREAMS = [
    cls for cls in (*BOOKS_STREAMS, *INVENTORY_STREAMS) if issubclass(cls, LineItemStream)
]
EDITS = (  # (organization, entity, product of the list whose oldest row is edited)
    (ORG_IN, "invoices", "books"),
    (ORG_US, "contacts", "books"),
    (ORG_IN, "salesorders", "inventory"),
    (ORG_US, "purchaseorders", "inventory"),
    (ORG_IN, "items", "inventory"),
    (ORG_US, "packages", "inventory"),
)


@dataclass
class Synced:
    profile: str
    zoho: RunningEmulator
    full: SyncResult
    incremental: SyncResult
    edited: dict[tuple[str, str], str]
    requests: dict[str, int]


@pytest.fixture(scope="module", params=["default", "docs-only"])
def synced(request):
    with run_emulator(
        scale=8, requests_per_minute=0, daily_limit=0, answers=PROFILES[request.param]
    ) as zoho:
        config = emulator_config(zoho.base_url)
        zoho.emulator.stats.reset()
        full = run_tap(config)
        full_requests = zoho.emulator.stats.snapshot()["total_requests"]
        finance = zoho.emulator.finance
        edited = {}
        for org, entity, product in EDITS:
            oldest = list(finance.records(org, entity, product=product))[-1]
            record_id = str(oldest[ENTITIES[product][entity].id_field])
            [edited[org, entity]] = finance.update(org, entity, ids=[record_id])
        zoho.emulator.stats.reset()
        incremental = run_tap(config, state=full.state)
        requests = {
            "full": full_requests,
            "incremental": zoho.emulator.stats.snapshot()["total_requests"],
        }
        print(f"\nrequests under {request.param}: {requests}")  # noqa: T201 - the measured figure
        yield Synced(request.param, zoho, full, incremental, edited, requests)


def latest(synced: Synced, stream: str, key: tuple[str, ...]) -> dict[tuple[Any, ...], dict]:
    """Records of both runs merged by key, the incremental run's winning."""
    merged: dict[tuple[Any, ...], dict] = {}
    for result in (synced.full, synced.incremental):
        for record in result.records.get(stream, []):
            merged[tuple(record[name] for name in key)] = record
    return merged


def test_no_stream_or_organization_failed(synced):
    assert not list(synced.full.tap.failures)
    assert not list(synced.incremental.tap.failures)
    fallbacks = synced.full.tap.fallbacks.summary()
    if synced.profile == "default":
        assert fallbacks == {}
    else:  # every finance entry of the register was exercised by the full run
        assert set(fallbacks) >= {
            "list.page-context", "list.filter-all", "detail.key", "row.modified-time",
            "value.datetime-range", "record.declared-fields", "inventory.warehouses",
        }  # fmt: skip
        assert {"list.sort-echo", "list.modified-filter"} <= set(
            synced.incremental.tap.fallbacks.summary()
        )


@pytest.mark.parametrize("stream_class", LIST_STREAMS, ids=lambda cls: cls.name)
def test_list_streams_hold_the_ground_truth(synced, stream_class):
    route = ENTITIES[stream_class.product][stream_class.entity]
    merged = latest(synced, stream_class.name, ("organization_id", route.id_field))
    finance = synced.zoho.emulator.finance
    for org in ORGS:
        truth = {
            str(row[route.id_field]): row
            for row in finance.records(org, stream_class.entity, product=stream_class.product)
        }
        got = {record_id: record for (o, record_id), record in merged.items() if o == org}
        assert set(got) == set(truth)
        for record_id, record in got.items():
            emitted = utc_instant(record.get("last_modified_time"))
            if emitted is not None:  # rows may come without it (`rows-without-modified-time`)
                assert emitted == utc_instant(truth[record_id]["last_modified_time"]), record_id


@pytest.mark.parametrize("stream_class", LINE_STREAMS, ids=lambda cls: cls.name)
def test_line_items_hold_the_ground_truth(synced, stream_class):
    parent = stream_class.parent_stream_type
    route = ENTITIES[parent.product][parent.entity]
    key = ("organization_id", stream_class.parent_id_field, "line_item_id")
    merged = latest(synced, stream_class.name, key)
    finance = synced.zoho.emulator.finance
    for org in ORGS:
        documents = finance.records(org, parent.entity, detail=True, product=parent.product)
        want = {
            (str(document[route.id_field]), line["line_item_id"]): document["last_modified_time"]
            for document in documents
            for line in document["line_items"]
        }
        got = {(doc, line): r for (o, doc, line), r in merged.items() if o == org}
        assert set(got) == set(want)
        for line_key, record in got.items():
            emitted = utc_instant(record["parent_last_modified_time"])
            if emitted is not None:
                assert emitted == utc_instant(want[line_key]), line_key


def test_item_stock_holds_the_ground_truth(synced):
    merged = latest(synced, "inventory_item_stock", ("organization_id", "item_id", "warehouse_id"))
    finance = synced.zoho.emulator.finance
    for org in ORGS:
        want, other_keys = {}, {}
        for item in finance.records(org, "items", detail=True, product="inventory"):
            for kind in ("warehouse", "location"):
                for place in item.get(f"{kind}s") or []:
                    key = item["item_id"], place[f"{kind}_id"]
                    want[key] = place[f"{kind}_stock_on_hand"]
                    other_keys[key] = {
                        name for name in place
                        if not name.startswith(f"{kind}_")  # id, name and the stock figures
                    }  # fmt: skip
        got = {(item, place): r for (o, item, place), r in merged.items() if o == org}
        assert set(got) == set(want)
        assert all(got[key]["stock_on_hand"] == value for key, value in want.items())
        assert all(set(got[key]["zoho_extra"]) == other_keys[key] for key in want)


def test_incremental_run_picks_up_every_edit(synced):
    stream_of = {
        ("invoices", "books"): ["books_invoices", "books_invoice_line_items"],
        ("contacts", "books"): ["books_contacts"],
        ("salesorders", "inventory"): ["inventory_sales_orders", "books_sales_orders"],
        ("purchaseorders", "inventory"): [
            "inventory_purchase_orders", "inventory_purchase_order_line_items",
            "books_purchase_orders",
        ],
        ("items", "inventory"): ["inventory_items", "inventory_item_stock"],
        ("packages", "inventory"): ["inventory_packages"],
    }  # fmt: skip
    for org, entity, product in EDITS:
        record_id = synced.edited[org, entity]
        id_field = ENTITIES[product][entity].id_field
        for stream in stream_of[entity, product]:
            ids = {
                str(r.get(id_field))
                for r in synced.incremental.records.get(stream, [])
                if r["organization_id"] == org
            }
            assert record_id in ids, (stream, record_id)


def test_incremental_run_reads_less_than_the_full_run(synced):
    assert synced.requests["incremental"] < synced.requests["full"]
