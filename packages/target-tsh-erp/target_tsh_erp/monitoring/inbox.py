"""The webhook service's inbox, read from its own tables when they exist.

zoho-webhooks keeps every delivery in `<service schema>.inbox` (status pending, done or
dead). The batch path's page shows it beside the syncs because an operator asks one
question: is Zoho's data reaching the ERP, by either road. Read-only; a database without
the service has no inbox and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    import psycopg

__all__ = ["DEFAULT_WEBHOOK_SCHEMA", "InboxFigures", "load_inbox"]

DEFAULT_WEBHOOK_SCHEMA = "zoho_webhooks"
"""zoho_webhooks' default `ZOHO_WEBHOOKS_SCHEMA`."""


@dataclass(frozen=True, slots=True)
class InboxFigures:
    """Pending and dead deliveries, and how long the oldest pending one has waited."""

    pending: int
    dead: int
    oldest_pending_age: timedelta | None


def load_inbox(
    connection: psycopg.Connection[Any], schema: str, now: datetime
) -> InboxFigures | None:
    """The inbox figures, or None when the webhook service has no tables here."""
    exists = connection.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s"
        " AND table_name = 'inbox'",
        (schema,),
    ).fetchone()
    if exists is None:
        return None
    row = connection.execute(
        sql.SQL(
            "SELECT count(*) FILTER (WHERE status = 'pending'),"
            " count(*) FILTER (WHERE status = 'dead'),"
            " min(received_at) FILTER (WHERE status = 'pending') FROM {}.inbox"
        ).format(sql.Identifier(schema))
    ).fetchone()
    pending, dead, oldest = row if row is not None else (0, 0, None)
    age = None if oldest is None else max(now - oldest, timedelta(0))
    return InboxFigures(int(pending), int(dead), age)
