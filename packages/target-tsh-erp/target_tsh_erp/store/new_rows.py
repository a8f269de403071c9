"""Rows with no stored counterpart yet: COPY them straight into their table.

A first load is almost only such rows. Staging them in a temp table and merging with
`INSERT ... ON CONFLICT` writes every row twice and probes its key twice; a row whose key
is not stored (looked up once per batch) and appears once in the batch has nothing to
merge with, so it is COPYed into the real table directly: PostgreSQL's bulk heap insert,
one jsonb parse, no stage. What a plain COPY cannot do stays on the merge path: keys
already stored (the stale-update guard, unchanged rows, enrichment), keys repeated within
the batch (the newest wins) and, should another writer (the webhook service) insert the
same key between the lookup and the COPY, the whole set, retried through the merge.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson
import psycopg
from psycopg import errors

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from psycopg import sql

__all__ = ["copy_new_rows", "key_payload"]

logger = logging.getLogger(__name__)


def key_payload(keys: Iterable[Sequence[Any]]) -> str:
    """Keys as one JSON array of arrays, read in SQL with `json_array_elements`.

    orjson writes it in C; psycopg would adapt a `text[]` element by element in Python
    (five times slower for a batch of 5,000 keys).
    """
    return orjson.dumps([list(key) for key in keys]).decode()


def copy_new_rows(
    connection: psycopg.Connection[Any],
    statement: sql.Composed,
    rows: Sequence[Sequence[Any]],
    *,
    table: str,
) -> bool:
    """COPY rows into a real table inside a savepoint; False if another writer raced us.

    A unique (or foreign-key) violation means a key looked up as new was inserted (or a
    parent removed) by a concurrent transaction: the savepoint is rolled back, nothing
    of the set is kept, and the caller merges the set instead. Any other error is the
    batch's and propagates.
    """
    try:
        with (
            connection.transaction(),
            connection.cursor() as cursor,
            cursor.copy(statement) as copy,
        ):
            for row in rows:
                copy.write_row(row)
    except (errors.UniqueViolation, errors.ForeignKeyViolation) as error:
        logger.info("%s: %d new rows met a concurrent write (%s); merging them instead",
                    table, len(rows), error.diag.message_primary or type(error).__name__)
        return False
    return True
