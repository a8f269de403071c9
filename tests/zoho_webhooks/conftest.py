"""One embedded PostgreSQL per session, fresh schemas per test, a real emulator."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from target_tsh_erp.database import connect, embedded
from zoho_emulator.testing import run_emulator
from zoho_webhooks.settings import ServiceSettings
from zoho_webhooks.testing import DEMO_WEBHOOK_SECRET, demo_zoho_settings, run_service

if TYPE_CHECKING:
    from collections.abc import Iterator

    import psycopg

    from zoho_emulator.testing import RunningEmulator
    from zoho_webhooks.testing import RunningService

_SCHEMAS = itertools.count()
ORG = "10234695"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """Our own folder: pytest prunes old `pytest-N` folders of concurrent sessions."""
    folder = Path(tempfile.mkdtemp(prefix="zoho-webhooks-tests-"))
    try:
        with embedded(folder / "pgdata") as database:
            yield database.url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[RunningEmulator]:
    with run_emulator(scale=25) as running:
        yield running


@pytest.fixture
def emulator(shared_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    """One emulator per module; each test starts with no webhook registrations."""
    yield shared_emulator
    shared_emulator.emulator.webhooks.clear()


@pytest.fixture
def settings(emulator: RunningEmulator) -> ServiceSettings:
    """Unique schemas per test; quick retries; the emulator's demo credentials."""
    n = next(_SCHEMAS)
    return ServiceSettings(
        webhook_secret=DEMO_WEBHOOK_SECRET, erp_schema=f"erp_w{n}", raw_schema=f"raw_w{n}",
        notify_channel=f"events_w{n}", service_schema=f"zoho_webhooks_w{n}",
        max_body_bytes=64 * 1024, replay_window_seconds=600, max_attempts=3,
        retry_base_seconds=0.05, retry_max_seconds=0.2, poll_seconds=0.05,
        zoho=demo_zoho_settings(emulator.base_url),
    )


@pytest.fixture
def service(settings: ServiceSettings, database_url: str) -> Iterator[RunningService]:
    with run_service(settings, database_url) as running:
        yield running


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    connection = connect(database_url, autocommit=True)
    yield connection
    connection.close()


def without_credentials(settings: ServiceSettings) -> ServiceSettings:
    """The same settings with no Zoho credentials (partial payloads cannot be completed)."""
    return replace(settings, zoho={})
