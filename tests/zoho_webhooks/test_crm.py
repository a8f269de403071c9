"""CRM: our channel is created and renewed through the watch API; notifications become rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from psycopg import sql

from target_tsh_erp.database import connect
from tests.zoho_webhooks.support import erp_rows, inbox_rows, settled, wait_for
from zoho_emulator.crm.service import Crm
from zoho_webhooks import crm
from zoho_webhooks.service import client_factory, prepare_database

if TYPE_CHECKING:
    import psycopg

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.settings import ServiceSettings
    from zoho_webhooks.testing import RunningService


def subscribe(settings: ServiceSettings, database_url: str, **options: Any) -> list[dict[str, Any]]:
    client = client_factory(settings)
    assert client is not None
    prepare_database(settings, database_url)
    with connect(database_url) as connection:
        return crm.subscribe(connection, settings, client, **options)


def test_crm_notifications_become_erp_rows(
    emulator: RunningEmulator, service: RunningService, settings: ServiceSettings,
    database_url: str, db: psycopg.Connection[Any],
) -> None:
    settings = replace(settings, public_url=service.base_url)
    [created] = subscribe(settings, database_url)
    assert created["action"] == "created"
    store = Crm.of(emulator.emulator)
    [account] = store.create("Accounts", values={"Account_Name": "Webhook Traders"})
    deals = store.create("Deals", count=3)
    store.update("Deals", ids=[deals[0]], values={"Stage": "Closed Won"})
    store.flush_notifications()
    wait_for(lambda: settled(db, settings))
    assert {r[4] for r in inbox_rows(db, settings)} == {"done"}
    assert dict(erp_rows(db, settings, "crm_accounts", "zoho_id, name"))[account] == (
        "Webhook Traders")
    opportunities = dict(erp_rows(db, settings, "opportunities", "zoho_id, stage"))
    assert sorted(opportunities) == sorted(deals)
    assert opportunities[deals[0]] == "Closed Won"

    store.delete("Deals", ids=[deals[1]])
    store.flush_notifications()
    wait_for(lambda: settled(db, settings))
    deleted = dict(erp_rows(db, settings, "opportunities", "zoho_id, deleted_at"))
    assert deleted[deals[1]] is not None
    assert deleted[deals[0]] is None

    health = requests.get(f"{service.base_url}/health", timeout=5).json()
    [channel] = health["crm_channels"]
    assert channel["channel_id"] == created["channel_id"]
    assert "token" not in channel


def test_channels_are_renewed_before_they_expire(
    settings: ServiceSettings, database_url: str,
) -> None:
    short = replace(settings, crm_channel_ttl_seconds=600, crm_renew_before_seconds=300)
    [first] = subscribe(short, database_url)
    [kept] = subscribe(short, database_url)
    assert (first["action"], kept["action"]) == ("created", "kept")
    eager = replace(short, crm_renew_before_seconds=900)  # now "about to expire"
    [renewed] = subscribe(eager, database_url)
    assert renewed["action"] == "renewed"
    assert renewed["channel_id"] == first["channel_id"]
    assert datetime.fromisoformat(renewed["expires_at"]) > datetime.now(UTC) + timedelta(
        seconds=500)
    # Zoho (the emulator) knows the renewed expiry.
    client = client_factory(settings)
    assert client is not None
    listed = client.request_json("crm", "/actions/watch",
                                 params={"channel_id": first["channel_id"]})
    assert listed["watch"][0]["channel_expiry"]


def test_the_running_service_renews_a_channel_near_expiry(
    service: RunningService, settings: ServiceSettings, database_url: str,
    db: psycopg.Connection[Any],
) -> None:
    short = replace(settings, public_url=service.base_url, crm_channel_ttl_seconds=600)
    [created] = subscribe(short, database_url)
    service.runtime.renew_channels()  # what its renewal thread does every minute
    [channel] = service.runtime.health()[1]["crm_channels"]
    assert channel["channel_id"] == created["channel_id"]
    assert channel["expires_in_seconds"] > 3600, "renewed for the configured day"
    assert service.runtime.renew_errors == 0
    assert db.execute(
        sql.SQL("SELECT count(*) FROM {}.crm_channels").format(
            sql.Identifier(settings.service_schema))).fetchone() == (1,)
