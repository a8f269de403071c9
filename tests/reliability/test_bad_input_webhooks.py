"""Bad-input corpus for the webhook service: forged, replayed, oversized, mistyped.

The real service (uvicorn on loopback) and a real emulator; each case's HTTP status and
what was stored are recorded. A refusal stores nothing; a replay of a delivered event is
stored at most once; nothing answers 5xx or logs a traceback.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import requests

from tests.zoho_webhooks.support import inbox_rows, wait_for
from zoho_emulator.testing import run_emulator
from zoho_emulator.webhook_signing import SIGNATURE_HEADER, sign
from zoho_webhooks.settings import ServiceSettings
from zoho_webhooks.testing import DEMO_WEBHOOK_SECRET, demo_zoho_settings, run_service

ORG = "10234695"
JSON = "application/json;charset=UTF-8"
RESULTS = os.environ.get("BAD_INPUT_RESULTS")
QUERY = {"organization_id": ORG, "event": "updated"}


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=0) as running:
        yield running


@pytest.fixture
def service(zoho, database_url, schemas):
    erp, raw = schemas
    settings = ServiceSettings(
        webhook_secret=DEMO_WEBHOOK_SECRET, erp_schema=erp, raw_schema=raw,
        notify_channel=f"ev_{erp}", service_schema=f"wh_{erp}", max_body_bytes=64 * 1024,
        replay_window_seconds=600, retry_base_seconds=0.05, retry_max_seconds=0.2,
        poll_seconds=0.05, zoho=demo_zoho_settings(zoho.base_url))
    with run_service(settings, database_url) as running:
        yield running, settings


def _invoice(zoho, modified: datetime | None = None) -> bytes:
    finance = zoho.emulator.finance
    record = finance.record(ORG, "invoices", finance.create(ORG, "invoices")[0])
    if modified is not None:
        record = {**record, "last_modified_time": modified.strftime("%Y-%m-%dT%H:%M:%S%z")}
    return orjson.dumps({"invoice": record})


def _post(base: str, body: bytes, *, secret: str | None = DEMO_WEBHOOK_SECRET,
          content_type: str = JSON) -> requests.Response:
    headers = {"Content-Type": content_type}
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, body, QUERY)
    return requests.post(f"{base}/webhooks/books", params=QUERY, data=body, headers=headers,
                         timeout=30)


def _cases(zoho) -> dict[str, dict[str, Any]]:
    old = datetime.now(UTC) - timedelta(hours=2)
    return {
        "forged signature": {"body": _invoice(zoho), "secret": "guessed-secret",
                             "expect": {401}},
        "unsigned": {"body": _invoice(zoho), "secret": None, "expect": {401}},
        "replay outside the window": {"body": _invoice(zoho, old), "expect": {401}},
        "oversized body": {"body": orjson.dumps({"invoice": {"notes": "x" * 200_000}}),
                           "expect": {413}},
        "wrong content type (form)": {"body": b"invoice_id=1",
                                      "content_type": "application/x-www-form-urlencoded",
                                      "expect": {415}},
        "wrong content type (text)": {"body": _invoice(zoho), "content_type": "text/plain",
                                      "expect": {415}},
        "signed but not JSON": {"body": b"<html>nope</html>", "expect": {400, 422}},
    }


def test_refusals_store_nothing(zoho, service, db, caplog):
    running, settings = service
    outcomes = {}
    for case, spec in _cases(zoho).items():
        response = _post(running.base_url, spec["body"],
                         secret=spec.get("secret", DEMO_WEBHOOK_SECRET),
                         content_type=spec.get("content_type", JSON))
        outcomes[case] = response.status_code
        assert response.status_code in spec["expect"], (case, response.status_code,
                                                        response.text[:300])
    assert inbox_rows(db, settings) == []
    assert "Traceback" not in caplog.text
    assert DEMO_WEBHOOK_SECRET not in caplog.text
    _save("webhooks", outcomes)


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


def _save(kind: str, outcomes: dict[str, Any]) -> None:
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as handle:  # noqa: PTH123
            handle.writelines(
                json.dumps({"kind": kind, "case": case, "outcome": str(outcome)}) + "\n"
                for case, outcome in outcomes.items())
