"""CRM incremental reads after mutations: If-Modified-Since, 304/204, deletes, conversion."""

from __future__ import annotations

import itertools

import pytest
import requests
from test_crm_records import crm_session

from zoho_emulator.crm import Crm, record_id
from zoho_emulator.testing import run_emulator


@pytest.fixture
def zoho():
    with run_emulator(
        seed=3, scale=300, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
        crm_daily_credits=0, token_lifetime=10**7,
    ) as running:  # fmt: skip
        yield running, crm_session(running.base_url), Crm.of(running.emulator)


def since_header(crm: Crm) -> dict[str, str]:
    return {"If-Modified-Since": crm.store.dataset.dt(crm.store.now())}


def test_if_modified_since_returns_only_changes_then_304(zoho) -> None:
    running, session, crm = zoho
    url = f"{running.base_url}/crm/v8/Deals"
    params = {"fields": "Deal_Name,Amount,Modified_Time", "sort_by": "Modified_Time",
              "sort_order": "asc"}  # fmt: skip
    headers = since_header(crm)
    nothing = session.get(url, params=params, headers=headers, timeout=5)
    assert nothing.status_code == 304
    running.emulator.clock.advance(1)
    assert nothing.content == b""
    updated = crm.update("Deals", count=3, values={"Amount": 1234.5})
    created = crm.create("Deals", 2)
    changed = session.get(url, params=params, headers=headers, timeout=5)
    assert changed.status_code == 200
    rows = changed.json()["data"]
    assert [row["id"] for row in rows] == [*updated, *created]
    assert all(row["Amount"] == 1234.5 for row in rows[:3])
    assert rows[0]["Modified_Time"] <= rows[-1]["Modified_Time"]


def test_if_modified_since_accepts_an_unencoded_plus_and_rejects_garbage(zoho) -> None:
    running, session, crm = zoho
    stamp = crm.store.dataset.dt(crm.store.now())
    crm.update("Leads", count=1)
    url = f"{running.base_url}/crm/v8/Leads?fields=Last_Name&converted=both"
    raw_plus = session.get(url, headers={"If-Modified-Since": stamp.replace("+", " ")}, timeout=5)
    assert raw_plus.status_code == 200
    assert len(raw_plus.json()["data"]) == 1
    garbage = session.get(url, headers={"If-Modified-Since": "yesterday"}, timeout=5)
    assert garbage.status_code == 400
    assert garbage.json()["code"] == "INVALID_DATA"


def test_empty_module_answers_204(zoho) -> None:
    running, session, crm = zoho
    crm.delete("Products", crm.live_ids("Products"))
    response = session.get(
        f"{running.base_url}/crm/v8/Products", params={"fields": "Product_Name"}, timeout=5
    )
    assert response.status_code == 204
    assert response.content == b""


def test_deleted_records_listed_by_type_and_since(zoho) -> None:
    running, session, crm = zoho
    before = since_header(crm)
    recycled = crm.delete("Contacts", count=2)
    gone = crm.delete("Contacts", count=1, permanent=True)
    url = f"{running.base_url}/crm/v8/Contacts/deleted"
    every = session.get(url, params={"type": "all"}, headers=before, timeout=5).json()
    assert [row["id"] for row in every["data"]] == [*reversed(gone), *reversed(recycled)]
    assert {row["type"] for row in every["data"]} == {"recycle", "permanent"}
    assert every["data"][0]["deleted_time"].endswith("+05:30")
    recycle = session.get(url, params={"type": "recycle"}, timeout=5).json()
    assert {row["id"] for row in recycle["data"]} == set(recycled)
    assert session.get(url, params={"type": "bin"}, timeout=5).json()["code"] == "INVALID_DATA"
    running.emulator.clock.advance(1)
    later = since_header(crm)
    assert session.get(url, headers=later, timeout=5).status_code == 304
    listed = session.get(
        f"{running.base_url}/crm/v8/Contacts", params={"fields": "Last_Name", "ids": recycled[0]},
        timeout=5,
    )  # fmt: skip
    assert listed.status_code == 204
    single = session.get(f"{running.base_url}/crm/v8/Contacts/{recycled[0]}", timeout=5)
    assert single.status_code == 400
    assert crm.deleted("Contacts")[0]["id"] == recycled[0]


