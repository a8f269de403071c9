"""Soft deletions: CRM deleted records, and rows a full-table version no longer lists.

Deletes are soft (`deleted_at`), never hard, and dated: a deletion carries its own time
in `deleted_at` and keeps the record's modification time. The stale-update guard of
both layers compares an incoming record against the latest of the stored modification
and deletion times, so a copy of a record modified before its deletion cannot bring it
back, while one modified after it (restored in Zoho) does.

What time each deletion carries:
- CRM deleted records: Zoho's `deleted_time` (else the time the target received it);
- `_sdc_deleted_at` in a record (the webhook service's Books/Inventory deletions): that
  value, set by whoever produced the tombstone;
- ACTIVATE_VERSION: the time the full listing began when the version is a millisecond
  epoch (a record missing from that listing was deleted before the listing could see
  it, so anything Zoho changed after that time is newer evidence, and so is a later
  complete listing that shows it: `target_tsh_erp.store.listing`), else the time the
  target received the version message.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from psycopg import sql

from target_tsh_erp.mapping import mapper_for, modification_field
from target_tsh_erp.store.batch import RAW_ORGANIZATION, Batch, Incoming
from target_tsh_erp.store.listing import listing_began
from target_tsh_erp.store.new_rows import key_payload
from target_tsh_erp.store.prepare import map_records
from target_tsh_erp.store.values import checked_timestamp

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import psycopg

    from target_tsh_erp.store.batch import Landing
    from target_tsh_erp.store.raw_tables import RawRegistry, RawStream

__all__ = [
    "apply_crm_deletions",
    "delete_raw_lines_of_deleted",
    "remap_deleted",
    "soft_delete_older_versions",
]

_STAGED_DELETED_AT = RAW_ORGANIZATION + 3  # organization, modified_at, record, deleted_at

_CRM_KEY = ("organization_id", "id")


def apply_crm_deletions(
    connection: psycopg.Connection[Any],
    registry: RawRegistry,
    items: Sequence[Incoming],
    batch: Batch,
) -> None:
    """Soft-delete the raw and ERP rows of CRM records Zoho reports deleted.

    The deletion is dated with Zoho's `deleted_time` (else now, when the target receives
    it) and the guard compares against it, so a copy of the record modified before the
    deletion (a re-sent bookmark row, a late webhook) is stale and cannot bring the
    record back. A deletion older than the stored record's modification deletes
    nothing: the record was restored in Zoho since. A deletion that arrives before its
    record leaves a tombstone in both layers (key and `deleted_at` only; the raw table
    is created if needed) for the same reason: without the raw one, the late older
    record would land live in its raw table.
    """
    for item in items:
        record = item.record
        module = record.get("module")
        if not isinstance(module, str):
            continue
        stream = f"crm_{module.lower()}"
        organization, record_id = record.get("organization_id"), record.get("id")
        if mapper_for(stream) is None or organization is None or record_id is None:
            continue
        deleted_at = checked_timestamp(record.get("deleted_time")) or datetime.now(
            UTC
        ).isoformat()
        info = registry.known(connection, stream) or registry.ensure(
            connection, stream, _CRM_KEY, modification_field(stream)
        )
        if info.key_properties == _CRM_KEY:
            found = _raw_tombstone(connection, registry.raw_schema, info,
                                   (str(organization), str(record_id)), deleted_at)
            batch.result.raw_written += len(found)
        else:  # a key this deletion cannot address: the ERP row alone
            found = [{"organization_id": str(organization), "id": str(record_id)}]
        if found:
            remap_deleted(stream, found, deleted_at, batch)


def _raw_tombstone(
    connection: psycopg.Connection[Any],
    raw_schema: str,
    info: RawStream,
    key: tuple[str, str],
    deleted_at: str,
) -> list[dict[str, Any]]:
    """Mark a CRM raw row deleted (or store a key-only tombstone); the records marked.

    One statement: an absent key gets a tombstone row (no modification time, the key as
    its record); a stored live row not modified after the deletion gets `deleted_at`.
    Returns nothing when the row was already deleted or is newer than the deletion, so
    its ERP row is left as it is.
    """
    tombstone = orjson.dumps({"organization_id": key[0], "id": key[1]}).decode()
    return [row[0] for row in connection.execute(
        sql.SQL(
            "INSERT INTO {} AS r ({}, modified_at, record, deleted_at, record_hash)"
            " VALUES (%s, %s, NULL, %s::jsonb, %s, %s)"
            " ON CONFLICT ({}) DO UPDATE SET deleted_at = excluded.deleted_at,"
            " synced_at = now()"
            " WHERE r.deleted_at IS NULL"
            "   AND (r.modified_at IS NULL OR r.modified_at <= excluded.deleted_at)"
            " RETURNING r.record"
        ).format(
            sql.Identifier(raw_schema, info.table),
            sql.SQL(", ").join(map(sql.Identifier, info.key_columns)),
            sql.SQL(", ").join(map(sql.Identifier, info.key_columns)),
        ),
        (*key, tombstone, deleted_at,
         hashlib.blake2b(tombstone.encode(), digest_size=16).digest()),
    ).fetchall()]


def delete_raw_lines_of_deleted(
    connection: psycopg.Connection[Any],
    registry: RawRegistry,
    landings: Sequence[Landing],
) -> int:
    """Soft-delete the live raw lines of documents this batch stored as deleted.

    The raw half of the ERP merge's `_deleted_document_sql`: a deletion delivered
    without its lines (a form or template webhook) would leave them live, and a late
    copy of the lines would land over them while the header stays deleted. The line
    streams of a header `<product>_<x>` keyed (organization_id, <doc>_id) are its
    product's `*_line_items` streams keyed (organization_id, <doc>_id, line_item_id).
    The stored header's `deleted_at` is read, so a deletion the guard refused deletes
    nothing; lines dated after the deletion (a restored document) are kept. Costs one
    lookup and one statement per line stream, only in batches that delete documents.
    Returns the rows soft-deleted.
    """
    written = 0
    for landing in landings:
        header = landing.part.info
        keys = header.key_properties
        if (len(keys) != 2 or keys[0] != "organization_id"  # noqa: PLR2004 - (organization, document)
                or header.stream.endswith("_line_items")):
            continue
        deleted = key_payload({(row[1], row[2]) for row in landing.rows
                               if row[_STAGED_DELETED_AT] is not None})
        if deleted == "[]":
            continue
        for lines in _line_streams(connection, registry, header):
            written += max(connection.execute(
                sql.SQL(
                    "UPDATE {lines} t SET deleted_at = h.deleted_at, synced_at = now()"
                    " FROM json_array_elements(%s::json) AS u(e) JOIN {header} h"
                    "   ON h.organization_id = u.e->>0 AND h.{doc} = u.e->>1"
                    " WHERE h.deleted_at IS NOT NULL AND t.organization_id = h.organization_id"
                    "   AND t.{line_doc} = h.{doc} AND t.deleted_at IS NULL"
                    "   AND NOT coalesce(t.modified_at > h.deleted_at, false)"
                ).format(
                    lines=sql.Identifier(registry.raw_schema, lines.table),
                    header=sql.Identifier(registry.raw_schema, header.table),
                    doc=sql.Identifier(header.key_columns[1]),
                    line_doc=sql.Identifier(lines.key_columns[1]),
                ),
                (deleted,),
            ).rowcount, 0)
    return written


def _line_streams(
    connection: psycopg.Connection[Any], registry: RawRegistry, header: RawStream
) -> list[RawStream]:
    """The raw line streams of a header stream (see `delete_raw_lines_of_deleted`)."""
    product = header.stream.split("_", 1)[0]
    names = [row[0] for row in connection.execute(
        sql.SQL(
            "SELECT stream FROM {} WHERE stream LIKE %s AND key_properties = %s::text[]"
        ).format(sql.Identifier(registry.raw_schema, "_streams")),
        (f"{product}\\_%\\_line\\_items", ["organization_id", header.key_properties[1],
                                          "line_item_id"]),
    )]
    return [info for name in names if (info := registry.known(connection, name))]


def remap_deleted(
    stream: str,
    records: Iterable[dict[str, Any]],
    deleted_at: datetime | str,
    batch: Batch,
) -> None:
    """Map stored records again as tombstones, so their ERP rows get `deleted_at`."""
    mapper = mapper_for(stream)
    if mapper is None:
        return
    stamp = deleted_at if isinstance(deleted_at, str) else deleted_at.isoformat()
    items = [Incoming({**record, "_sdc_deleted_at": stamp}) for record in records]
    keys = [str(index) for index in range(len(items))]
    # Tombstones of stored records reject nothing new: their rejects are dropped.
    scratch = Batch(ordinal=batch.ordinal, rows=batch.rows)
    map_records(stream, mapper, items, keys, scratch)


def soft_delete_older_versions(
    connection: psycopg.Connection[Any],
    raw_schema: str,
    info: RawStream,
    version: int,
    batch: Batch,
) -> bool:
    """ACTIVATE_VERSION's raw half: soft-delete rows of older versions; True if any.

    Scoped twice, because a version only speaks for what its listing covered:
    - to the organizations that have rows in this version: with one job per
      organization (the scale-out), one job's version must not soft-delete the rows
      of organizations another job syncs;
    - when the version is a millisecond epoch (tap-zoho's and the Singer convention:
      the time the full listing began), to rows Zoho last changed before that time:
      a row the webhook service wrote during the refresh was not in the listing
      because it changed after it, not because it was deleted.
    An organization whose listing came back empty has no row in the version and so is
    not reconciled (a rare case the next full refresh with any row settles). The rows
    found are mapped again as tombstones into `batch`, for the ERP merge.

    The deletion is dated when the listing began (epoch versions; else now): the
    record was gone before the listing reached it, so a late copy changed before that
    time stays out, and a change Zoho made after it (the record exists) comes back, as
    does the record shown again by a later complete listing (its start is proof it
    exists, `target_tsh_erp.store.listing`).
    """
    table = sql.Identifier(raw_schema, info.table)
    listed = [row[0] for row in connection.execute(
        sql.SQL("SELECT DISTINCT organization_id FROM {} WHERE table_version = %s")
        .format(table), (version,))]  # fmt: skip
    if not listed:
        return False
    now = datetime.now(UTC)
    began = listing_began(version, now)
    deleted_at = began or now
    found = connection.execute(
        sql.SQL(
            "UPDATE {} SET deleted_at = %s WHERE (table_version IS NULL OR table_version < %s)"
            " AND deleted_at IS NULL"
            " AND (organization_id = ANY(%s) OR (organization_id IS NULL AND %s))"
            " AND (%s::timestamptz IS NULL OR modified_at IS NULL OR modified_at < %s)"
            " RETURNING record"
        ).format(table),
        (deleted_at, version, [org for org in listed if org is not None], None in listed,
         began, began),
    ).fetchall()
    batch.result.raw_written = len(found)
    if found:
        remap_deleted(info.stream, [r[0] for r in found], deleted_at, batch)
    return bool(found)
