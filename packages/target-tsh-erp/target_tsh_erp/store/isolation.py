"""One record the database refuses must not lose its batch: find it, reject it, keep the rest.

A value can pass every check in Python and still be refused by PostgreSQL: a 10 KB key
is longer than a btree index entry may be, a number or text beyond a column's limits.
Such an error aborts the batch's transaction; written again, the batch would fail again
on every rerun. So the batch is written again in halves, each in a savepoint, down to
the single records that fail: those are rejected (stream and key named, kept in
`<raw>.rejects`) and everything else commits in the same transaction.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson
import psycopg
from psycopg import errors

from target_tsh_erp.mapping.registry import DELETED_RECORDS_STREAM
from target_tsh_erp.redaction import ExplainedError, one_line, redact
from target_tsh_erp.store.batch import (
    RAW_ORGANIZATION,
    ApplyResult,
    Batch,
    PreparedBatch,
    RawPart,
    Reject,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "MAX_REFUSED_RECORDS",
    "MAX_STORED_KEY",
    "RECORD_ERRORS",
    "BatchRefusedError",
    "isolate_refused",
    "stored_key",
]

logger = logging.getLogger(__name__)

RECORD_ERRORS: tuple[type[psycopg.Error], ...] = (
    psycopg.DataError,  # class 22: a value out of a type's range, text with NUL, ...
    psycopg.IntegrityError,  # class 23: a constraint a row breaks
    errors.ProgramLimitExceeded,  # class 54: index entry or jsonb beyond a size limit
)
"""Errors a single record can cause; any other error is the batch's (or the server's)."""

MAX_REFUSED_RECORDS = 20
"""Refused records a batch may reject; more means the error is not a record's (a changed
table, a constraint no record meets), so the run stops instead of rejecting everything."""

MAX_STORED_KEY = 1000
"""Characters of a record key `rejects` stores as is; a longer key is cut and hashed,
since the key is in a unique index, which is what may have refused the record."""


class BatchRefusedError(ExplainedError):
    """More records of one batch refused than `MAX_REFUSED_RECORDS`: the batch's fault."""


def stored_key(key: str) -> str:
    """The key as `rejects.record_key` can index it: longer ones cut, with their hash."""
    if len(key) <= MAX_STORED_KEY:
        return key
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return f"{key[:200]}... ({len(key)} characters, blake2b {digest})"


def _row_key(part: RawPart, row: Sequence[Any]) -> str:
    """A staged row's record key, as `prepare` wrote it."""
    count = len(part.info.key_properties)
    keys = list(row[1:1 + count])
    return keys[0] if count == 1 else orjson.dumps(keys).decode()


def _subset(prepared: PreparedBatch, positions: set[int]) -> PreparedBatch:
    """The records of `prepared` at these stage ordinals, as a batch of their own."""
    parts: list[RawPart] = []
    deletions = []
    counts: dict[str, int] = {}
    keys: set[tuple[str, str]] = set()
    for part in prepared.raw:
        rows = [row for row in part.rows if row[0] in positions]
        if not rows:
            continue
        stream = part.info.stream
        if stream == DELETED_RECORDS_STREAM:
            deletions += [item for row, item in zip(part.rows, prepared.deletions, strict=False)
                          if row[0] in positions]
        mapped = None if part.mapped is None else [
            m for m in part.mapped if m.position in positions]
        parts.append(replace(part, rows=rows, mapped=mapped))
        counts[stream] = len(rows)
        keys |= {(stream, _row_key(part, row)) for row in rows}
    found = prepared.batch
    batch = Batch(
        ordinal=found.ordinal,
        result=ApplyResult(rejects=[r for r in found.result.rejects
                                    if (r.stream, r.key) in keys]),
        reject_records={k: v for k, v in found.reject_records.items() if k in keys},
    )
    return PreparedBatch(batch=batch, raw=parts, deletions=deletions, stream_counts=counts)


def isolate_refused(
    connection: psycopg.Connection[Any],
    prepared: PreparedBatch,
    execute: Callable[[psycopg.Connection[Any], PreparedBatch], ApplyResult],
) -> tuple[ApplyResult, Batch]:
    """Write `prepared` in halves (savepoints) until the refused records are alone.

    Runs in the caller's transaction, after the whole batch failed with one of
    `RECORD_ERRORS`. Returns what was written and a `Batch` holding the refused records
    as rejects (their JSON text with them), for `record_rejects`. A batch with one bad
    record costs about two writes per halving (2 x log2 of its size), paid only then.

    Raises:
        BatchRefusedError: more than `MAX_REFUSED_RECORDS` records refused, which no
            plausible input does: the cause is the table or the server, not the records.
    """
    total = ApplyResult()
    refused = Batch()
    located = {row[0]: (part, row) for part in prepared.raw for row in part.rows}

    def attempt(group: list[int]) -> None:
        try:
            with connection.transaction():
                total.add(execute(connection, _subset(prepared, set(group))))
        except RECORD_ERRORS as error:
            if len(group) > 1:
                middle = len(group) // 2
                attempt(group[:middle])
                attempt(group[middle:])
                return
            if len(refused.result.rejects) >= MAX_REFUSED_RECORDS:
                msg = (f"the database refused more than {MAX_REFUSED_RECORDS} records of a"
                       f" batch of {dict(prepared.stream_counts)}, the last with:"
                       f" {one_line(redact(str(error)))}")
                raise BatchRefusedError(msg) from None
            part, row = located[group[0]]
            key = stored_key(_row_key(part, row))
            reason = one_line(redact(
                f"the database refused the record: {error.diag.message_primary or error}"
                f" ({error.diag.sqlstate or type(error).__name__})"
            ))
            refused.result.rejects.append(Reject(part.info.stream, key, reason))
            refused.reject_records[part.info.stream, key] = row[RAW_ORGANIZATION + 2]

    attempt(sorted(located))
    return total, refused
