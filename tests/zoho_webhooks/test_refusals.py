"""Forged, replayed, oversized, malformed and mistyped deliveries are refused; nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import requests

from tests.zoho_webhooks.conftest import ORG
from tests.zoho_webhooks.support import inbox_rows, outbox
from zoho_emulator.webhook_signing import SIGNATURE_HEADER, sign
from zoho_webhooks.inbox import WEBHOOK_RECEIVED
from zoho_webhooks.testing import DEMO_WEBHOOK_SECRET

if TYPE_CHECKING:
    import psycopg

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.settings import ServiceSettings
    from zoho_webhooks.testing import RunningService

JSON = "application/json;charset=UTF-8"


def zoho_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


def invoice_body(emulator: RunningEmulator, modified: datetime | None = None) -> bytes:
    """A real invoice from the emulator, as its default payload (optionally re-timed)."""
    finance = emulator.emulator.finance
    record = finance.record(ORG, "invoices", finance.create(ORG, "invoices")[0])
    if modified is not None:
        record = {**record, "last_modified_time": zoho_time(modified)}
    return orjson.dumps({"invoice": record})


def post(  # noqa: PLR0913 - a request's independent parts
    service: RunningService, body: bytes, *, secret: str | None = DEMO_WEBHOOK_SECRET,
    params: dict[str, str] | None = None, signed_params: dict[str, str] | None = None,
    content_type: str = JSON, path: str = "/webhooks/books",
) -> requests.Response:
    query = {"organization_id": ORG, "event": "updated"} if params is None else params
    headers = {"Content-Type": content_type}
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, body, query if signed_params is None
                                         else signed_params)  # fmt: skip
    return requests.post(f"{service.base_url}{path}", params=query, data=body,
                         headers=headers, timeout=10)  # fmt: skip


def assert_nothing_stored(db: psycopg.Connection[Any], settings: ServiceSettings) -> None:
    assert inbox_rows(db, settings) == []
    assert outbox(db, settings, WEBHOOK_RECEIVED) == []


def test_a_valid_signature_is_accepted(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    """The control case: the same helper, correctly signed, is stored (so refusals mean it)."""
    response = post(service, invoice_body(emulator))
    assert response.status_code == 202, response.text
    assert len(inbox_rows(db, settings)) == 1


@pytest.mark.parametrize(
    ("secret", "case"),
    [(None, "missing"), ("not-the-secret", "wrong secret"), ("", "empty signature")],
)
def test_bad_or_missing_signature_is_401_and_stores_nothing(  # noqa: PLR0913, PLR0917 - fixtures
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any], secret: str | None, case: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = invoice_body(emulator)
    if case == "empty signature":
        response = requests.post(
            f"{service.base_url}/webhooks/books", params={"organization_id": ORG}, data=body,
            headers={"Content-Type": JSON, SIGNATURE_HEADER: ""}, timeout=10)
    else:
        response = post(service, body, secret=secret)
    assert response.status_code == 401
    assert_nothing_stored(db, settings)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("invalid webhook signature" in w for w in warnings)
    assert not any("demo-webhook-secret" in w or "invoice_number" in w for w in warnings)


def test_tampered_body_or_query_is_401(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    body = invoice_body(emulator)
    signature = sign(DEMO_WEBHOOK_SECRET, body, {"organization_id": ORG, "event": "updated"})
    tampered = body.replace(b'"invoice_id"', b'"invoice_id" ', 1)
    response = requests.post(
        f"{service.base_url}/webhooks/books", params={"organization_id": ORG, "event": "updated"},
        data=tampered, headers={"Content-Type": JSON, SIGNATURE_HEADER: signature}, timeout=10)
    assert response.status_code == 401
    # Signed for an update, sent as a deletion: the query is covered by the signature.
    response = post(service, body, params={"organization_id": ORG, "event": "deleted"},
                    signed_params={"organization_id": ORG, "event": "updated"})
    assert response.status_code == 401
    assert_nothing_stored(db, settings)


def test_replay_outside_the_window_is_refused(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    old = datetime.now(UTC) - timedelta(seconds=settings.replay_window_seconds + 120)
    response = post(service, invoice_body(emulator, old))
    assert response.status_code == 401
    assert "replay window" in response.json()["reason"]
    assert_nothing_stored(db, settings)


def test_crm_wrong_token_or_unknown_channel_is_401(
    service: RunningService, settings: ServiceSettings, db: psycopg.Connection[Any],
) -> None:
    payload = {"server_time": int(datetime.now(UTC).timestamp() * 1000), "query_params": {},
               "module": "Deals", "ids": ["1"], "affected_fields": [], "operation": "insert",
               "channel_id": "1000000068001", "token": "guess"}  # fmt: skip
    response = requests.post(f"{service.base_url}/webhooks/crm", json=payload, timeout=10)
    assert response.status_code == 401
    assert_nothing_stored(db, settings)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"invoice": {', JSON, 400),
        (b"[1, 2]", JSON, 400),
        (b'{"unknown_entity": {"x": 1}}', JSON, 400),
        (b'{"invoice": {"invoice_number": "no id"}}', JSON, 400),
        (b'{"invoice": {"invoice_id": "1\\u0000"}}', JSON, 400),
        (b"invoice_id=1", "application/x-www-form-urlencoded", 401),  # signed as JSON
        (b'{"invoice": {}}', "text/plain", 415),
    ],
)
def test_malformed_or_mistyped_signed_bodies_are_refused(  # noqa: PLR0913, PLR0917 - fixtures
    service: RunningService, settings: ServiceSettings, db: psycopg.Connection[Any],
    body: bytes, content_type: str, status: int,
) -> None:
    response = post(service, body, content_type=content_type)
    assert response.status_code == status, response.text
    assert response.json()["status"] == "refused"
    assert_nothing_stored(db, settings)


def test_oversized_body_is_413(
    service: RunningService, settings: ServiceSettings, db: psycopg.Connection[Any],
) -> None:
    big = orjson.dumps({"invoice": {"invoice_id": "1", "notes": "x" * settings.max_body_bytes}})
    assert post(service, big).status_code == 413

    def chunks() -> Any:
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b"x" * 1024

    response = requests.post(f"{service.base_url}/webhooks/inventory", data=chunks(),
                             headers={"Content-Type": JSON}, timeout=10)  # fmt: skip
    assert response.status_code == 413
    assert_nothing_stored(db, settings)


def test_garbage_never_gets_a_500(service: RunningService) -> None:
    samples = [b"", b"\xff\xfe\x00", b"null", b'{"invoice": null}', b'{"invoice": []}',
               b'{"invoice": {"invoice_id": {"nested": 1}}}', b"9" * 5000]  # fmt: skip
    for path in ("/webhooks/books", "/webhooks/inventory", "/webhooks/crm"):
        for body in samples:
            for content_type in (JSON, "application/octet-stream"):
                response = post(service, body, content_type=content_type, path=path)
                assert 400 <= response.status_code < 500, (path, body[:20], response.text)
