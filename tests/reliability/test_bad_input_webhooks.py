"""Bad-input corpus for the webhook service: forged, replayed, oversized, mistyped.

The real service (uvicorn on loopback) and a real emulator; each case's HTTP status and
what was stored are recorded. A refusal stores nothing; a replay of a delivered event is
stored at most once; no header, parameter or body gets a 5xx or logs a traceback; a
poison event is dead-lettered and never stops the worker; slow clients are cut off.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

from target_tsh_erp.database import connect
from tests.zoho_webhooks.support import inbox_rows, wait_for
from zoho_emulator.testing import run_emulator
from zoho_webhooks import crm
from zoho_webhooks.service import client_factory, prepare_database
from zoho_webhooks.settings import ServiceSettings
from zoho_webhooks.signing import SIGNATURE_HEADER, sign, sign_form
from zoho_webhooks.testing import DEMO_WEBHOOK_SECRET, demo_zoho_settings, run_service

ORG = "10234695"
JSON = "application/json;charset=UTF-8"
FORM = "application/x-www-form-urlencoded;charset=UTF-8"
RESULTS = os.environ.get("BAD_INPUT_RESULTS")
QUERY = {"organization_id": ORG, "event": "updated"}
POISON_TIME = "0001-01-01T00:00:00+0530"
"""Issue 14 D1: the normaliser's conversion to UTC overflows on it."""


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=0) as running:
        yield running


def _settings(zoho, schemas, **overrides: Any) -> ServiceSettings:
    erp, raw = schemas
    return replace(ServiceSettings(
        webhook_secret=DEMO_WEBHOOK_SECRET, erp_schema=erp, raw_schema=raw,
        notify_channel=f"ev_{erp}", service_schema=f"wh_{erp}", max_body_bytes=64 * 1024,
        replay_window_seconds=600, max_attempts=3, retry_base_seconds=0.05,
        retry_max_seconds=0.2, poll_seconds=0.05, zoho=demo_zoho_settings(zoho.base_url)),
        **overrides)  # fmt: skip


@pytest.fixture
def service(zoho, database_url, schemas):
    settings = _settings(zoho, schemas)
    with run_service(settings, database_url) as running:
        yield running, settings


def _invoice(zoho, modified: datetime | None = None, **fields: Any) -> bytes:
    finance = zoho.emulator.finance
    record = finance.record(ORG, "invoices", finance.create(ORG, "invoices")[0])
    if modified is not None:
        record = {**record, "last_modified_time": modified.strftime("%Y-%m-%dT%H:%M:%S%z")}
    return orjson.dumps({"invoice": {**record, **fields}})


def _without_time(zoho) -> bytes:
    invoice = orjson.loads(_invoice(zoho))["invoice"]
    del invoice["last_modified_time"]
    return orjson.dumps({"invoice": invoice})


def _post(base: str, body: bytes, *, secret: str | None = DEMO_WEBHOOK_SECRET,  # noqa: PLR0913
          content_type: str = JSON, query: Any = None, signature: str | None = None,
          method: str = "POST") -> requests.Response:
    params = QUERY if query is None else query
    headers = {"Content-Type": content_type}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    elif secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, body, params)
    return requests.request(method, f"{base}/webhooks/books", params=params, data=body,
                            headers=headers, timeout=30)  # fmt: skip


def _form(pairs: list[tuple[str, str]], query: Any = None) -> dict[str, Any]:
    """A form case signed as Zoho signs forms (over the decoded pairs)."""
    params = QUERY if query is None else query
    return {"body": urlencode(pairs).encode(), "content_type": FORM, "query": params,
            "signature": sign_form(DEMO_WEBHOOK_SECRET, pairs, params)}


