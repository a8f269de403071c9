"""Listing order under random mutations matches a brute-force sort of the ground truth.

The store merges generated index ranges with the mutated records by binary search; this
checks every sort, direction, `If-Modified-Since` and `converted` mode against sorting all
records in Python, across page-token walks with small pages.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_crm_records import crm_session

from zoho_emulator.crm import Crm
from zoho_emulator.crm.timefmt import parse_datetime
from zoho_emulator.testing import run_emulator

OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["create", "update", "delete", "convert", "tick"]),
              st.integers(0, 10_000)),
    max_size=12,
)  # fmt: skip


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(
        seed=13, scale=40, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
        crm_daily_credits=0, token_lifetime=10**8,
    ) as running:  # fmt: skip
        yield running, crm_session(running.base_url), Crm.of(running.emulator)


def walk(zoho, params, headers):
    running, session, _ = zoho
    ids, token = [], None
    while True:
        query = params | ({"page_token": token} if token else {})
        response = session.get(
            f"{running.base_url}/crm/v8/Leads", params=query, headers=headers, timeout=10
        )
        if response.status_code in {204, 304}:
            return ids, response.status_code
        body = response.json()
        ids += [row["id"] for row in body["data"]]
        if not body["info"]["more_records"]:
            return ids, 200
        token = body["info"]["next_page_token"]


def apply(crm: Crm, running, operations) -> None:
    for operation, number in operations:
        live = crm.live_ids("Leads", "both")
        if operation == "create":
            crm.create("Leads", 1 + number % 2)
        elif operation == "update" and live:
            crm.update("Leads", [live[number % len(live)]])
        elif operation == "delete" and len(live) > 1:
            crm.delete("Leads", [live[number % len(live)]])
        elif operation == "convert":
            open_leads = crm.live_ids("Leads", "false")
            if open_leads:
                crm.convert_lead(open_leads[number % len(open_leads)])
        elif operation == "tick":
            running.emulator.clock.advance(1 + number % 3)


def expected(crm: Crm, sort_by, descending, since, converted):
    rows = [
        (parse_datetime(row["Modified_Time"]), parse_datetime(row["Created_Time"]), int(row["id"]))
        for row in crm.records("Leads", converted)
    ]
    rows = [row for row in rows if since is None or row[0] >= since]
    position = {"Modified_Time": 0, "Created_Time": 1, "id": 2}[sort_by]
    rows.sort(key=lambda row: (row[position], row[2]), reverse=descending)
    return [str(row[2]) for row in rows]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    operations=OPERATIONS,
    sort_by=st.sampled_from(["id", "Created_Time", "Modified_Time"]),
    descending=st.booleans(),
    converted=st.sampled_from(["false", "true", "both"]),
    since_choice=st.sampled_from(["none", "history", "recent"]),
)
def test_listing_matches_brute_force(  # noqa: PLR0913, PLR0917 - one argument per knob
    zoho, operations, sort_by, descending, converted, since_choice
) -> None:
    running, _, crm = zoho
    apply(crm, running, operations)
    since = {
        "none": None,
        "history": parse_datetime("2024-06-01T00:00:00+05:30"),
        "recent": crm.store.now() - 2,
    }[since_choice]
    headers = {} if since is None else {"If-Modified-Since": crm.store.dataset.dt(since)}
    params = {"fields": "Last_Name", "sort_by": sort_by, "per_page": 7, "converted": converted,
              "sort_order": "desc" if descending else "asc"}  # fmt: skip
    got, status = walk(zoho, params, headers)
    want = expected(crm, sort_by, descending, since, converted)
    assert got == want
    if not want:
        assert status == (304 if since is not None else 204)
