"""Helpers for tests, the demo and benchmarks: run the real service on a free port."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import uvicorn

from zoho_webhooks.app import build_app
from zoho_webhooks.server import server_config

if TYPE_CHECKING:
    from collections.abc import Iterator

    from zoho_webhooks.service import Runtime
    from zoho_webhooks.settings import ServiceSettings

DEMO_WEBHOOK_SECRET = "demo-webhook-secret"  # noqa: S105 - the emulator's documented default
DEMO_ZOHO = {"client_id": "1000.DEMOCLIENTID", "client_secret": "demo-client-secret",
             "refresh_token": "1000.demo.refresh-token"}  # fmt: skip


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_env(
    settings: ServiceSettings, database_url: str, **extra: str
) -> dict[str, str]:
    """The environment a `zoho-webhooks` subprocess reads these settings from (tests).

    `extra` adds or overrides `ZOHO_WEBHOOKS_*` variables, e.g. `CLAIM_BATCH="5"`.
    """
    return {
        **os.environ,
        "ZOHO_WEBHOOK_SECRET": settings.webhook_secret,
        "ZOHO_WEBHOOKS_DATABASE_URL": database_url,
        "ZOHO_WEBHOOKS_SCHEMA": settings.service_schema,
        "ZOHO_WEBHOOKS_ERP_SCHEMA": settings.erp_schema,
        "ZOHO_WEBHOOKS_RAW_SCHEMA": settings.raw_schema,
        "ZOHO_WEBHOOKS_NOTIFY_CHANNEL": settings.notify_channel,
        "ZOHO_WEBHOOKS_POLL_SECONDS": str(settings.poll_seconds),
        **{f"ZOHO_WEBHOOKS_{name}": value for name, value in extra.items()},
        **{f"TAP_ZOHO_{key.upper()}": str(value) for key, value in settings.zoho.items()},
    }


def demo_zoho_settings(emulator_url: str) -> dict[str, Any]:
    """Tap settings that reach a running emulator with its demo credentials."""
    return {**DEMO_ZOHO, "accounts_url": emulator_url, "api_domain": emulator_url,
            "requests_per_minute": "6000"}  # fmt: skip


@dataclass
class RunningService:
    """A served app: its base URL and its runtime (intake, workers, metrics)."""

    base_url: str
    runtime: Runtime


@contextlib.contextmanager
def run_service(
    settings: ServiceSettings, database_url: str, *, run_worker: bool = True
) -> Iterator[RunningService]:
    """Serve the real app under uvicorn in a thread until the block ends."""
    port = free_port()
    app = build_app(settings, database_url, run_worker=run_worker)
    server = uvicorn.Server(server_config(app, settings, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, name="zoho-webhooks-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            msg = "zoho-webhooks did not start"
            raise RuntimeError(msg)
        time.sleep(0.02)
    try:
        yield RunningService(f"http://127.0.0.1:{port}", app.state.runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
