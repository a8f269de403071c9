"""CRM: complete id-only notifications from Zoho, and keep our watch channels alive.

Notifications carry ids only, so records are fetched through the tap's client (same
token manager, pacing and retries): up to 100 ids per call, and fields in groups of at
most 50 (CRM's limit) merged by id. Datetime fields (from the module's field metadata)
become UTC, as the tap's contract requires.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from psycopg import sql

from tap_zoho.normalize import utc_datetime

if TYPE_CHECKING:
    import psycopg

    from tap_zoho.api import UnifiedZohoClient
    from zoho_webhooks.settings import ServiceSettings

logger = logging.getLogger("zoho_webhooks.crm")

IDS_PER_CALL = 100
FIELDS_PER_CALL = 50
MAX_CHANNEL_TTL = timedelta(days=7)
"""CRM v4+ refuses a channel expiry more than a week ahead."""


@dataclass(frozen=True, slots=True)
class ModuleFields:
    """A module's field API names and which of them are datetimes."""

    names: list[str]
    datetimes: frozenset[str]


class CrmRecords:
    """Fetches current CRM records by id, shaped as the tap's `crm_<module>` streams."""

    def __init__(self, client: UnifiedZohoClient) -> None:
        """Metadata is cached for the process's lifetime (field changes need a restart)."""
        self.client = client
        self._fields: dict[str, ModuleFields] = {}
        self._org: str | None = None

    def organization_id(self) -> str:
        """The CRM org id (every CRM record's `organization_id`)."""
        if self._org is None:
            body = self.client.request_json("crm", "/org", label="webhooks:crm_org")
            orgs = body.get("org") or []
            if not orgs or not orgs[0].get("id"):
                msg = "GET /crm/v8/org returned no organization id"
                raise RuntimeError(msg)
            self._org = str(orgs[0]["id"])
        return self._org

    def fields(self, module: str) -> ModuleFields:
        """The module's fields (one metadata call per module per process)."""
        cached = self._fields.get(module)
        if cached is None:
            body = self.client.request_json(
                "crm", "/settings/fields", params={"module": module},
                label=f"webhooks:crm_{module.lower()}_fields",
            )  # fmt: skip
            found = [f for f in body.get("fields") or [] if isinstance(f.get("api_name"), str)]
            cached = ModuleFields(
                [str(f["api_name"]) for f in found],
                frozenset(str(f["api_name"]) for f in found if f.get("data_type") == "datetime"),
            )
            self._fields[module] = cached
        return cached

    def fetch(self, module: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Current records by id; ids Zoho no longer has are simply absent."""
        meta = self.fields(module)
        names = [name for name in meta.names if name != "id"] or ["Modified_Time"]
        org = self.organization_id()
        records: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), IDS_PER_CALL):
            chunk = unique[start : start + IDS_PER_CALL]
            for field_start in range(0, len(names), FIELDS_PER_CALL - 1):
                group = ["id", *names[field_start : field_start + FIELDS_PER_CALL - 1]]
                body = self.client.request_json(
                    "crm", f"/{module}",
                    params={"ids": ",".join(chunk), "fields": ",".join(group)},
                    label=f"webhooks:crm_{module.lower()}", quota_key=org,
                )  # fmt: skip
                for data in body.get("data") or []:
                    record = records.setdefault(str(data["id"]), {"organization_id": org})
                    record.update(data)
        for record in records.values():
            for name in meta.datetimes:
                if name in record:
                    record[name] = utc_datetime(record[name])
            record["id"] = str(record["id"])
        return records

    def deletion(self, module: str, record_id: str, when: datetime | None) -> dict[str, Any]:
        """A `crm_deleted_records` record, as the tap emits it for `/deleted`.

        Its `deleted_time` dates the deletion in the target (the stale guard keeps the
        record deleted against any copy modified before it): Zoho's time when the
        notification has one, else the caller's time of receipt.
        """
        return {
            "organization_id": self.organization_id(), "module": module, "id": record_id,
            "deleted_time": (when or datetime.now(UTC)).astimezone(UTC).isoformat(),
            "type": "recycle", "display_name": None, "deleted_by": None,
        }  # fmt: skip


def load_channels(connection: psycopg.Connection[Any], settings: ServiceSettings) -> dict[int, str]:
    """Active channel ids and their tokens (what authenticates a notification)."""
    rows = connection.execute(
        sql.SQL("SELECT channel_id, token FROM {} WHERE active").format(
            sql.Identifier(settings.service_schema, "crm_channels")
        )
    ).fetchall()
    connection.commit()
    return {int(row[0]): str(row[1]) for row in rows}


def channel_token(
    connection: psycopg.Connection[Any], settings: ServiceSettings, channel_id: int
) -> str | None:
    """One active channel's token, or None."""
    row = connection.execute(
        sql.SQL("SELECT token FROM {} WHERE channel_id = %s AND active").format(
            sql.Identifier(settings.service_schema, "crm_channels")
        ),
        (channel_id,),
    ).fetchone()
    connection.commit()
    return str(row[0]) if row else None


def channel_status(
    connection: psycopg.Connection[Any], settings: ServiceSettings
) -> list[dict[str, Any]]:
    """For /health: each channel's events and expiry (never its token)."""
    rows = connection.execute(
        sql.SQL("SELECT channel_id, events, expires_at, renewed_at FROM {} WHERE active"
                " ORDER BY channel_id").format(
            sql.Identifier(settings.service_schema, "crm_channels"))
    ).fetchall()  # fmt: skip
    connection.commit()
    now = datetime.now(UTC)
    return [{"channel_id": str(r[0]), "events": list(r[1]), "expires_at": r[2].isoformat(),
             "expires_in_seconds": int((r[2] - now).total_seconds()),
             "renewed_at": r[3].isoformat()} for r in rows]  # fmt: skip


def subscribe(
    connection: psycopg.Connection[Any],
    settings: ServiceSettings,
    client: UnifiedZohoClient,
    *,
    force: bool = False,
) -> list[dict[str, Any]]:
    """Create our channel, or renew it when it expires within the renewal margin.

    One channel watches every configured event. The token is random per channel and
    stored only in our database (Zoho echoes it; it is the notification's only proof).
    Returns what was done, for the command's output and the renewal loop's log.
    """
    table = sql.Identifier(settings.service_schema, "crm_channels")
    ttl = min(timedelta(seconds=settings.crm_channel_ttl_seconds), MAX_CHANNEL_TTL)
    notify_url = settings.public_url.rstrip("/") + "/webhooks/crm"
    now = datetime.now(UTC)
    expiry = (now + ttl).replace(microsecond=0)
    events = list(settings.crm_events)
    row = connection.execute(
        sql.SQL("SELECT channel_id, token, expires_at FROM {} WHERE active"
                " ORDER BY channel_id LIMIT 1 FOR UPDATE").format(table)
    ).fetchone()  # fmt: skip
    if row is not None and not force and row[2] - now > timedelta(
        seconds=settings.crm_renew_before_seconds
    ):
        connection.commit()
        return [{"channel_id": str(row[0]), "action": "kept", "expires_at": row[2].isoformat()}]
    channel_id = int(row[0]) if row else 1_000_000_000_000 + secrets.randbelow(10**12)
    token = str(row[1]) if row else secrets.token_urlsafe(30)[:40]
    watch = {"channel_id": channel_id, "events": events, "token": token,
             "notify_url": notify_url, "channel_expiry": expiry.isoformat(),
             "notify_on_related_action": False}  # fmt: skip
    body = client.request_json(
        "crm", "/actions/watch", method="PUT" if row else "POST",
        json_body={"watch": [watch]}, label="webhooks:crm_watch",
    )  # fmt: skip
    results = body.get("watch") or [{}]
    if results[0].get("status") != "success":
        connection.rollback()
        msg = (f"CRM watch {'renewal' if row else 'creation'} for channel {channel_id} failed:"
               f" {results[0].get('code')} {results[0].get('message')}")  # fmt: skip
        raise RuntimeError(msg)
    connection.execute(
        sql.SQL("INSERT INTO {} (channel_id, token, events, notify_url, expires_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (channel_id) DO UPDATE SET"
                " events = excluded.events, notify_url = excluded.notify_url,"
                " expires_at = excluded.expires_at, renewed_at = now(), active = true")
        .format(table), (channel_id, token, events, notify_url, expiry),
    )  # fmt: skip
    connection.commit()
    action = "renewed" if row else "created"
    logger.info("CRM channel %s %s until %s for %s", channel_id, action, expiry.isoformat(),
                ", ".join(events))  # fmt: skip
    return [{"channel_id": str(channel_id), "action": action, "expires_at": expiry.isoformat()}]
