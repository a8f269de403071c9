"""The service's own tables: versioned migrations in their own schema.

The inbox is the service's promise: a delivery is acknowledged only once its row is
committed here, and a row leaves `pending` only in the transaction that wrote its ERP
rows. The target's migrations stay the target's; these live in `zoho_webhooks` (by
default) with their own version table, guarded by an advisory lock so several processes
can start at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import Callable

    import psycopg

_LOCK_KEY = 0x7A0E_B00C
"""Advisory lock serialising migrations across processes."""


def _v1(schema: str) -> list[sql.Composed]:
    s = sql.Identifier(schema)
    return [
        sql.SQL(
            "CREATE TABLE {}.inbox ("
            " id bigserial PRIMARY KEY,"
            " delivery_key text NOT NULL UNIQUE,"
            " source text NOT NULL,"
            " module text NOT NULL,"
            " operation text NOT NULL,"
            " organization_id text,"
            " record_ids text[] NOT NULL DEFAULT '{{}}',"
            " event_time timestamptz,"
            " payload bytea NOT NULL,"
            " received_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
            " status text NOT NULL DEFAULT 'pending'"
            "   CHECK (status IN ('pending', 'done', 'dead')),"
            " attempts integer NOT NULL DEFAULT 0,"
            " next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
            " last_error text,"
            " processed_at timestamptz,"
            " duplicates integer NOT NULL DEFAULT 0)"
        ).format(s),
        sql.SQL(
            "CREATE INDEX inbox_pending ON {}.inbox (next_attempt_at, id)"
            " WHERE status = 'pending'"
        ).format(s),
        sql.SQL("CREATE INDEX inbox_received ON {}.inbox (received_at)").format(s),
        sql.SQL("CREATE INDEX inbox_processed ON {}.inbox (processed_at)").format(s),
        sql.SQL("CREATE INDEX inbox_dead ON {}.inbox (id) WHERE status = 'dead'").format(s),
        sql.SQL(
            "CREATE TABLE {}.crm_channels ("
            " channel_id bigint PRIMARY KEY,"
            " token text NOT NULL,"
            " events text[] NOT NULL,"
            " notify_url text NOT NULL,"
            " expires_at timestamptz NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now(),"
            " renewed_at timestamptz NOT NULL DEFAULT now(),"
            " active boolean NOT NULL DEFAULT true)"
        ).format(s),
    ]


MIGRATIONS: list[Callable[[str], list[sql.Composed]]] = [_v1]
LATEST_VERSION = len(MIGRATIONS)


def migrate(connection: psycopg.Connection[Any], schema: str) -> int:
    """Bring the service schema to the latest version and commit; returns the version."""
    s = sql.Identifier(schema)
    connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
    connection.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.schema_version ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        ).format(s)
    )
    row = connection.execute(
        sql.SQL("SELECT coalesce(max(version), 0) FROM {}.schema_version").format(s)
    ).fetchone()
    current = int(row[0]) if row else 0
    if current > LATEST_VERSION:
        connection.rollback()
        msg = (f"schema {schema} is at version {current}, newer than this service"
               f" ({LATEST_VERSION}); upgrade zoho-webhooks")  # fmt: skip
        raise RuntimeError(msg)
    for version in range(current + 1, LATEST_VERSION + 1):
        for statement in MIGRATIONS[version - 1](schema):
            connection.execute(statement)
        connection.execute(
            sql.SQL("INSERT INTO {}.schema_version (version) VALUES (%s)").format(s), (version,)
        )
    connection.commit()
    return LATEST_VERSION
