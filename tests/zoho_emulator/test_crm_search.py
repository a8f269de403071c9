"""`/{module}/search` and counts of a search, checked against the emulator's ground truth."""

from __future__ import annotations

import pytest
from test_crm_records import crm_session

from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator

SCALE = 400


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(
        seed=31, scale=SCALE, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
        crm_daily_credits=0, token_lifetime=10**7,
    ) as running:  # fmt: skip
        yield running, crm_session(running.base_url), Crm.of(running.emulator)


def search(zoho, module, **params):
    running, session, _ = zoho
    return session.get(f"{running.base_url}/crm/v8/{module}/search", params=params, timeout=10)


def every_page(zoho, module, **params) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        response = search(zoho, module, page=page, per_page=50, **params)
        if response.status_code == 204:
            return ids
        body = response.json()
        ids += [row["id"] for row in body["data"]]
        if not body["info"]["more_records"]:
            return ids
        page += 1


def test_criteria_with_groups_match_the_ground_truth(zoho) -> None:
    _, _, crm = zoho
    criteria = (
        "((Lead_Source:equals:Cold Call)or(Lead_Source:equals:Partner))"
        "and(Email_Opt_Out:equals:false)"
    )
    found = every_page(zoho, "Contacts", criteria=criteria)
    truth = [
        record["id"]
        for record in crm.records("Contacts")
        if record["Lead_Source"] in {"Cold Call", "Partner"} and record["Email_Opt_Out"] is False
    ]
    assert found == truth
    assert 0 < len(truth) < SCALE
    count = search(zoho, "Contacts", criteria=criteria).json()
    assert count["info"]["count"] == min(len(truth), 200)
    running, session, _ = zoho
    counted = session.get(
        f"{running.base_url}/crm/v8/Contacts/actions/count", params={"criteria": criteria},
        timeout=10,
    )  # fmt: skip
    assert counted.json() == {"count": len(truth)}


def test_email_phone_and_word(zoho) -> None:
    _, _, crm = zoho
    contacts = list(crm.records("Contacts"))
    target = next(record for record in contacts if record["Email"])
    by_email = search(zoho, "Contacts", email=target["Email"].upper()).json()["data"]
    assert [row["id"] for row in by_email] == [target["id"]]
    by_phone = search(zoho, "Contacts", phone=target["Phone"]).json()["data"]
    assert target["id"] in [row["id"] for row in by_phone]
    word = target["Last_Name"].lower()
    by_word = every_page(zoho, "Contacts", word=word)
    assert target["id"] in by_word
    assert all(
        any(word in str(record.get(name) or "").lower() for name in ("First_Name", "Last_Name",
            "Full_Name", "Email", "Secondary_Email", "Title", "Department", "Description",
            "Mailing_Street", "Mailing_City", "Mailing_State", "Mailing_Country",
            "Mailing_Zip_Code", "Phone", "Mobile", "Lead_Source"))
        for record in contacts if record["id"] in set(by_word)
    )  # fmt: skip


def test_rows_are_list_rows_and_pages_end_with_204(zoho) -> None:
    body = search(zoho, "Sales_Orders", criteria="(Status:equals:Approved)").json()
    row = body["data"][0]
    assert row["Status"] == "Approved"
    assert "Ordered_Items" not in row  # subforms only on a single-record GET
    assert "Tag" in row
    empty = search(zoho, "Sales_Orders", criteria="(Status:equals:Nope)")
    assert empty.status_code == 204


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "EXPECTED_PARAM_MISSING"),
        ({"criteria": "(Nope:equals:1)"}, "INVALID_QUERY"),
        ({"criteria": "(Last_Name:resembles:x)"}, "INVALID_QUERY"),
        ({"criteria": "(Last_Name:equals:x)and"}, "INVALID_QUERY"),
        ({"criteria": "and".join(["(Last_Name:equals:x)"] * 16)}, "CRITERIA_LIMIT_EXCEEDED"),
        ({"email": "a@b.com", "page": 11, "per_page": 200}, "LIMIT_REACHED"),
    ],
)
def test_refusals_carry_the_oas_codes(zoho, params, code) -> None:
    response = search(zoho, "Contacts", **params)
    assert response.status_code == 400
    assert response.json()["code"] == code
    if code == "EXPECTED_PARAM_MISSING":
        assert response.json()["details"] == {"param_names": ["criteria", "email", "phone", "word"]}


def test_search_is_not_read_as_a_record_id(zoho) -> None:
    response = search(zoho, "Leads", word="a")
    assert response.status_code in {200, 204}
    assert response.status_code == 204 or "data" in response.json()


def test_count_forbidden_answer(zoho) -> None:
    running, session, _ = zoho
    url = f"{running.base_url}/crm/v8/Leads/actions/count"
    assert session.get(url, timeout=10).json()["count"] > 0
    running.emulator.answers.set(["crm-count-forbidden"])
    try:
        refused = session.get(url, timeout=10)
    finally:
        running.emulator.answers.set([])
    assert refused.status_code == 403
    assert refused.json()["code"] == "NO_PERMISSION"
