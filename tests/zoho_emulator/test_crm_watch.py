"""Notification channels and notifications delivered to a real local HTTP receiver."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from test_crm_records import crm_session

from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        del args


@pytest.fixture(scope="module")
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def zoho():
    with run_emulator(
        seed=4, scale=100, requests_per_minute=0, daily_limit=0, concurrency_limit=0,
        crm_daily_credits=0, token_lifetime=10**7,
    ) as running:  # fmt: skip
        crm = Crm.of(running.emulator)
        yield running, crm_session(running.base_url), crm
        crm.channels.close()


def watch(zoho, method, body=None, params=None):
    running, session, _ = zoho
    return session.request(
        method, f"{running.base_url}/crm/v8/actions/watch", json=body, params=params, timeout=5
    )


def channel(receiver, **extra):
    return {
        "channel_id": 1000000068001,
        "events": ["Leads.create", "Leads.edit", "Deals.all"],
        "token": "verify-me",
        "notify_url": f"{receiver}/zoho/notify?source=crm",
    } | extra


def test_notifications_reach_the_receiver(zoho, receiver) -> None:
    running, _, crm = zoho
    Receiver.received.clear()
    enabled = watch(zoho, "POST", {"watch": [channel(receiver)]})
    assert enabled.status_code == 201
    details = enabled.json()["watch"][0]["details"]["events"]
    assert {event["resource_name"] for event in details} == {"Leads", "Deals"}
    created = crm.create("Leads", 2)
    updated = crm.update("Leads", count=1, values={"Lead_Status": "Contacted"})
    crm.delete("Leads", count=1)  # not watched: Leads.delete is not subscribed
    deleted = crm.delete("Deals", count=1)
    crm.create("Contacts", 1)  # not watched
    assert crm.flush_notifications() == 3
    payloads = [payload for _, payload in Receiver.received]
    assert [p["operation"] for p in payloads] == ["insert", "update", "delete"]
    assert payloads[0]["ids"] == created
    assert payloads[1]["ids"] == updated
    assert payloads[1]["affected_fields"] == ["Lead_Status"]
    assert payloads[2]["module"] == "Deals"
    assert payloads[2]["ids"] == deleted
    first = payloads[0]
    assert set(first) == {"server_time", "query_params", "module", "resource_uri", "ids",
                          "affected_fields", "operation", "channel_id", "token"}  # fmt: skip
    assert first["channel_id"] == "1000000068001"
    assert first["token"] == "verify-me"
    assert first["query_params"] == {"source": "crm"}
    assert first["resource_uri"] == f"{running.base_url}/crm/v8/Leads"
    assert first["server_time"] > 1_700_000_000_000
    assert Receiver.received[0][0] == "/zoho/notify?source=crm"


def test_expired_or_disabled_channels_stay_silent(zoho, receiver) -> None:
    running, _, crm = zoho
    Receiver.received.clear()
    watch(zoho, "POST", {"watch": [channel(receiver)]})
    running.emulator.clock.advance(3_601)  # default expiry: one hour
    crm.create("Leads", 1)
    assert crm.flush_notifications() == 0
    assert watch(zoho, "GET").status_code == 204
    watch(zoho, "POST", {"watch": [channel(receiver)]})
    assert watch(zoho, "DELETE", params={"channel_ids": "1000000068001"}).status_code == 200
    crm.create("Leads", 1)
    crm.flush_notifications()
    assert Receiver.received == []


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"channel_id": None}, "MANDATORY_NOT_FOUND"),
        ({"notify_url": None}, "MANDATORY_NOT_FOUND"),
        ({"events": []}, "MANDATORY_NOT_FOUND"),
        ({"token": "x" * 51}, "INVALID_DATA"),
        ({"events": ["Spaceships.create"]}, "INVALID_DATA"),
        ({"events": ["Leads.explode"]}, "INVALID_DATA"),
        ({"channel_expiry": "2020-01-01T00:00:00+05:30"}, "INVALID_DATA"),
        ({"notify_url": "ftp://example.com/x"}, "INVALID_DATA"),
    ],
)
def test_bad_channels_are_refused(zoho, receiver, override, code) -> None:
    response = watch(zoho, "POST", {"watch": [channel(receiver, **override)]})
    assert response.status_code == 400
    assert response.json()["watch"][0]["code"] == code


def test_expiry_beyond_a_week_is_refused_and_a_week_is_accepted(zoho, receiver) -> None:
    _, _, crm = zoho
    week = crm.store.now() + 7 * 86_400
    too_far = watch(
        zoho, "POST", {"watch": [channel(receiver, channel_expiry=crm.store.dataset.dt(week + 60))]}
    )
    assert too_far.json()["watch"][0]["code"] == "INVALID_DATA"
    ok = watch(
        zoho, "POST", {"watch": [channel(receiver, channel_expiry=crm.store.dataset.dt(week - 60))]}
    )
    assert ok.status_code == 201


def test_patch_and_get_of_unknown_channels_are_not_subscribed(zoho, receiver) -> None:
    patched = watch(zoho, "PATCH", {"watch": [{"channel_id": 42, "events": ["Leads.edit"]}]})
    assert patched.status_code == 400
    assert patched.json()["watch"][0]["code"] == "NOT_SUBSCRIBED"
    assert watch(zoho, "GET", params={"channel_id": "42"}).json()["code"] == "NOT_SUBSCRIBED"
    watch(zoho, "POST", {"watch": [channel(receiver)]})
    removed = watch(
        zoho, "PATCH",
        {"watch": [{"channel_id": 1000000068001, "events": ["Deals.all"], "_delete_events": True}]},
    )  # fmt: skip
    assert removed.status_code == 200
    listed = watch(zoho, "GET").json()["watch"][0]
    assert listed["events"] == ["Leads.create", "Leads.edit"]
    assert watch(zoho, "DELETE").json()["code"] == "REQUIRED_PARAM_MISSING"


def test_python_watch_validates_like_the_api(zoho, receiver) -> None:
    _, _, crm = zoho
    Receiver.received.clear()
    crm.watch(7, ["Accounts.edit"], f"{receiver}/py", token="t")
    with pytest.raises(ValueError, match="INVALID_DATA"):
        crm.watch(8, ["Accounts.edit"], f"{receiver}/py", token="x" * 51)
    changed = crm.update("Accounts", count=2)
    assert crm.flush_notifications() == 1
    assert Receiver.received[0][1]["ids"] == changed


def test_bulk_read_callback_is_posted_once_when_the_job_completes(zoho, receiver) -> None:
    running, session, crm = zoho
    Receiver.received.clear()
    crm.bulk.added_seconds = crm.bulk.progress_seconds = 0.05
    created = session.post(
        f"{running.base_url}/crm/bulk/v8/read",
        json={"callback": {"url": f"{receiver}/bulk", "method": "post"},
              "query": {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]}},
        timeout=5,
    ).json()["data"][0]["details"]  # fmt: skip
    deadline = time.monotonic() + 5
    while not crm.channels.deliveries and time.monotonic() < deadline:
        time.sleep(0.05)
    session.get(f"{running.base_url}/crm/bulk/v8/read/{created['id']}", timeout=5)
    crm.flush_notifications()
    bulk = [payload for path, payload in Receiver.received if path == "/bulk"]
    assert len(bulk) == 1
    assert bulk[0]["job_id"] == created["id"]
    assert bulk[0]["state"] == "COMPLETED"
    assert bulk[0]["result"]["count"] == 100


def test_get_lists_one_entry_per_module_as_the_official_sdk_reads_it(zoho, receiver) -> None:
    running, _, crm = zoho
    watch(zoho, "POST", {"watch": [channel(receiver)]})
    listed = watch(zoho, "GET").json()["watch"]
    assert [entry["resource_name"] for entry in listed] == ["Leads", "Deals"]
    leads, deals = listed
    assert leads["events"] == ["Leads.create", "Leads.edit"]
    assert deals["events"] == ["Deals.all"]
    for entry, module in ((leads, "Leads"), (deals, "Deals")):
        assert entry["channel_id"] == "1000000068001"
        assert entry["resource_id"] == crm.module(module).module_id
        assert entry["resource_uri"] == f"{running.base_url}/crm/v8/{module}"
        assert entry["token"] == "verify-me"
    only_deals = watch(zoho, "GET", params={"module": "Deals"}).json()["watch"]
    assert [entry["resource_name"] for entry in only_deals] == ["Deals"]
