"""A daily quota smaller than one day's detail calls still finishes the first load.

The emulator's real daily cap (per organization, reset by advancing its clock a day)
stops each run cleanly; each next run resumes from the state the previous one wrote,
after the headers whose details it already emitted. Zoho changes between days (an
already-detailed header edited, a new one created) must still reach the target.
"""

from __future__ import annotations

import math

from tap_zoho.finance.details import UNFINISHED_KEY
from tap_zoho.normalize import utc_datetime
from tap_zoho.testing import emulator_config, run_tap
from tests.tap_zoho.conftest import ORG_IN, ORG_US
from zoho_emulator.testing import run_emulator

ORGS = (ORG_IN, ORG_US)
STREAMS = {"books_purchase_orders", "books_purchase_order_line_items"}
DAILY_CAP = 6
"""Calls per day and organization: the fixed cost of a run (the list call and the
custom-field discovery call) and four detail calls."""
DETAIL_ROUTE = "books:/purchaseorders/{id}"


def _truth(zoho) -> tuple[set[tuple[str, str]], set[tuple[str, str, str, str]]]:
    """Headers (org, id) and lines (org, id, line id, header's modification time)."""
    finance = zoho.emulator.finance
    headers, lines = set(), set()
    for org in ORGS:
        for order in finance.records(org, "purchaseorders", detail=True):
            headers.add((org, order["purchaseorder_id"]))
            lines.update(
                (
                    org,
                    order["purchaseorder_id"],
                    line["line_item_id"],
                    utc_datetime(order["last_modified_time"]),
                )
                for line in order["line_items"]
            )
    return headers, lines


def _unfinished(state) -> dict[str, dict[str, str]]:
    partitions = state["bookmarks"]["books_purchase_order_line_items"].get("partitions", [])
    return {p["context"]["organization_id"]: p.get(UNFINISHED_KEY, {}) for p in partitions}


def test_a_daily_cap_below_one_days_details_converges_with_exact_data():
    with run_emulator(scale=16, requests_per_minute=0, daily_limit=DAILY_CAP) as zoho:
        finance = zoho.emulator.finance
        per_org = {org: len(list(finance.records(org, "purchaseorders"))) for org in ORGS}
        assert min(per_org.values()) > 2 * DAILY_CAP  # one day's quota cannot do one stream
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=list(ORGS))
        state: dict | None = None
        runs, details_fetched = [], 0
        edited: list[str] = []
        created: list[str] = []
        while len(runs) < 12:
            zoho.emulator.stats.reset()
            run = run_tap(config, state=state, streams=STREAMS)
            runs.append(run)
            routes = zoho.emulator.stats.snapshot()["requests_by_route"]
            details_fetched += routes.get(DETAIL_ROUTE, 0)
            assert "Traceback" not in run.logs
            state = run.state
            if "daily API quota" not in run.logs:
                break
            if len(runs) == 2:
                # Zoho changes between days: an order detailed on day 1 is edited (its
                # detail must be fetched again), and a new order appears.
                done = _unfinished(state)[ORG_IN]
                assert done, "the stopped run kept no memory of the details it emitted"
                edited = finance.update(
                    ORG_IN,
                    "purchaseorders",
                    ids=[min(done)],
                    fields={"reference_number": "edited on day 2"},
                )
                created = finance.create(ORG_US, "purchaseorders", count=1)
            zoho.emulator.clock.advance(86_400)
        headers, lines = _truth(zoho)

    total = sum(per_org.values()) + len(created)
    # Each day's quota goes to new work: the details are fetched once each (the edited
    # order once more), so the load finishes in the days the quota allows, not never.
    assert details_fetched == total + len(edited)
    per_day = DAILY_CAP - 2
    assert len(runs) <= math.ceil(max(per_org.values()) / per_day) + 1
    assert "daily API quota" not in runs[-1].logs
    assert _unfinished(state) == {ORG_IN: {}, ORG_US: {}}

    got_headers = {
        (r["organization_id"], r["purchaseorder_id"])
        for run in runs for r in run.records.get("books_purchase_orders", [])
    }  # fmt: skip
    assert got_headers == headers
    emitted = [
        (r["organization_id"], r["purchaseorder_id"], r["line_item_id"],
         r["parent_last_modified_time"])
        for run in runs for r in run.records.get("books_purchase_order_line_items", [])
    ]  # fmt: skip
    # Every current line at its current version arrived; the only repeats are the
    # edited order's lines (its old version, then the new one).
    assert lines <= set(emitted)
    repeats = {line[:3] for line in emitted if emitted.count(line) > 1}
    assert not repeats
    stale = {line for line in emitted if line not in lines}
    assert {line[1] for line in stale} <= set(edited)


def test_after_converging_a_run_with_nothing_changed_costs_one_list_call_per_org():
    with run_emulator(scale=6, requests_per_minute=0, daily_limit=DAILY_CAP) as zoho:
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=list(ORGS))
        state = None
        for _ in range(8):
            run = run_tap(config, state=state, streams=STREAMS)
            state = run.state
            zoho.emulator.clock.advance(86_400)
            if "daily API quota" not in run.logs:
                break
        assert "daily API quota" not in run.logs
        zoho.emulator.stats.reset()
        quiet = run_tap(config, state=state, streams=STREAMS)
        routes = zoho.emulator.stats.snapshot()["requests_by_route"]
    purchase_orders = {route: n for route, n in routes.items() if "/purchaseorders" in route}
    assert purchase_orders == {"books:/purchaseorders": len(ORGS)}
    assert "books_purchase_order_line_items" not in quiet.records
