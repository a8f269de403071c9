# ruff: noqa: S608 - COQL queries are built from test values, never from user input
"""COQL: keyset reads on (Modified_Time, id) and Zoho's errors for bad queries."""

from __future__ import annotations

import pytest
from test_crm_records import crm_session

from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(
        seed=21, scale=1_200, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
        crm_daily_credits=0,
    ) as running:  # fmt: skip
        yield running, crm_session(running.base_url), Crm.of(running.emulator)


def coql(zoho, query):
    running, session, _ = zoho
    return session.post(f"{running.base_url}/crm/v8/coql", json={"select_query": query}, timeout=10)


def test_keyset_read_on_modified_time_and_id_covers_every_record_once(zoho) -> None:
    _, _, crm = zoho
    seen: list[str] = []
    last_time, last_id = "2000-01-01T00:00:00+00:00", "0"
    while True:
        response = coql(
            zoho,
            "select Last_Name, Modified_Time from Contacts "
            f"where (Modified_Time > '{last_time}') or "
            f"(Modified_Time = '{last_time}' and id > '{last_id}') "
            "order by Modified_Time asc, id asc limit 0, 500",
        )
        if response.status_code == 204:
            break
        rows = response.json()["data"]
        seen += [row["id"] for row in rows]
        last_time, last_id = rows[-1]["Modified_Time"], rows[-1]["id"]
        if not response.json()["info"]["more_records"]:
            break
    assert len(seen) == len(set(seen)) == 1_200
    assert set(seen) == set(crm.live_ids("Contacts"))


def test_where_bounds_and_limit_offset(zoho) -> None:
    rows = coql(zoho, "select Deal_Name from Deals order by id asc limit 10").json()["data"]
    cut = rows[4]["id"]
    after = coql(
        zoho, f"select Deal_Name from Deals where id > '{cut}' order by id asc limit 2, 3"
    ).json()
    assert [row["id"] for row in after["data"]] == [row["id"] for row in rows[7:10]]
    assert after["info"] == {"count": 3, "more_records": True}
    lookups = coql(zoho, "select Account_Name from Deals limit 1").json()["data"][0]
    assert set(lookups["Account_Name"]) == {"id"}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("select from Leads", "SYNTAX_ERROR"),
        ("select Last_Name Leads where id > '1'", "SYNTAX_ERROR"),
        ("select Last_Name from Leads where Modified_Time >> '1'", "SYNTAX_ERROR"),
        ("select Nope from Leads", "INVALID_QUERY"),
        ("select Last_Name from Spaceships", "INVALID_QUERY"),
        ("select Last_Name from Leads where Modified_Time > 'soon'", "INVALID_QUERY"),
        ("select Last_Name from Leads limit 2001", "LIMIT_EXCEEDED"),
        ("select Last_Name from Leads limit 99999, 2", "LIMIT_EXCEEDED"),
    ],
)
def test_bad_queries_get_zoho_codes(zoho, query, code) -> None:
    response = coql(zoho, query)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_more_than_50_columns_and_missing_query(zoho) -> None:
    columns = ", ".join(["Account_Name"] * 51)
    assert coql(zoho, f"select {columns} from Accounts").json()["code"] == "LIMIT_EXCEEDED"
    running, session, _ = zoho
    missing = session.post(f"{running.base_url}/crm/v8/coql", json={}, timeout=5)
    assert missing.json()["code"] == "REQUIRED_PARAM_MISSING"


def test_credits_follow_the_limit_bands(zoho) -> None:
    running, _, _ = zoho
    stats = running.emulator.stats
    before = stats.crm_credits_used
    coql(zoho, "select Last_Name from Leads limit 200")
    coql(zoho, "select Last_Name from Leads limit 1000")
    coql(zoho, "select Last_Name from Leads limit 2000")
    assert stats.crm_credits_used - before == 1 + 2 + 3


def test_order_by_a_plain_column(zoho) -> None:
    rows = coql(
        zoho, "select Last_Name, Amount from Deals order by Amount desc, Last_Name limit 1, 5"
    )
    assert rows.status_code == 400  # Deals has no Last_Name
    body = coql(zoho, "select Deal_Name, Amount from Deals order by Amount desc limit 1, 5").json()
    amounts = [row["Amount"] for row in body["data"]]
    _, _, crm = zoho
    truth = sorted(
        (r["Amount"] for r in crm.records("Deals") if r["Amount"] is not None), reverse=True
    )
    assert amounts == truth[1:6]


def test_a_column_selected_twice_is_duplicate_data(zoho) -> None:
    response = coql(zoho, "select Last_Name, Email, Last_Name from Leads limit 5")
    assert response.status_code == 400
    assert response.json()["code"] == "DUPLICATE_DATA"
    assert response.json()["details"]["column_name"] == "Last_Name"


def test_three_conditions_need_brackets(zoho) -> None:
    chained = coql(
        zoho, "select Last_Name from Leads where Last_Name is not null and "
        "Email is not null and id > '1' limit 5",
    )  # fmt: skip
    assert chained.status_code == 400
    assert chained.json()["code"] == "SYNTAX_ERROR"
    assert chained.json()["details"]["near"] == "and"
    mixed = coql(
        zoho, "select Last_Name from Leads where Last_Name is not null and "
        "Email is not null or id > '1' limit 5",
    )  # fmt: skip
    assert mixed.json()["code"] == "SYNTAX_ERROR"
    grouped = coql(
        zoho, "select Last_Name from Leads where (Last_Name is not null and "
        "Email is not null) and id > '1' limit 5",
    )  # fmt: skip
    assert grouped.status_code == 200
    assert len(grouped.json()["data"]) == 5


def _nested(conditions: int) -> str:
    where = "id > '1'"
    for _ in range(conditions - 1):
        where = f"({where}) and Last_Name is not null"
    return where


def test_more_than_25_criteria_is_limit_exceeded(zoho) -> None:
    accepted = coql(zoho, f"select Last_Name from Leads where {_nested(25)} limit 2")
    assert accepted.status_code == 200
    refused = coql(zoho, f"select Last_Name from Leads where {_nested(26)} limit 2")
    assert refused.status_code == 400
    assert refused.json()["code"] == "LIMIT_EXCEEDED"
    assert refused.json()["details"] == {"limit": 25, "clause": "where"}
