"""`<raw>.rejects`: the records the ERP could not take, with the reason, kept and logged.

A rejected record is never a silent drop: it stays in its raw table (when it could land)
and in `rejects` until a later version of it maps, and every reject is logged with its
stream and key.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from psycopg import sql

from target_tsh_erp.store.isolation import stored_key

if TYPE_CHECKING:
    import psycopg

    from target_tsh_erp.store.batch import Batch

__all__ = ["record_rejects"]

logger = logging.getLogger(__name__)


def record_rejects(
    connection: psycopg.Connection[Any],
    raw_schema: str,
    batch: Batch,
    mapped_keys: dict[str, list[str]],
) -> None:
    """Keep rejects (latest reason per record) and clear those now mapped."""
    table = sql.Identifier(raw_schema, "rejects")
    rejects = batch.result.rejects
    if rejects:
        by_key = {(r.stream, r.key): r for r in rejects}
        records = batch.reject_records
        with connection.cursor() as cursor:
            cursor.executemany(
                sql.SQL(
                    "INSERT INTO {} (stream, record_key, reason, record)"
                    " VALUES (%s, %s, %s, %s::jsonb) ON CONFLICT (stream, record_key)"
                    " DO UPDATE SET reason = excluded.reason, record = excluded.record,"
                    " rejected_at = now()"
                ).format(table),
                [(r.stream, stored_key(r.key), r.reason,
                  records.get((r.stream, r.key), "{}")) for r in by_key.values()],
            )
        for reject in by_key.values():
            logger.warning("Rejected %s record %s: %s", reject.stream, reject.key,
                           reject.reason)
    for stream, keys in mapped_keys.items():
        if not keys:
            continue
        exists = connection.execute(
            sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE stream = %s)").format(table),
            (stream,),
        ).fetchone()
        if exists and exists[0]:
            connection.execute(
                sql.SQL("DELETE FROM {} WHERE stream = %s AND record_key = ANY(%s)").format(
                    table
                ),
                (stream, [stored_key(key) for key in keys]),
            )
