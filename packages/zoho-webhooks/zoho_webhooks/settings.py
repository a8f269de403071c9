"""Service settings, read from the environment once at start-up.

The Zoho credentials use the tap's setting names (`TAP_ZOHO_CLIENT_ID`, ...), so one
`.env` configures the batch path and the real-time path alike. Secrets live only in the
returned object, never in its `repr` (logs print settings on start-up).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from target_tsh_erp.settings import (
    DEFAULT_EMBEDDED_DATA_DIR,
    DEFAULT_ERP_SCHEMA,
    DEFAULT_NOTIFY_CHANNEL,
    DEFAULT_RAW_SCHEMA,
    WriterSettings,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_EMBEDDED_DIR = DEFAULT_EMBEDDED_DATA_DIR
"""The same embedded database as the target's (both write one ERP)."""
DEFAULT_CRM_EVENTS = ("Accounts.all", "Contacts.all", "Deals.all")
_TAP_KEYS = ("client_id", "client_secret", "refresh_token", "accounts_url", "api_domain",
             "region", "requests_per_minute", "token_store")  # fmt: skip
"""The tap's settings the service's Zoho client uses; `token_store` lets it share the
access token of the batch jobs instead of minting its own."""


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        msg = f"{name} must be an integer, got {raw!r}"
        raise SettingsError(msg) from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        msg = f"{name} must be a non-negative number, got {raw!r}"
        raise SettingsError(msg)
    return value


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Everything the service, the worker and the commands need."""

    webhook_secret: str = field(repr=False, default="")
    database_url: str | None = field(repr=False, default=None)
    embedded_dir: str = DEFAULT_EMBEDDED_DIR
    erp_schema: str = DEFAULT_ERP_SCHEMA
    raw_schema: str = DEFAULT_RAW_SCHEMA
    notify_channel: str = DEFAULT_NOTIFY_CHANNEL
    service_schema: str = "zoho_webhooks"
    max_body_bytes: int = 1_048_576
    replay_window_seconds: int = 3600
    max_attempts: int = 5
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    worker_threads: int = 1
    intake_writers: int = 3
    claim_batch: int = 50
    poll_seconds: float = 0.2
    public_url: str = "http://127.0.0.1:8080"
    crm_events: tuple[str, ...] = DEFAULT_CRM_EVENTS
    crm_channel_ttl_seconds: int = 86_400
    crm_renew_before_seconds: int = 3600
    header_timeout_seconds: float = 10.0
    """A request's headers must be complete this long after the connection (or its
    previous response); else the connection is closed (slow-header clients)."""
    body_timeout_seconds: float = 30.0
    """A webhook's whole body must arrive within this; else 408 and the connection closes."""
    keep_alive_seconds: float = 5.0
    max_connections: int = 256
    """Concurrent connections and requests; beyond it uvicorn answers 503 (Zoho retries)."""
    max_header_bytes: int = 16_384
    health_max_pending_age_seconds: float = 600.0
    """/health answers 503 when the oldest pending event is older (the worker is stuck)."""
    zoho: dict[str, Any] = field(repr=False, default_factory=dict)
    """Tap settings (client id, secret, refresh token, accounts URL, ...)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceSettings:
        """Read `ZOHO_WEBHOOK_SECRET`, `ZOHO_WEBHOOKS_*` and the tap's `TAP_ZOHO_*`."""
        source = os.environ if env is None else env
        zoho = {key: source[f"TAP_ZOHO_{key.upper()}"] for key in _TAP_KEYS
                if source.get(f"TAP_ZOHO_{key.upper()}")}  # fmt: skip
        events = source.get("ZOHO_WEBHOOKS_CRM_EVENTS", "").strip()
        return cls(
            webhook_secret=source.get("ZOHO_WEBHOOK_SECRET", ""),
            database_url=source.get("ZOHO_WEBHOOKS_DATABASE_URL") or None,
            embedded_dir=source.get("ZOHO_WEBHOOKS_EMBEDDED_DIR") or DEFAULT_EMBEDDED_DIR,
            erp_schema=source.get("ZOHO_WEBHOOKS_ERP_SCHEMA") or DEFAULT_ERP_SCHEMA,
            raw_schema=source.get("ZOHO_WEBHOOKS_RAW_SCHEMA") or DEFAULT_RAW_SCHEMA,
            notify_channel=source.get("ZOHO_WEBHOOKS_NOTIFY_CHANNEL") or DEFAULT_NOTIFY_CHANNEL,
            service_schema=source.get("ZOHO_WEBHOOKS_SCHEMA") or "zoho_webhooks",
            max_body_bytes=_int(source, "ZOHO_WEBHOOKS_MAX_BODY_BYTES", 1_048_576),
            replay_window_seconds=_int(source, "ZOHO_WEBHOOKS_REPLAY_WINDOW_SECONDS", 3600),
            max_attempts=_int(source, "ZOHO_WEBHOOKS_MAX_ATTEMPTS", 5),
            retry_base_seconds=_float(source, "ZOHO_WEBHOOKS_RETRY_BASE_SECONDS", 2.0),
            retry_max_seconds=_float(source, "ZOHO_WEBHOOKS_RETRY_MAX_SECONDS", 300.0),
            worker_threads=_int(source, "ZOHO_WEBHOOKS_WORKER_THREADS", 1),
            intake_writers=_int(source, "ZOHO_WEBHOOKS_INTAKE_WRITERS", 3),
            claim_batch=_int(source, "ZOHO_WEBHOOKS_CLAIM_BATCH", 50),
            poll_seconds=_float(source, "ZOHO_WEBHOOKS_POLL_SECONDS", 0.2),
            public_url=(source.get("ZOHO_WEBHOOKS_PUBLIC_URL") or "http://127.0.0.1:8080"),
            crm_events=tuple(e.strip() for e in events.split(",") if e.strip())
            or DEFAULT_CRM_EVENTS,
            crm_channel_ttl_seconds=_int(source, "ZOHO_WEBHOOKS_CRM_CHANNEL_TTL_SECONDS", 86_400),
            crm_renew_before_seconds=_int(source, "ZOHO_WEBHOOKS_CRM_RENEW_BEFORE_SECONDS", 3600),
            header_timeout_seconds=_float(source, "ZOHO_WEBHOOKS_HEADER_TIMEOUT_SECONDS", 10.0),
            body_timeout_seconds=_float(source, "ZOHO_WEBHOOKS_BODY_TIMEOUT_SECONDS", 30.0),
            keep_alive_seconds=_float(source, "ZOHO_WEBHOOKS_KEEP_ALIVE_SECONDS", 5.0),
            max_connections=_int(source, "ZOHO_WEBHOOKS_MAX_CONNECTIONS", 256),
            max_header_bytes=_int(source, "ZOHO_WEBHOOKS_MAX_HEADER_BYTES", 16_384),
            health_max_pending_age_seconds=_float(
                source, "ZOHO_WEBHOOKS_HEALTH_MAX_PENDING_AGE_SECONDS", 600.0
            ),
            zoho=zoho,
        )

    @property
    def writer_settings(self) -> WriterSettings:
        """The target's schema names and NOTIFY channel."""
        return WriterSettings(erp_schema=self.erp_schema, raw_schema=self.raw_schema,
                              notify_channel=self.notify_channel)  # fmt: skip

    @property
    def has_zoho_credentials(self) -> bool:
        """Whether partial payloads can be completed from Zoho."""
        return all(self.zoho.get(key) for key in ("client_id", "client_secret", "refresh_token"))
