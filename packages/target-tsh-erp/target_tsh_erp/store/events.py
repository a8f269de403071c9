"""Sync events (the seed's names) in an outbox table, announced with NOTIFY.

The outbox row and the NOTIFY share the caller's transaction: the ERP application hears
about data only once it is committed, and a listener that was away reads the outbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from psycopg import sql

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "ENTITY_SYNCED",
    "SYNC_COMPLETED",
    "SYNC_FAILED",
    "SYNC_STARTED",
    "publish",
]

SYNC_STARTED = "tds.zoho.sync.started"
SYNC_COMPLETED = "tds.zoho.sync.completed"
SYNC_FAILED = "tds.zoho.sync.failed"
ENTITY_SYNCED = "tds.zoho.entity.synced"

_NOTIFY_LIMIT = 7900
"""PostgreSQL NOTIFY payloads must stay under 8000 bytes."""


def publish(
    connection: psycopg.Connection[Any],
    erp_schema: str,
    channel: str,
    event_type: str,
    payload: dict[str, Any],
) -> int:
    """Write one event to `<erp>.events_outbox` and NOTIFY `channel`; return its id."""
    body = orjson.dumps(payload).decode()
    row = connection.execute(
        sql.SQL(
            "INSERT INTO {}.events_outbox (event_type, payload) VALUES (%s, %s::jsonb)"
            " RETURNING id"
        ).format(sql.Identifier(erp_schema)),
        (event_type, body),
    ).fetchone()
    event_id = int(row[0]) if row else 0
    message = orjson.dumps({"id": event_id, "event_type": event_type, "payload": payload})
    if len(message) > _NOTIFY_LIMIT:
        message = orjson.dumps({"id": event_id, "event_type": event_type})
    connection.execute("SELECT pg_notify(%s, %s)", (channel, message.decode()))
    return event_id