def test_converting_a_lead_hides_it_and_creates_contact_and_account(zoho) -> None:
    running, session, crm = zoho
    lead = crm.live_ids("Leads", "false")[0]
    made = crm.convert_lead(lead)
    assert lead in crm.live_ids("Leads", "true")
    assert made["Contacts"] in crm.live_ids("Contacts")
    with pytest.raises(ValueError, match="already converted"):
        crm.convert_lead(lead)
    detail = session.get(f"{running.base_url}/crm/v8/Leads/{lead}", timeout=5).json()["data"][0]
    assert detail["Converted__s"] is True
    assert detail["Converted_Date_Time"].endswith("+05:30")


def test_control_api_over_http(zoho) -> None:
    running, _, crm = zoho
    base = f"{running.base_url}/__emulator/crm"
    made = requests.post(f"{base}/Accounts/create", json={"count": 2}, timeout=5).json()["ids"]
    assert made == [record_id("Accounts", 300), record_id("Accounts", 301)]
    requests.post(f"{base}/Accounts/delete", json={"ids": made[:1]}, timeout=5)
    ids = requests.get(f"{base}/Accounts/ids", timeout=5).json()["ids"]
    assert made[1] in ids
    assert made[0] not in ids
    deleted = requests.get(f"{base}/Accounts/deleted", timeout=5).json()["deleted"]
    assert [entry["id"] for entry in deleted] == made[:1]
    truth = requests.get(f"{base}/Accounts/records", params={"limit": 3}, timeout=5).json()
    assert truth["records"] == list(itertools.islice(crm.records("Accounts"), 3))
    bad = requests.post(f"{base}/Accounts/update", json={"ids": ["123"]}, timeout=5)
    assert bad.status_code == 400
    assert crm.live_ids("Accounts") == ids


def test_count_matches_ground_truth_after_mutations(zoho) -> None:
    running, session, crm = zoho
    crm.delete("Leads", count=3)
    crm.convert_lead(crm.live_ids("Leads", "false")[0])
    crm.create("Leads", 2)
    for mode in ("false", "true", "both"):
        response = session.get(
            f"{running.base_url}/crm/v8/Leads/actions/count", params={"converted": mode},
            timeout=5,
        )  # fmt: skip
        assert response.json() == {"count": len(crm.live_ids("Leads", mode))}
    unknown = session.get(f"{running.base_url}/crm/v8/Nope/actions/count", timeout=5)
    assert unknown.json()["code"] == "INVALID_MODULE"


def test_per_module_counts_before_mutations(zoho) -> None:
    running, session, crm = zoho
    base = f"{running.base_url}/__emulator/crm"
    response = requests.post(f"{base}/counts", json={"Accounts": 5, "Leads": 30}, timeout=5)
    assert response.json()["counts"] == {"Accounts": 5, "Leads": 30}
    assert len(crm.live_ids("Accounts")) == 5
    assert len(crm.live_ids("Leads")) == 30
    assert len(crm.live_ids("Contacts")) == 300
    accounts = set(crm.live_ids("Accounts"))
    linked = {row["Account_Name"]["id"] for row in crm.records("Contacts") if row["Account_Name"]}
    assert linked <= accounts
    listed = session.get(
        f"{running.base_url}/crm/v8/Accounts", params={"fields": "Account_Name"}, timeout=5
    ).json()
    assert len(listed["data"]) == 5
    crm.update("Accounts", count=1)
    refused = requests.post(f"{base}/counts", json={"Deals": 10}, timeout=5)
    assert refused.status_code == 400
    with pytest.raises(RuntimeError):
        crm.set_counts({"Deals": 10})
