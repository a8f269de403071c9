"""Small helpers shared by this folder's tests (queries and waits, no fakes)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import Callable

    import psycopg

    from zoho_webhooks.settings import ServiceSettings


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            msg = "condition not met in time"
            raise AssertionError(msg)
        time.sleep(0.05)


def inbox_rows(db: psycopg.Connection[Any], settings: ServiceSettings) -> list[tuple[Any, ...]]:
    exists = db.execute("SELECT to_regclass(%s)", (f"{settings.service_schema}.inbox",)).fetchone()
    if exists is None or exists[0] is None:
        return []
    return db.execute(
        sql.SQL("SELECT id, source, module, operation, status, attempts, last_error"
                " FROM {}.inbox ORDER BY id").format(sql.Identifier(settings.service_schema))
    ).fetchall()


def settled(db: psycopg.Connection[Any], settings: ServiceSettings) -> bool:
    rows = inbox_rows(db, settings)
    return bool(rows) and all(row[4] != "pending" for row in rows)


def erp_rows(
    db: psycopg.Connection[Any], settings: ServiceSettings, table: str, columns: str = "*"
) -> list[tuple[Any, ...]]:
    exists = db.execute("SELECT to_regclass(%s)", (f"{settings.erp_schema}.{table}",)).fetchone()
    if exists is None or exists[0] is None:
        return []
    return db.execute(
        sql.SQL("SELECT {} FROM {}.{} ORDER BY zoho_id").format(
            sql.SQL(columns), sql.Identifier(settings.erp_schema), sql.Identifier(table))
    ).fetchall()


def outbox(db: psycopg.Connection[Any], settings: ServiceSettings, event_type: str) -> list[Any]:
    return [row[0] for row in db.execute(
        sql.SQL("SELECT payload FROM {}.events_outbox WHERE event_type = %s ORDER BY id")
        .format(sql.Identifier(settings.erp_schema)), (event_type,),
    ).fetchall()]
