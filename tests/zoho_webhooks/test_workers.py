"""Standalone workers (`zoho-webhooks work`, several at once) and batched CRM fetches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from target_tsh_erp.database import connect
from tests.zoho_webhooks.conftest import ORG
from tests.zoho_webhooks.support import erp_rows, inbox_rows, outbox, settled, wait_for
from tests.zoho_webhooks.test_crm import subscribe
from tests.zoho_webhooks.test_refusals import post
from zoho_emulator.crm.service import Crm
from zoho_webhooks.inbox import WEBHOOK_PROCESSED
from zoho_webhooks.processor import Processor
from zoho_webhooks.service import client_factory
from zoho_webhooks.testing import run_service

if TYPE_CHECKING:
    import psycopg

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.settings import ServiceSettings

BIN = Path(sys.executable).parent / "zoho-webhooks"


def test_several_standalone_workers_share_the_inbox_without_double_processing(
    emulator: RunningEmulator, settings: ServiceSettings, database_url: str,
    db: psycopg.Connection[Any],
) -> None:
    finance = emulator.emulator.finance
    ids = finance.create(ORG, "items", count=80)
    with run_service(settings, database_url, run_worker=False) as service:
        for item_id in ids:
            record = finance.record(ORG, "items", item_id)
            assert post(service, orjson.dumps({"item": record}),
                        path="/webhooks/inventory").status_code == 202
    assert [r[4] for r in inbox_rows(db, settings)] == ["pending"] * len(ids)
    env = {**os.environ, "ZOHO_WEBHOOKS_DATABASE_URL": database_url,
           "ZOHO_WEBHOOKS_SCHEMA": settings.service_schema,
           "ZOHO_WEBHOOKS_ERP_SCHEMA": settings.erp_schema,
           "ZOHO_WEBHOOKS_RAW_SCHEMA": settings.raw_schema,
           "ZOHO_WEBHOOKS_NOTIFY_CHANNEL": settings.notify_channel,
           "ZOHO_WEBHOOKS_CLAIM_BATCH": "5", "ZOHO_WEBHOOKS_POLL_SECONDS": "0.05"}  # fmt: skip
    workers = [subprocess.Popen([str(BIN), "work", "--threads", "2"], env=env,
                                stderr=subprocess.PIPE, text=True)
               for _ in range(2)]  # fmt: skip
    drains = []
    for worker in workers:  # both running before the inbox drains (and before SIGTERM)
        assert worker.stderr is not None
        for line in worker.stderr:
            if "worker thread(s) running" in line:
                break
        drains.append(threading.Thread(target=worker.stderr.read, daemon=True))
        drains[-1].start()
    try:
        wait_for(lambda: settled(db, settings), timeout=60)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=30) for worker in workers]
        for worker, drain in zip(workers, drains, strict=False):
            drain.join(timeout=10)
            assert worker.stderr is not None
            worker.stderr.close()
    assert codes == [0, 0], "workers stop cleanly on SIGTERM"
    rows = inbox_rows(db, settings)
    assert {r[4] for r in rows} == {"done"}
    assert {r[5] for r in rows} == {1}, "each event attempted once"
    processed = [e["inbox_id"] for p in outbox(db, settings, WEBHOOK_PROCESSED)
                 for e in p["events"]]  # fmt: skip
    assert sorted(processed) == sorted(r[0] for r in rows)
    products = {r[0] for r in erp_rows(db, settings, "products", "zoho_id")}
    assert set(ids) <= products


def test_crm_ids_are_fetched_100_per_call(
    emulator: RunningEmulator, settings: ServiceSettings, database_url: str,
    db: psycopg.Connection[Any],
) -> None:
    with run_service(settings, database_url, run_worker=False) as service:
        settings = replace(settings, public_url=service.base_url)
        subscribe(settings, database_url)
        store = Crm.of(emulator.emulator)
        deals = store.create("Deals", count=150)
        store.flush_notifications()
        wait_for(lambda: len(inbox_rows(db, settings)) >= 1)
    emulator.emulator.stats.reset()
    with connect(database_url) as connection:
        outcome = Processor(settings, lambda: client_factory(settings)).run_once(connection)
    assert outcome.processed == len(inbox_rows(db, settings))
    routes = emulator.emulator.stats.snapshot()["requests_by_route"]
    assert routes["crm:/{module}"] == 2, "150 ids: two calls of at most 100 (17 fields: one group)"
    assert sorted(r[0] for r in erp_rows(db, settings, "opportunities", "zoho_id")) == sorted(
        deals)