def _cases(zoho) -> dict[str, dict[str, Any]]:
    old = datetime.now(UTC) - timedelta(hours=2)
    twice = [("organization_id", ORG), ("organization_id", "20987654"), ("event", "updated")]
    return {
        "forged signature": {"body": _invoice(zoho), "secret": "guessed-secret",
                             "expect": {401}},
        "unsigned": {"body": _invoice(zoho), "secret": None, "expect": {401}},
        "replay outside the window": {"body": _invoice(zoho, old), "expect": {401}},
        "oversized body": {"body": orjson.dumps({"invoice": {"notes": "x" * 200_000}}),
                           "expect": {413}},
        "form signed over its bytes, not its pairs": {
            "body": b"invoice_id=1", "content_type": FORM, "expect": {401}},
        "wrong content type (text)": {"body": _invoice(zoho), "content_type": "text/plain",
                                      "expect": {415}},
        "charset other than UTF-8": {"body": _invoice(zoho),
                                     "content_type": "application/json; charset=latin-1",
                                     "expect": {415}},
        "signed but not JSON": {"body": b"<html>nope</html>", "expect": {400}},
        # D3: hmac.compare_digest raised TypeError on non-ASCII text (500).
        "non-ASCII signature header": {"body": _invoice(zoho), "signature": "é" * 64,
                                       "expect": {401}},
        "signature header of 8 KB": {"body": _invoice(zoho), "signature": "0" * 8000,
                                     "expect": {401}},
        # D7: no usable modification time: no replay window, no stale-guard order.
        "no last_modified_time": {"body": _without_time(zoho), "expect": {400}},
        "unparseable last_modified_time": {
            "body": _invoice(zoho, last_modified_time="yesterday-ish"), "expect": {400}},
        "last_modified_time in year 1": {
            "body": _invoice(zoho, last_modified_time=POISON_TIME), "expect": {400}},
        "last_modified_time in year 9999": {
            "body": _invoice(zoho, last_modified_time="9999-12-31T23:59:59+0530"),
            "expect": {400}},
        "organization_id given twice": {"body": _invoice(zoho), "query": twice,
                                        "expect": {400}},
        "unknown event": {"body": _invoice(zoho), "query": {**QUERY, "event": "exploded"},
                          "expect": {400}},
        "unknown entity parameter": {"body": _invoice(zoho),
                                     "query": {**QUERY, "entity": "spaceship"},
                                     "expect": {400}},
        "boolean record id": {"body": orjson.dumps({"invoice": {
            "invoice_id": True, "last_modified_time": "2024-01-01T00:00:00+0000"}}),
            "expect": {400}},
        "number beyond JSON's range": {"body": b'{"invoice": {"invoice_id": 1e400}}',
                                       "expect": {400}},
        "method PATCH": {"body": _invoice(zoho), "method": "PATCH", "expect": {405}},
        "form that is not UTF-8": {"body": b"invoice_id=%FF", "content_type": FORM,
                                   "expect": {400}},
        "form naming no entity": _form([("name", "x")]) | {"expect": {400}},
        "form field twice with two values": _form(
            [("invoice_id", "1"), ("invoice_id", "2")]) | {"expect": {400}},
        "form without last_modified_time": _form([("invoice_id", "1")]) | {"expect": {400}},
        "form JSONString that is not JSON": _form([("JSONString", "{nope")])
        | {"expect": {400}},
    }


def _send(base: str, spec: dict[str, Any]) -> requests.Response:
    return _post(base, spec["body"], secret=spec.get("secret", DEMO_WEBHOOK_SECRET),
                 content_type=spec.get("content_type", JSON), query=spec.get("query"),
                 signature=spec.get("signature"), method=spec.get("method", "POST"))  # fmt: skip


def test_refusals_store_nothing(zoho, service, db, caplog):
    running, settings = service
    outcomes = {}
    for case, spec in _cases(zoho).items():
        response = _send(running.base_url, spec)
        outcomes[case] = response.status_code
        assert response.status_code in spec["expect"], (case, response.status_code,
                                                        response.text[:300])
    assert inbox_rows(db, settings) == []
    assert "Traceback" not in caplog.text
    assert DEMO_WEBHOOK_SECRET not in caplog.text
    metrics = requests.get(f"{running.base_url}/metrics", timeout=10).text
    unauthenticated = sum(1 for status in outcomes.values() if status == 401)
    assert unauthenticated >= 6
    assert _sample(metrics, "zoho_webhooks_received_total", source="books",
                   result="refused_401") == unauthenticated, "non-ASCII signatures count too"
    _save("webhooks", outcomes)


def _sample(metrics: str, name: str, **labels: str) -> float | None:
    """One sample's value from Prometheus text (label order is the library's business)."""
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


def _channel_token(settings: ServiceSettings, database_url: str) -> tuple[str, str]:
    client = client_factory(settings)
    assert client is not None
    prepare_database(settings, database_url)
    with connect(database_url) as connection:
        [created] = crm.subscribe(connection, settings, client)
        token = crm.load_channels(connection, settings)[int(created["channel_id"])]
    client.close()
    return str(created["channel_id"]), token


