"""Duplicates, stale updates, poison events, dead letters and replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from target_tsh_erp.database import connect
from tests.zoho_webhooks.conftest import ORG, without_credentials
from tests.zoho_webhooks.support import erp_rows, inbox_rows, outbox, settled, wait_for
from tests.zoho_webhooks.test_refusals import post, zoho_time
from zoho_webhooks import cli
from zoho_webhooks.inbox import WEBHOOK_PROCESSED
from zoho_webhooks.processor import Processor
from zoho_webhooks.testing import run_service

if TYPE_CHECKING:
    import psycopg
    import pytest

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.settings import ServiceSettings
    from zoho_webhooks.testing import RunningService


def test_duplicate_deliveries_are_acked_and_applied_once(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    finance = emulator.emulator.finance
    record = finance.record(ORG, "salesorders", finance.create(ORG, "salesorders")[0])
    body = orjson.dumps({"salesorder": record})
    first = post(service, body, path="/webhooks/inventory")
    second = post(service, body, path="/webhooks/inventory")
    assert (first.status_code, first.json()["status"]) == (202, "accepted")
    assert (second.status_code, second.json()["status"]) == (200, "duplicate")
    assert first.json()["inbox_id"] == second.json()["inbox_id"]
    wait_for(lambda: settled(db, settings))
    post(service, body, path="/webhooks/inventory")  # a late retry after processing
    assert len(inbox_rows(db, settings)) == 1
    assert sum(p["count"] for p in outbox(db, settings, WEBHOOK_PROCESSED)) == 1
    assert [r[0] for r in erp_rows(db, settings, "sales_orders", "zoho_id")] == [
        record["salesorder_id"]]


def test_an_update_older_than_the_stored_row_changes_nothing(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    db: psycopg.Connection[Any],
) -> None:
    finance = emulator.emulator.finance
    record = finance.record(ORG, "invoices", finance.create(ORG, "invoices")[0])
    now = datetime.now(UTC).replace(microsecond=0)
    newer = {**record, "last_modified_time": zoho_time(now), "reference_number": "NEWER"}
    older = {**record, "last_modified_time": zoho_time(now - timedelta(minutes=5)),
             "reference_number": "OLDER"}  # fmt: skip
    assert post(service, orjson.dumps({"invoice": newer})).status_code == 202
    wait_for(lambda: settled(db, settings))
    assert post(service, orjson.dumps({"invoice": older})).status_code == 202
    wait_for(lambda: settled(db, settings))
    rows = erp_rows(db, settings, "invoices", "zoho_id, reference_number, source_modified_at")
    assert rows == [(record["invoice_id"], "NEWER", now)]
    assert [r[4] for r in inbox_rows(db, settings)] == ["done", "done"]


def test_poison_event_is_dead_lettered_then_replayed_after_the_fix(
    emulator: RunningEmulator, settings: ServiceSettings, database_url: str,
    db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A partial payload (no lines) cannot be completed without Zoho credentials."""
    finance = emulator.emulator.finance
    record = finance.record(ORG, "invoices", finance.create(ORG, "invoices")[0])
    partial = {k: v for k, v in record.items() if k != "line_items"}
    broken = without_credentials(settings)
    with run_service(broken, database_url) as service:
        assert post(service, orjson.dumps({"invoice": partial})).status_code == 202
        wait_for(lambda: settled(db, settings))
        health = service.runtime.health()[1]
    [(_, _, _, _, status, attempts, error)] = inbox_rows(db, settings)
    assert (status, attempts) == ("dead", settings.max_attempts)
    assert "no Zoho credentials" in error
    assert record["invoice_id"] in error
    assert health["dead_letters"] == 1
    assert erp_rows(db, settings, "invoices") == []

    # The fix: credentials configured. Replay the dead letter with the command line.
    for name, value in {"ZOHO_WEBHOOKS_DATABASE_URL": database_url,
                        "ZOHO_WEBHOOKS_SCHEMA": settings.service_schema,
                        "ZOHO_WEBHOOKS_ERP_SCHEMA": settings.erp_schema,
                        "ZOHO_WEBHOOKS_RAW_SCHEMA": settings.raw_schema}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert cli.main(["replay", "--since", since, "--module", "invoices", "--dead"]) == 0
    assert [r[4] for r in inbox_rows(db, settings)] == ["pending"]
    with run_service(replace(settings, max_attempts=3), database_url):
        wait_for(lambda: settled(db, settings))
    assert [r[4] for r in inbox_rows(db, settings)] == ["done"]
    lines = erp_rows(db, settings, "invoice_lines")
    assert len(lines) == len(record["line_items"]) > 0, "lines fetched from Zoho"
    assert [r[0] for r in erp_rows(db, settings, "invoices", "zoho_id")] == [record["invoice_id"]]


def test_a_poison_event_in_a_batch_fails_alone(
    emulator: RunningEmulator, settings: ServiceSettings, database_url: str,
    db: psycopg.Connection[Any],
) -> None:
    """One batch, one bad line (no line_item_id): the good events still commit."""
    finance = emulator.emulator.finance
    good = [finance.record(ORG, "invoices", i) for i in finance.create(ORG, "invoices", count=2)]
    bad = finance.record(ORG, "invoices", finance.create(ORG, "invoices")[0])
    bad["line_items"][0].pop("line_item_id")
    with run_service(settings, database_url, run_worker=False) as service:
        for record in [good[0], bad, good[1]]:
            assert post(service, orjson.dumps({"invoice": record})).status_code == 202
    processor = Processor(settings, lambda: None)
    with connect(database_url) as connection:
        outcome = processor.run_once(connection)
    assert (outcome.processed, outcome.failed, outcome.dead) == (2, 1, 0)
    rows = inbox_rows(db, settings)
    assert [(r[4], r[5]) for r in rows] == [("done", 1), ("pending", 1), ("done", 1)]
    assert bad["invoice_id"] in rows[1][6]
    assert "line_item_id" in rows[1][6]
    assert sorted(r[0] for r in erp_rows(db, settings, "invoices", "zoho_id")) == sorted(
        r["invoice_id"] for r in good)
