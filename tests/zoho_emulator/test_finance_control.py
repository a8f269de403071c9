"""Control API (HTTP and Python): mutations, faults, limits, statistics, webhooks."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
import requests
from typing_extensions import override

from tests.zoho_emulator.conftest import ORG_IN, ORG_US, session_for
from zoho_emulator.faults import FaultKind, FaultRule
from zoho_emulator.testing import run_emulator
from zoho_emulator.webhook_signing import SIGNATURE_HEADER, sign, verify

UNLIMITED = {"requests_per_minute": 0, "daily_limit": 0, "concurrency_limit": 0}


@pytest.fixture
def zoho():
    with run_emulator(scale=40, **UNLIMITED) as running:
        yield running, session_for(running.base_url)


def _invoices(zoho, **params):
    running, session = zoho
    return session.get(
        f"{running.base_url}/books/v3/invoices",
        params={"organization_id": ORG_IN, **params},
        timeout=10,
    )


def test_update_over_http_bumps_modification_and_shows_in_incremental_reads(zoho) -> None:
    running, session = zoho
    newest = max(row["last_modified_time"] for row in _invoices(zoho).json()["invoices"])
    old_invoice = _invoices(zoho).json()["invoices"][-1]  # the oldest document
    response = session.post(
        f"{running.base_url}/__emulator/finance/{ORG_IN}/invoices/update",
        json={"ids": [old_invoice["invoice_id"]], "fields": {"status": "paid", "balance": 0.0}},
        timeout=5,
    )
    assert response.json() == {"ids": [old_invoice["invoice_id"]]}
    changed = _invoices(zoho, last_modified_time=newest).json()
    ids = [row["invoice_id"] for row in changed["invoices"]]
    assert old_invoice["invoice_id"] in ids
    detail = session.get(
        f"{running.base_url}/books/v3/invoices/{old_invoice['invoice_id']}",
        params={"organization_id": ORG_IN},
        timeout=5,
    ).json()["invoice"]
    assert detail["status"] == "paid"
    assert detail["last_modified_time"][:4] >= "2026"
    assert detail["created_time"] == old_invoice["created_time"]


def test_create_and_delete_change_lists_details_and_ground_truth(zoho) -> None:
    running, session = zoho
    finance = running.emulator.finance
    before = finance.count(ORG_US, "contacts")
    created = finance.create(ORG_US, "contacts", 2)
    deleted = session.post(
        f"{running.base_url}/__emulator/finance/{ORG_US}/contacts/delete",
        json={"count": 3},
        timeout=5,
    ).json()["ids"]
    assert finance.count(ORG_US, "contacts") == before - 1
    truth = {row["contact_id"] for row in finance.records(ORG_US, "contacts")}
    assert set(created) <= truth
    assert not set(deleted) & truth
    listed = session.get(
        f"{running.base_url}/inventory/v1/contacts",
        timeout=5,
        params={"organization_id": ORG_US, "filter_by": "Status.All"},
    ).json()["contacts"]
    assert {row["contact_id"] for row in listed} == truth
    assert [row["contact_id"] for row in listed][:2] == list(reversed(created))
    gone = session.get(
        f"{running.base_url}/books/v3/contacts/{deleted[0]}",
        params={"organization_id": ORG_US},
        timeout=5,
    )
    assert gone.json()["code"] == 1002
    count = session.get(f"{running.base_url}/__emulator/finance/{ORG_US}/contacts/count", timeout=5)
    assert count.json() == {"count": before - 1}


def test_unlisted_records_leave_every_list_but_still_answer_their_detail(zoho) -> None:
    """A listing that misses a live record (`list_without`), until it lists it again."""
    running, session = zoho
    base = running.base_url

    def listed() -> set[str]:
        ids: set[str] = set()
        for page in (1, 2, 3):
            body = session.get(f"{base}/books/v3/invoices", timeout=5, params={
                "organization_id": ORG_IN, "page": page, "per_page": 200}).json()
            ids |= {row["invoice_id"] for row in body["invoices"]}
            if not body["page_context"]["has_more_page"]:
                break
        return ids

    truth = {row["invoice_id"] for row in running.emulator.finance.records(ORG_IN, "invoices")}
    assert listed() == truth
    hidden = sorted(truth)[:2]
    answer = session.post(f"{base}/__emulator/finance/{ORG_IN}/invoices/unlist",
                          json={"ids": hidden}, timeout=5)
    assert answer.json() == {"ids": hidden}
    assert listed() == truth - set(hidden)
    detail = session.get(f"{base}/books/v3/invoices/{hidden[0]}",
                         params={"organization_id": ORG_IN}, timeout=5).json()
    assert detail["invoice"]["invoice_id"] == hidden[0]
    running.emulator.finance.list_without(ORG_IN, "invoices", [])
    assert listed() == truth


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_faults(zoho, status) -> None:
    running, session = zoho
    session.post(
        f"{running.base_url}/__emulator/faults",
        timeout=5,
        json={"kind": "server_error", "route": "books:/invoices", "status": status, "count": 1},
    )
    failed = _invoices(zoho)
    assert failed.status_code == status
    assert failed.json()["code"] == 1000
    assert _invoices(zoho).status_code == 200


def test_scheduled_fault_hits_only_the_chosen_requests(zoho) -> None:
    running, _ = zoho
    running.emulator.faults.add(
        FaultRule(FaultKind.SERVER_ERROR, "books:/invoices", after=2, remaining=2, status=503)
    )
    codes = [_invoices(zoho).status_code for _ in range(6)]
    assert codes == [200, 200, 503, 503, 200, 200]


def test_status_change_moves_a_record_between_status_filters(zoho) -> None:
    running, _ = zoho
    draft = _invoices(zoho, filter_by="Status.Draft").json()["invoices"]
    assert draft
    changed = draft[0]["invoice_id"]
    running.emulator.finance.update(ORG_IN, "invoices", ids=[changed], fields={"status": "void"})
    assert changed not in {
        row["invoice_id"] for row in _invoices(zoho, filter_by="Status.Draft").json()["invoices"]
    }
    assert changed in {
        row["invoice_id"] for row in _invoices(zoho, filter_by="Status.Void").json()["invoices"]
    }


def test_body_faults_and_connection_reset(zoho) -> None:
    running, _ = zoho
    faults = running.emulator.faults
    faults.add(FaultRule(FaultKind.TRUNCATED_JSON, "books:/invoices", remaining=1))
    with pytest.raises(json.JSONDecodeError):
        json.loads(_invoices(zoho).text)
    faults.add(FaultRule(FaultKind.MALFORMED_JSON, "books:/invoices", remaining=1))
    assert _invoices(zoho).text.startswith("<html>")
    faults.add(FaultRule(FaultKind.CONNECTION_RESET, "books:/invoices", remaining=1))
    with pytest.raises(requests.ConnectionError):
        _invoices(zoho)
    faults.add(FaultRule(FaultKind.SLOW, "books:/invoices", remaining=1, delay_seconds=0.3))
    started = time.monotonic()
    assert _invoices(zoho).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_probability_faults_are_seeded_and_storms_are_429_code_44(zoho) -> None:
    running, session = zoho
    running.emulator.faults.add(
        FaultRule(FaultKind.RATE_LIMIT_STORM, "books:/invoices", probability=0.5)
    )
    codes = [_invoices(zoho).status_code for _ in range(40)]
    assert 5 < codes.count(429) < 35
    storm = next(
        response for response in (_invoices(zoho) for _ in range(20)) if response.status_code == 429
    )
    assert storm.json()["code"] == 44
    session.delete(f"{running.base_url}/__emulator/faults", timeout=5)
    assert all(_invoices(zoho).status_code == 200 for _ in range(10))


def test_token_revocation_fault(zoho) -> None:
    running, session = zoho
    assert _invoices(zoho).status_code == 200
    session.post(f"{running.base_url}/__emulator/tokens/revoke", timeout=5)
    response = _invoices(zoho)
    assert (response.status_code, response.json()["code"]) == (401, 57)


def test_revoke_tokens_fault_rule_kills_the_token_mid_run(zoho) -> None:
    running, session = zoho
    session.post(
        f"{running.base_url}/__emulator/faults",
        timeout=5,
        json={"kind": "revoke_tokens", "route": "books:auth", "after": 2, "count": 1},
    )
    codes = [_invoices(zoho).status_code for _ in range(4)]
    assert codes == [200, 200, 401, 401]


def test_stats_count_routes_orgs_and_reset(zoho) -> None:
    running, session = zoho
    session.post(f"{running.base_url}/__emulator/stats/reset", timeout=5)
    _invoices(zoho)
    _invoices(zoho)
    session.get(
        f"{running.base_url}/inventory/v1/items", params={"organization_id": ORG_US}, timeout=5
    )
    stats = session.get(f"{running.base_url}/__emulator/stats", timeout=5).json()
    assert stats["requests_by_route"] == {"books:/invoices": 2, "inventory:/items": 1}
    assert stats["requests_by_org"] == {f"books:{ORG_IN}": 2, f"inventory:{ORG_US}": 1}


def test_minute_limit_is_per_product_and_org_429_code_44_with_headers() -> None:
    with run_emulator(
        scale=10, requests_per_minute=5, daily_limit=1000, concurrency_limit=0
    ) as running:
        session = session_for(running.base_url)
        url = f"{running.base_url}/books/v3/items"
        responses = [
            session.get(url, params={"organization_id": ORG_IN}, timeout=5) for _ in range(6)
        ]
        assert [response.status_code for response in responses] == [200] * 5 + [429]
        assert responses[-1].json()["code"] == 44
        assert responses[0].headers["X-Rate-Limit-Limit"] == "1000"
        assert int(responses[4].headers["X-Rate-Limit-Remaining"]) == 995
        assert session.get(url, params={"organization_id": ORG_US}, timeout=5).status_code == 200
        assert (
            session.get(
                f"{running.base_url}/inventory/v1/items",
                timeout=5,
                params={"organization_id": ORG_IN},
            ).status_code
            == 200
        )
        running.emulator.clock.advance(61)
        assert session.get(url, params={"organization_id": ORG_IN}, timeout=5).status_code == 200


def test_daily_limit_429_code_45() -> None:
    with run_emulator(
        scale=10, requests_per_minute=0, daily_limit=3, concurrency_limit=0
    ) as running:
        session = session_for(running.base_url)
        url = f"{running.base_url}/books/v3/items"
        codes = [session.get(url, params={"organization_id": ORG_IN}, timeout=5) for _ in range(4)]
        assert [response.status_code for response in codes] == [200, 200, 200, 429]
        assert codes[-1].json() == {
            "code": 45,
            "message": (
                "The API call for this organization has exceeded the maximum call rate limit of 3."
            ),
        }


def test_concurrency_limit_429_code_1070_with_latency() -> None:
    with run_emulator(
        scale=10, requests_per_minute=0, daily_limit=0, concurrency_limit=2, latency_ms=1500
    ) as running:
        token = session_for(running.base_url).headers["Authorization"]

        def call(_: int) -> requests.Response:
            return requests.get(
                f"{running.base_url}/books/v3/items",
                timeout=10,
                headers={"Authorization": token},
                params={"organization_id": ORG_IN},
            )

        with ThreadPoolExecutor(max_workers=5) as pool:
            responses = list(pool.map(call, range(5)))
        codes = sorted(response.status_code for response in responses)
        assert codes.count(200) == 2
        assert {
            response.json()["code"] for response in responses if response.status_code == 429
        } == {1070}
        assert running.emulator.stats.peak_concurrency == 2


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    @override
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    @override
    def log_message(self, *args) -> None:  # quiet
        del args


def test_webhooks_post_signed_default_payload_on_changes(zoho) -> None:
    running, session = zoho
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        registered = session.post(
            f"{running.base_url}/__emulator/webhooks",
            timeout=5,
            json={"url": url, "entities": ["invoices"]},
        )
        assert registered.json() == {"registered": 1}
        running.emulator.finance.update(ORG_IN, "invoices", count=2, fields={"status": "paid"})
        running.emulator.finance.update(ORG_IN, "items", count=1)  # not registered
        assert running.emulator.webhooks.wait_idle()
        assert len(_Receiver.received) == 2
        for headers, body in _Receiver.received:
            signature = headers[SIGNATURE_HEADER]
            assert signature == sign("demo-webhook-secret", body)
            assert verify("demo-webhook-secret", body, signature)
            assert not verify("demo-webhook-secret", body + b" ", signature)
            payload = json.loads(body)
            assert list(payload) == ["invoice"]
            assert payload["invoice"]["status"] == "paid"
            assert payload["invoice"]["line_items"]
        deliveries = session.get(f"{running.base_url}/__emulator/webhooks", timeout=5).json()[
            "deliveries"
        ]
        _Receiver.received.clear()
        running.emulator.webhooks.clear()
        running.emulator.webhooks.register(url, entities=["items"], product="inventory")
        running.emulator.finance.update(ORG_US, "items", count=1)
        assert running.emulator.webhooks.wait_idle()
        ((_, item_body),) = _Receiver.received
        assert "locations" in json.loads(item_body)["item"]
        assert [delivery["status"] for delivery in deliveries] == [200, 200]
    finally:
        server.shutdown()
        server.server_close()
        _Receiver.received.clear()


def test_control_api_rejects_bad_requests_cleanly(zoho) -> None:
    running, session = zoho
    base = f"{running.base_url}/__emulator"
    assert session.post(f"{base}/faults", json={"kind": "nope"}, timeout=5).status_code == 400
    assert (
        session.post(f"{base}/finance/{ORG_IN}/nope/update", json={}, timeout=5).status_code == 404
    )
    assert (
        session.post(f"{base}/finance/{ORG_IN}/taxes/delete", json={}, timeout=5).status_code == 400
    )
    assert (
        session.post(
            f"{base}/finance/{ORG_IN}/invoices/update", json={"ids": ["1"]}, timeout=5
        ).status_code
        == 400
    )


def test_odd_patched_values_never_break_lists(zoho) -> None:
    running, _ = zoho
    running.emulator.finance.update(
        ORG_IN,
        "invoices",
        count=3,
        fields={"status": [1], "total": {"a": 1}, "customer_name": None},
    )
    for params in (
        {"sort_column": "total"},
        {"sort_column": "customer_name"},
        {"filter_by": "Status.Paid"},
        {"filter_by": "Status.All"},
    ):
        assert _invoices(zoho, **params).status_code == 200, params


def test_read_ahead_pages_never_serve_stale_data(zoho) -> None:
    running, _ = zoho
    _invoices(zoho, per_page=10)  # page 2 is now built ahead of demand
    page_two = _invoices(zoho, per_page=10, page=2).json()["invoices"]
    assert running.emulator.finance.count(ORG_IN, "invoices") > 20
    target = page_two[3]["invoice_id"]
    _invoices(zoho, per_page=10)  # read ahead again, then change a record on page 2
    running.emulator.finance.update(ORG_IN, "invoices", ids=[target], fields={"status": "void"})
    again = _invoices(zoho, per_page=10, page=2).json()["invoices"]
    assert next(row for row in again if row["invoice_id"] == target)["status"] == "void"