def test_crm_notification_with_a_valid_token_and_a_bad_time_is_a_4xx(
    service, database_url, db, caplog,
):
    """D5 (server_time 1e20 gave 500) and D7 (no server_time skipped the replay window)."""
    running, settings = service
    channel_id, token = _channel_token(replace(settings, public_url=running.base_url),
                                       database_url)  # fmt: skip
    now = int(time.time() * 1000)
    base = {"query_params": {}, "module": "Deals", "ids": ["1"], "affected_fields": [],
            "operation": "insert", "channel_id": channel_id, "token": token}  # fmt: skip
    cases = {"server_time 1e20": b"1e20", "server_time -1e17": b"-1e17",
             "server_time 2**70": str(2**70).encode(), "server_time 1e400": b"1e400",
             "server_time true": b"true", "server_time text": b'"1718117126473"',
             "server_time missing": None}  # fmt: skip
    outcomes = {}
    for case, value in cases.items():
        body = orjson.dumps(base)
        if value is not None:
            body = body[:-1] + b',"server_time":' + value + b"}"
        response = requests.post(f"{running.base_url}/webhooks/crm", timeout=10, data=body,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
        outcomes[case] = response.status_code
        assert response.status_code == 400, (case, response.status_code, response.text)
    control = requests.post(f"{running.base_url}/webhooks/crm", timeout=10,
                            json={**base, "server_time": now})  # fmt: skip
    assert control.status_code == 202, "the same notification with a good time is accepted"
    assert len(inbox_rows(db, settings)) == 1
    assert "Traceback" not in caplog.text
    assert token not in caplog.text
    _save("webhooks", outcomes)


def _dead_letter(db, settings: ServiceSettings) -> list[Any]:
    return [row for row in inbox_rows(db, settings) if row[4] == "dead"]


def test_a_poison_event_never_stops_the_worker(zoho, service, db):
    """D1: OverflowError in the normaliser on this date used to end the worker for good.

    Whether the tap's normaliser now copes with the date (the event is applied) or not
    (the event is dead-lettered with its error), the worker must go on: the next
    delivery is applied and /health still counts a live worker.
    """
    running, settings = service
    poison = _invoice(zoho, created_time=POISON_TIME)
    assert _post(running.base_url, poison).status_code == 202
    assert _post(running.base_url, _invoice(zoho)).status_code == 202
    wait_for(lambda: [r[4] for r in inbox_rows(db, settings)][1:] == ["done"])
    [first, _] = inbox_rows(db, settings)
    assert first[4] == "done" or (first[4] == "dead" and "OverflowError" in first[6]), first
    health = requests.get(f"{running.base_url}/health", timeout=10)
    assert health.status_code == 200, health.text
    assert health.json()["workers"] == 1
    _save("webhooks", {"poison event (created_time year 1)": f"{first[4]}, worker alive"})


def test_an_event_that_cannot_be_applied_is_retried_then_dead_lettered(zoho, service, db):
    """Any exception while processing one event: retried, then dead with its error text."""
    running, settings = service
    broken = orjson.loads(_invoice(zoho))
    broken["invoice"]["line_items"] = [["not", "an", "object"]]
    assert _post(running.base_url, orjson.dumps(broken)).status_code == 202
    wait_for(lambda: bool(_dead_letter(db, settings)))
    [dead] = _dead_letter(db, settings)
    assert dead[5] == settings.max_attempts, "retried, then dead-lettered"
    assert "ValueError" in dead[6]
    assert broken["invoice"]["invoice_id"] in dead[6], "the error names the record"
    assert _post(running.base_url, _invoice(zoho)).status_code == 202
    wait_for(lambda: [r[4] for r in inbox_rows(db, settings)] == ["dead", "done"])
    metrics = requests.get(f"{running.base_url}/metrics", timeout=10).text
    assert _sample(metrics, "zoho_webhooks_dead_letter_depth") == 1
    assert _sample(metrics, "zoho_webhooks_dead_lettered_total") == 1
    assert _sample(metrics, "zoho_webhooks_workers_alive") == 1
    health = requests.get(f"{running.base_url}/health", timeout=10).json()
    assert health["dead_letters"] == 1


def test_health_is_503_and_says_why_without_a_live_worker(service):
    running, _ = service
    assert requests.get(f"{running.base_url}/health", timeout=10).status_code == 200
    for loop in running.runtime.workers:
        loop.stop()
    for thread in running.runtime.threads:
        if "worker" in thread.name:
            thread.join(timeout=15)
    health = requests.get(f"{running.base_url}/health", timeout=10)
    assert health.status_code == 503
    assert any("no worker" in problem for problem in health.json()["problems"])


def test_health_is_503_when_the_oldest_pending_event_is_too_old(zoho, database_url, schemas):
    settings = _settings(zoho, schemas, health_max_pending_age_seconds=0.5)
    with run_service(settings, database_url, run_worker=False) as running:
        assert _post(running.base_url, _invoice(zoho)).status_code == 202
        assert requests.get(f"{running.base_url}/health", timeout=10).status_code == 200
        time.sleep(0.8)
        health = requests.get(f"{running.base_url}/health", timeout=10)
        assert health.status_code == 503
        assert any("oldest pending event" in p for p in health.json()["problems"])
        metrics = requests.get(f"{running.base_url}/metrics", timeout=10).text
        age = _sample(metrics, "zoho_webhooks_oldest_pending_seconds")
        assert age is not None
        assert age >= 0.5


def _raw_status(address: tuple[str, int], request: bytes) -> int | None:
    """Send raw bytes as one request; the answer's status, None if closed without one."""
    with socket.create_connection(address, timeout=10) as sock:
        answer = b""
        try:
            sock.sendall(request)
            while b"\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def test_malformed_request_heads_get_a_4xx(service, db):
    """What requests cannot send: broken framing, bytes that are not text, huge heads."""
    running, settings = service
    host, port = running.base_url.removeprefix("http://").split(":")
    head = b"POST /webhooks/books?organization_id=" + ORG.encode() + b" HTTP/1.1\r\nHost: x\r\n"
    cases = {
        "Content-Length not a number": head + b"Content-Length: abc\r\n\r\n{}",
        "two Content-Lengths": head + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "bad chunk size": head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        "signature of raw non-text bytes": head + b"Content-Type: application/json\r\n"
        + SIGNATURE_HEADER.encode() + b": " + b"\xff\xfe" * 32 + b"\r\nContent-Length: 2\r\n\r\n{}",
        "query that is not UTF-8": b"POST /webhooks/books?organization_id=%FF%FE HTTP/1.1\r\n"
        b"Host: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        "NUL in a header": head + b"X-Thing: a\x00b\r\nContent-Length: 2\r\n\r\n{}",
        "request line garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        "head of 200 KB": head + b"X-Padding: " + b"a" * 200_000 + b"\r\n\r\n",
    }
    outcomes = {}
    for case, request in cases.items():
        status = _raw_status((host, int(port)), request)
        outcomes[case] = status
        assert status is None or 400 <= status < 500, (case, status)
    # 431, or a reset that beat it to the client; never the app's answer (httptools
    # alone buffered the whole head and handed it on).
    assert outcomes["head of 200 KB"] in {431, None}
    assert inbox_rows(db, settings) == []
    _save("webhooks", outcomes)


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float | None:
    """Send `trickle` a byte at a time (one every 0.5 s) until the server closes us.

    Returns how long the server took to close (or answer and close), None if it held
    the connection for the whole bound.
    """
    started = time.monotonic()
    sock.settimeout(0.5)
    position = 0
    while time.monotonic() - started < seconds:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        except OSError:
            return time.monotonic() - started
        if trickle:
            try:
                sock.sendall(trickle[position % len(trickle):][:1])
            except OSError:
                return time.monotonic() - started
            position += 1
    return None


def test_slow_clients_are_cut_off_and_connections_are_limited(zoho, database_url, schemas):
    """D6: a body or headers trickled a byte at a time no longer hold a connection."""
    settings = _settings(zoho, schemas, header_timeout_seconds=1.5, body_timeout_seconds=2.0,
                         max_connections=4)  # fmt: skip
    with run_service(settings, database_url) as running:
        host, port = running.base_url.removeprefix("http://").split(":")
        address = (host, int(port))
        outcomes = {}
        with socket.create_connection(address) as slow_body:
            slow_body.sendall(b"POST /webhooks/books?organization_id=1 HTTP/1.1\r\n"
                              b"Host: x\r\nContent-Type: application/json\r\n"
                              b"Content-Length: 1000\r\n\r\n")  # fmt: skip
            outcomes["body a byte at a time"] = _closed_within(slow_body, 8, b"{" * 1000)
        with socket.create_connection(address) as slow_headers:
            slow_headers.sendall(b"POST /webhooks/books HTTP/1.1\r\n")
            outcomes["headers a byte at a time"] = _closed_within(
                slow_headers, 8, b"X-Padding: " + b"a" * 1000)
        with socket.create_connection(address) as silent:
            outcomes["connection that sends nothing"] = _closed_within(silent, 8)
        for case, seconds in outcomes.items():
            assert seconds is not None, f"{case}: connection held for the whole bound"
            assert seconds < 5, (case, seconds)
        idle = [socket.create_connection(address) for _ in range(settings.max_connections)]
        try:
            over = requests.get(f"{running.base_url}/health", timeout=10)
        finally:
            for sock in idle:
                sock.close()
        assert over.status_code == 503, "beyond the connection limit: 503, Zoho retries"
        wait_for(lambda: requests.get(f"{running.base_url}/health", timeout=10).status_code
                 == 200, timeout=10)  # fmt: skip
    _save("webhooks", {f"slow client: {k}": f"closed after {v:.1f} s"
                       for k, v in outcomes.items() if v is not None})


def test_replayed_delivery_is_applied_once(zoho, service, db):
    running, settings = service
    body = _invoice(zoho)
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(
        _post(running.base_url, body).status_code)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(200 <= s < 300 for s in statuses), statuses
    invoice_id = orjson.loads(body)["invoice"]["invoice_id"]

    def erp_rows() -> list[Any]:
        return db.execute(f'SELECT count(*) FROM "{settings.erp_schema}".invoices'  # noqa: S608
                          " WHERE zoho_id = %s", (invoice_id,)).fetchall()

    wait_for(lambda: erp_rows() == [(1,)])
    db.commit()
    assert len(inbox_rows(db, settings)) <= 5
    _save("webhooks", {"replayed 5x concurrently": f"{statuses} -> 1 ERP row"})


def test_a_late_update_older_than_a_deletion_leaves_the_invoice_deleted(zoho, service, db):
    """Issue 14 D2: update at T0, `deleted` (payload at T0), then an update made at T1
    before the deletion, delivered late as Zoho's retry after one of our 503s would be."""
    running, settings = service
    now = datetime.now(UTC).replace(microsecond=0)
    at_t0 = orjson.loads(_invoice(zoho, now - timedelta(minutes=4)))["invoice"]
    invoice_id = at_t0["invoice_id"]

    def state() -> list[Any]:
        return db.execute(sql.SQL(
            "SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(*) FROM {}"
            " WHERE invoice_zoho_id = %s UNION ALL"
            " SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(*) FROM {}"
            " WHERE zoho_id = %s").format(sql.Identifier(settings.erp_schema, "invoice_lines"),
                                          sql.Identifier(settings.erp_schema, "invoices")),
            (invoice_id, invoice_id)).fetchall()

    late = {**at_t0, "reference_number": "late T1",
            "last_modified_time": (now - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S%z")}
    for record, event in ((at_t0, "updated"), (at_t0, "deleted"), (late, "updated")):
        response = _post(running.base_url, orjson.dumps({"invoice": record}),
                         query={"organization_id": ORG, "event": event})
        assert response.status_code == 202, response.text
        wait_for(lambda: {row[4] for row in inbox_rows(db, settings)} == {"done"})
    lines = len(at_t0["line_items"])
    assert lines
    assert state() == [(0, lines), (0, 1)], "invoice and lines stay deleted"
    db.commit()
    _save("webhooks", {"late update older than its deletion (D2)":
                       "invoice and its lines stay deleted"})


def _save(kind: str, outcomes: dict[str, Any]) -> None:
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as handle:  # noqa: PTH123
            handle.writelines(
                json.dumps({"kind": kind, "case": case, "outcome": str(outcome)}) + "\n"
                for case, outcome in outcomes.items())


PASSWORD = "Pw-7f3kq9Zx"
MALFORMED_DATABASE_URLS = {
    "unclosed bracket": f"postgresql://tsh:{PASSWORD}@[::1/erp",
    "no scheme": f"tsh:{PASSWORD}@localhost/erp",
    "refused": f"postgresql://tsh:{PASSWORD}@127.0.0.1:1/erp",
}


@pytest.mark.parametrize("name", list(MALFORMED_DATABASE_URLS))
def test_a_malformed_database_url_never_prints_its_password(name, tmp_path) -> None:
    """Issue 14 D4 for the service: one line naming its variable, no password, no traceback."""
    environment = {
        **os.environ, "ZOHO_WEBHOOK_SECRET": "s",
        "ZOHO_WEBHOOKS_DATABASE_URL": MALFORMED_DATABASE_URLS[name],
    }  # fmt: skip
    done = subprocess.run(
        [str(Path(sys.executable).with_name("zoho-webhooks")), "work"],
        capture_output=True, text=True, timeout=120, env=environment, cwd=tmp_path, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-2000:]
    assert "7f3kq9Zx" not in output
    assert "Traceback (most recent call last)" not in output, output[-2000:]
    assert output.strip().count("\n") == 0, output
    assert "ZOHO_WEBHOOKS_DATABASE_URL" in output
    assert "TARGET_TSH_ERP" not in output
