"""Signed Books/Inventory webhooks from the emulator's sender become ERP rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from tests.zoho_webhooks.conftest import ORG
from tests.zoho_webhooks.support import erp_rows, inbox_rows, outbox, settled, wait_for
from zoho_webhooks.inbox import WEBHOOK_PROCESSED, WEBHOOK_RECEIVED
from zoho_webhooks.service import Runtime

if TYPE_CHECKING:
    import psycopg

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.settings import ServiceSettings
    from zoho_webhooks.testing import RunningService


def register(emulator: RunningEmulator, url: str, product: str, entities: list[str]) -> None:
    """One registration per event: the event and the organization ride as signed params."""
    for event in ("created", "updated", "deleted"):
        emulator.emulator.webhooks.register(
            f"{url}/webhooks/{product}?organization_id={ORG}&event={event}",
            entities=entities, events=[event], organization_id=ORG, product=product,
        )


def test_books_and_inventory_changes_become_erp_rows(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    register(emulator, service.base_url, "books", ["invoices", "contacts"])
    register(emulator, service.base_url, "inventory", ["salesorders", "items"])
    finance = emulator.emulator.finance
    invoice_id = finance.create(ORG, "invoices", fields={"reference_number": "WH-1"})[0]
    order_id = finance.create(ORG, "salesorders")[0]
    item_id = finance.create(ORG, "items", fields={"name": "Webhook Widget"})[0]
    finance.update(ORG, "invoices", ids=[invoice_id], fields={"reference_number": "WH-2"})
    assert emulator.emulator.webhooks.wait_idle()
    statuses = {d.status for d in emulator.emulator.webhooks.deliveries}
    assert statuses <= {200, 202}, emulator.emulator.webhooks.deliveries
    wait_for(lambda: settled(db, settings))
    assert {row[4] for row in inbox_rows(db, settings)} == {"done"}

    invoices = erp_rows(db, settings, "invoices", "zoho_id, reference_number, deleted_at")
    assert invoices == [(invoice_id, "WH-2", None)]
    expected_lines = len(finance.record(ORG, "invoices", invoice_id)["line_items"])
    assert len(erp_rows(db, settings, "invoice_lines")) == expected_lines > 0
    assert [r[0] for r in erp_rows(db, settings, "sales_orders", "zoho_id")] == [order_id]
    products = dict(erp_rows(db, settings, "products", "zoho_id, name"))
    assert products[item_id] == "Webhook Widget"

    finance.delete(ORG, "invoices", ids=[invoice_id])
    assert emulator.emulator.webhooks.wait_idle()
    wait_for(lambda: settled(db, settings))
    deleted = erp_rows(db, settings, "invoices", "zoho_id, deleted_at")
    assert deleted[0][0] == invoice_id
    assert deleted[0][1] is not None, "a deletion is a soft delete"
    assert all(line[0] is not None for line in erp_rows(db, settings, "invoice_lines",
                                                       "deleted_at"))

    received = outbox(db, settings, WEBHOOK_RECEIVED)
    processed = outbox(db, settings, WEBHOOK_PROCESSED)
    assert sum(p["count"] for p in received) == len(inbox_rows(db, settings)) == 5
    assert sum(p["count"] for p in processed) == 5

    health = requests.get(f"{service.base_url}/health", timeout=5).json()
    assert health["database"] == "reachable"
    assert health["queue_depth"] == 0
    assert health["last_success"] is not None
    metrics = requests.get(f"{service.base_url}/metrics", timeout=5).text
    assert 'zoho_webhooks_processed_total{source="books"} 3.0' in metrics
    assert 'zoho_webhooks_processed_total{source="inventory"} 2.0' in metrics
    assert "zoho_webhooks_processing_latency_seconds_count 5.0" in metrics


def test_health_is_503_when_the_database_is_unreachable(settings: ServiceSettings) -> None:
    """Readiness, not just liveness: a runtime whose database is gone says so."""
    runtime = Runtime(settings, "postgresql://postgres@/postgres?host=/nonexistent-socket-dir")
    ready, facts = runtime.health()
    assert not ready
    assert facts["database"] == "unreachable"
