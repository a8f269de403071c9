"""Every delivery shape Zoho's webhook settings allow becomes ERP rows (issue 13 G).

Method POST, PUT or DELETE; body the default JSON payload or form-data entity
parameters. The emulator's sender sends each shape, signed as Zoho documents for it;
the real service verifies, stores, completes (a form carries fields, not the record)
and applies it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import requests

from tests.zoho_webhooks.conftest import ORG
from tests.zoho_webhooks.support import erp_rows, inbox_rows, settled, wait_for

if TYPE_CHECKING:
    import psycopg

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.settings import ServiceSettings
    from zoho_webhooks.testing import RunningService

FORM = "application/x-www-form-urlencoded;charset=UTF-8"
JSON = "application/json;charset=UTF-8"
AWKWARD = "A&B = C+D é/ü?%"
"""A value whose form encoding differs from its text in every way that matters."""


def _register(emulator: RunningEmulator, url: str, event: str, **shape: Any) -> None:
    emulator.emulator.webhooks.register(
        f"{url}/webhooks/books?organization_id={ORG}&event={event}",
        entities=["invoices"],
        events=[event],
        organization_id=ORG,
        **shape,
    )


@pytest.mark.parametrize(
    ("method", "body_type", "delete_method"),
    [
        ("POST", "json", "DELETE"),
        ("PUT", "json", "POST"),
        ("POST", "form", "DELETE"),
        ("PUT", "form", "PUT"),
    ],
)
def test_each_method_and_body_becomes_erp_rows(  # noqa: PLR0913, PLR0917 - fixtures
    emulator: RunningEmulator,
    service: RunningService,
    settings: ServiceSettings,
    db: psycopg.Connection[Any],
    method: str,
    body_type: str,
    delete_method: str,
) -> None:
    fields = ["invoice_id", "last_modified_time", "reference_number", "customer_name"]
    for event in ("created", "updated"):
        _register(emulator, service.base_url, event, method=method, body_type=body_type,
                  form_fields=fields)  # fmt: skip
    _register(emulator, service.base_url, "deleted", method=delete_method,
              body_type=body_type, form_fields=fields)  # fmt: skip
    finance = emulator.emulator.finance
    invoice_id = finance.create(ORG, "invoices", fields={"reference_number": "SHAPE-1"})[0]
    finance.update(ORG, "invoices", ids=[invoice_id], fields={"reference_number": AWKWARD})
    sender = emulator.emulator.webhooks
    assert sender.wait_idle()
    assert [(d.method, d.content_type, d.status) for d in sender.deliveries[-2:]] == [
        (method, FORM if body_type == "form" else JSON, 202)
    ] * 2
    wait_for(lambda: settled(db, settings))
    assert {row[4] for row in inbox_rows(db, settings)} == {"done"}
    assert erp_rows(db, settings, "invoices", "zoho_id, reference_number, deleted_at") == [
        (invoice_id, AWKWARD, None)
    ]
    lines = len(finance.record(ORG, "invoices", invoice_id)["line_items"])
    assert len(erp_rows(db, settings, "invoice_lines")) == lines > 0, (
        "a form carries no lines: the worker read the whole invoice from Zoho"
    )

    fallbacks = requests.get(f"{service.base_url}/health", timeout=10).json()["fallbacks"]
    if body_type == "form":
        assert fallbacks == {"webhook.delivery-shape": {"books_invoices": 2}}
    else:
        assert fallbacks == {}, "the default payload is what we assume: no fallback"

    finance.delete(ORG, "invoices", ids=[invoice_id])
    assert sender.wait_idle()
    assert sender.deliveries[-1].method == delete_method
    assert sender.deliveries[-1].status == 202
    wait_for(lambda: settled(db, settings))
    [(zoho_id, deleted_at)] = erp_rows(db, settings, "invoices", "zoho_id, deleted_at")
    assert zoho_id == invoice_id
    assert deleted_at is not None


def test_the_switch_makes_registrations_send_forms(
    emulator: RunningEmulator,
    service: RunningService,
    settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    """`webhook-form-deliveries` on: a registration without a body type sends a form."""
    control = f"{emulator.base_url}/__emulator"
    requests.post(f"{control}/answers", json={"answers": ["webhook-form-deliveries"]},
                  timeout=10).raise_for_status()  # fmt: skip
    try:
        requests.post(
            f"{control}/webhooks",
            timeout=10,
            json={
                "url": f"{service.base_url}/webhooks/inventory?organization_id={ORG}&event=created",
                "entities": ["salesorders"],
                "events": ["created"],
                "organization_id": ORG,
                "product": "inventory",
            },
        ).raise_for_status()
    finally:
        requests.post(f"{control}/answers", json={"answers": []}, timeout=10).raise_for_status()
    registered = requests.get(f"{control}/webhooks", timeout=10).json()["registrations"]
    assert registered[-1]["body_type"] == "form"
    order_id = emulator.emulator.finance.create(ORG, "salesorders")[0]
    assert emulator.emulator.webhooks.wait_idle()
    delivery = requests.get(f"{control}/webhooks", timeout=10).json()["deliveries"][-1]
    assert (delivery["content_type"], delivery["status"]) == (FORM, 202)
    wait_for(lambda: settled(db, settings))
    assert [r[0] for r in erp_rows(db, settings, "sales_orders", "zoho_id")] == [order_id]
    assert erp_rows(db, settings, "sales_order_lines")


def test_a_form_for_an_entity_sharing_its_id_field_names_it_in_the_query(
    emulator: RunningEmulator,
    service: RunningService,
    settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    """Customer and vendor payments both key on `payment_id`: `entity` says which."""
    sender = emulator.emulator.webhooks
    base = f"{service.base_url}/webhooks/books?organization_id={ORG}&event=created"
    sender.register(base, entities=["customerpayments"], events=["created"],
                    organization_id=ORG, body_type="form")  # fmt: skip
    sender.register(f"{base}&entity=payment", entities=["customerpayments"],
                    events=["created"], organization_id=ORG, body_type="form")  # fmt: skip
    payment_id = emulator.emulator.finance.create(ORG, "customerpayments")[0]
    assert sender.wait_idle()
    assert sorted(d.status for d in sender.deliveries[-2:]) == [202, 400]
    wait_for(lambda: settled(db, settings))
    assert [r[0] for r in erp_rows(db, settings, "payments", "zoho_id")] == [payment_id]
