"""Bulk Read: job life cycle, ZIP/CSV round trip, pages by page_token, errors."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from test_crm_records import crm_session

from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(
        seed=8, scale=700, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
        crm_daily_credits=0, token_lifetime=10**7,
    ) as running:  # fmt: skip
        crm = Crm.of(running.emulator)
        crm.bulk.page_size = 300
        yield running, crm_session(running.base_url), crm


def create(zoho, query):
    running, session, _ = zoho
    return session.post(
        f"{running.base_url}/crm/bulk/v8/read", json={"query": query, "file_type": "csv"},
        timeout=5,
    )  # fmt: skip


def status(zoho, job_id):
    running, session, _ = zoho
    return session.get(f"{running.base_url}/crm/bulk/v8/read/{job_id}", timeout=5).json()["data"][0]


def download(zoho, job_id):
    running, session, _ = zoho
    response = session.get(f"{running.base_url}/crm/bulk/v8/read/{job_id}/result", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == [f"{job_id}.csv"]
        text = archive.read(f"{job_id}.csv").decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_job_states_and_paged_round_trip(zoho) -> None:
    running, _, crm = zoho
    fields = ["Last_Name", "Email", "Account_Name", "Preferred_Channels", "Modified_Time"]
    created = create(zoho, {"module": {"api_name": "Contacts"}, "fields": fields})
    assert created.status_code == 201
    job = created.json()["data"][0]["details"]
    assert job["state"] == "ADDED"
    assert status(zoho, job["id"]).get("result") is None
    early = running.base_url + f"/crm/bulk/v8/read/{job['id']}/result"
    assert zoho[1].get(early, timeout=5).status_code == 400
    running.emulator.clock.advance(1.5)
    assert status(zoho, job["id"])["state"] == "IN PROGRESS"
    running.emulator.clock.advance(5)
    done = status(zoho, job["id"])
    assert done["state"] == "COMPLETED"
    result = done["result"]
    assert result["count"] == 300
    assert result["more_records"] is True
    rows = download(zoho, job["id"])
    assert list(rows[0]) == ["Id", *fields]
    ids = [row["Id"] for row in rows]
    while result["more_records"]:
        following = create(
            zoho,
            {"module": {"api_name": "Contacts"}, "fields": fields,
             "page_token": result["next_page_token"]},
        ).json()["data"][0]["details"]  # fmt: skip
        running.emulator.clock.advance(10)
        result = status(zoho, following["id"])["result"]
        ids += [row["Id"] for row in download(zoho, following["id"])]
    assert len(ids) == len(set(ids)) == 700
    assert ids == crm.live_ids("Contacts")
    truth = next(crm.records("Contacts"))
    assert rows[0]["Account_Name"] == (truth["Account_Name"] or {}).get("id", "")
    assert rows[0]["Preferred_Channels"] == ";".join(truth["Preferred_Channels"])


def test_criteria_on_modified_time(zoho) -> None:
    running, _, crm = zoho
    stamp = crm.store.dataset.dt(crm.store.now())
    running.emulator.clock.advance(1)
    changed = crm.update("Deals", count=4)
    job = create(
        zoho,
        {"module": {"api_name": "Deals"}, "fields": ["Deal_Name"],
         "criteria": {"field": {"api_name": "Modified_Time"}, "comparator": "greater_than",
                      "value": stamp}},
    ).json()["data"][0]["details"]  # fmt: skip
    running.emulator.clock.advance(10)
    assert status(zoho, job["id"])["result"]["count"] == 4
    assert [row["Id"] for row in download(zoho, job["id"])] == sorted(changed)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({}, "MANDATORY_NOT_FOUND"),
        ({"module": {"api_name": "Spaceships"}}, "INVALID_DATA"),
        ({"module": {"api_name": "Leads"}, "fields": ["Nope"]}, "INVALID_DATA"),
        ({"module": {"api_name": "Sales_Orders"}, "fields": ["Ordered_Items"]}, "INVALID_DATA"),
        ({"module": {"api_name": "Leads"}, "page": 2}, "INVALID_DATA"),
        ({"module": {"api_name": "Leads"}, "criteria": {"comparator": "equal"}}, "INVALID_DATA"),
    ],
)
def test_bad_jobs_are_refused(zoho, query, code) -> None:
    response = create(zoho, query)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_unknown_job_is_resource_not_found(zoho) -> None:
    running, session, _ = zoho
    response = session.get(f"{running.base_url}/crm/bulk/v8/read/123", timeout=5)
    assert response.status_code == 404
    assert response.json()["code"] == "RESOURCE_NOT_FOUND"


def test_job_creation_costs_50_credits(zoho) -> None:
    running, _, _ = zoho
    before = running.emulator.stats.crm_credits_used
    create(zoho, {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]})
    assert running.emulator.stats.crm_credits_used - before == 50
