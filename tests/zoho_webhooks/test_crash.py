"""SIGKILL in the middle of a burst: no acknowledged event lost, none applied twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from tests.zoho_webhooks.conftest import ORG
from tests.zoho_webhooks.support import erp_rows, inbox_rows, outbox, settled, wait_for
from zoho_webhooks.inbox import WEBHOOK_PROCESSED
from zoho_webhooks.testing import free_port, process_env

if TYPE_CHECKING:
    import psycopg

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.settings import ServiceSettings

BIN = Path(sys.executable).parent / "zoho-webhooks"
ACKED = {200, 202}


def start(settings: ServiceSettings, database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = process_env(settings, database_url)
    process = subprocess.Popen(
        [str(BIN), "--log-level", "WARNING", "serve", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def ready() -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    wait_for(ready, timeout=30)
    return process


def test_sigkill_mid_burst_loses_no_acked_event_and_applies_none_twice(
    emulator: RunningEmulator, settings: ServiceSettings, database_url: str,
    db: psycopg.Connection[Any],
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/inventory?organization_id={ORG}&event=created"
    webhooks = emulator.emulator.webhooks
    webhooks.register(url, entities=["items", "salesorders"], events=["created"],
                      organization_id=ORG, product="inventory")  # fmt: skip
    process = start(settings, database_url, port)
    finance = emulator.emulator.finance
    burst = threading.Thread(
        target=lambda: [finance.create(ORG, entity)
                        for _ in range(150) for entity in ("items", "salesorders")],
    )
    try:
        burst.start()
        wait_for(lambda: sum(d.status in ACKED for d in webhooks.deliveries) >= 60)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        burst.join()
        assert webhooks.wait_idle(30)
        acked_before = [d for d in webhooks.deliveries if d.status in ACKED]
        refused = [d for d in webhooks.deliveries if d.status not in ACKED]
        assert refused, "the kill landed mid-burst (some deliveries found no server)"
        process = start(settings, database_url, port)
        wait_for(lambda: settled(db, settings), timeout=60)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    rows = inbox_rows(db, settings)
    assert {row[4] for row in rows} == {"done"}
    assert len(rows) >= len(acked_before)
    products = {r[0] for r in erp_rows(db, settings, "products", "zoho_id")}
    orders = {r[0] for r in erp_rows(db, settings, "sales_orders", "zoho_id")}
    for delivery in acked_before:
        assert delivery.record_id in (products if delivery.entity == "items" else orders), (
            f"acknowledged {delivery.entity} {delivery.record_id} was lost")
    processed_ids = [event["inbox_id"] for payload in outbox(db, settings, WEBHOOK_PROCESSED)
                     for event in payload["events"]]  # fmt: skip
    assert sorted(processed_ids) == sorted(row[0] for row in rows), "each event applied once"
