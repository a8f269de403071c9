"""Soft deletions: CRM deleted records, and rows a full-table version no longer lists.

Deletes are soft (`deleted_at`), never hard, and dated: the deletion time becomes the
rows' modification time, so an older copy of a record cannot bring it back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from psycopg import sql

from target_tsh_erp.mapping import mapper_for
from target_tsh_erp.store.batch import Batch, Incoming
from target_tsh_erp.store.prepare import map_records
from target_tsh_erp.store.values import checked_timestamp

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import psycopg

    from target_tsh_erp.store.raw_tables import RawRegistry, RawStream

__all__ = ["apply_crm_deletions", "remap_deleted", "soft_delete_older_versions"]


def apply_crm_deletions(
    connection: psycopg.Connection[Any],
    registry: RawRegistry,
    items: Sequence[Incoming],
    batch: Batch,
) -> None:
    """Soft-delete the raw and ERP rows of CRM records Zoho reports deleted.

    The deletion time becomes the rows' modification time, so a copy of the record
    modified before the deletion (a re-sent bookmark row, a late webhook) is stale
    and cannot bring the record back. A deletion that arrives before its record
    leaves an ERP tombstone for the same reason.
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
        found: list[dict[str, Any]] = []
        info = registry.known(connection, stream)
        if info is not None and info.key_properties == ("organization_id", "id"):
            found = [row[0] for row in connection.execute(
                sql.SQL(
                    "UPDATE {} SET deleted_at = %s,"
                    " modified_at = greatest(modified_at, %s::timestamptz)"
                    " WHERE organization_id = %s AND id = %s AND deleted_at IS NULL"
                    " RETURNING record"
                ).format(sql.Identifier(registry.raw_schema, info.table)),
                (deleted_at, deleted_at, str(organization), str(record_id)),
            ).fetchall()]
        if not found:
            found = [{"organization_id": str(organization), "id": str(record_id)}]
        tombstones = [{**stored, "Modified_Time": deleted_at} for stored in found]
        remap_deleted(stream, tombstones, deleted_at, batch)


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
    """
    table = sql.Identifier(raw_schema, info.table)
    listed = [row[0] for row in connection.execute(
        sql.SQL("SELECT DISTINCT organization_id FROM {} WHERE table_version = %s")
        .format(table), (version,))]  # fmt: skip
    if not listed:
        return False
    now = datetime.now(UTC)
    found = connection.execute(
        sql.SQL(
            "UPDATE {} SET deleted_at = %s WHERE (table_version IS NULL OR table_version < %s)"
            " AND deleted_at IS NULL"
            " AND (organization_id = ANY(%s) OR (organization_id IS NULL AND %s))"
            " AND (%s::timestamptz IS NULL OR modified_at IS NULL OR modified_at < %s)"
            " RETURNING record"
        ).format(table),
        (now, version, [org for org in listed if org is not None], None in listed,
         *(_listing_began(version, now),) * 2),
    ).fetchall()
    batch.result.raw_written = len(found)
    if found:
        remap_deleted(info.stream, [r[0] for r in found], now, batch)
    return bool(found)


_EPOCH_MS_FLOOR = 946_684_800_000  # 2000-01-01: smaller versions are counters, not times


def _listing_began(version: int, now: datetime) -> datetime | None:
    """The time a millisecond-epoch table version stands for; None for a plain counter."""
    if _EPOCH_MS_FLOOR <= version <= (now.timestamp() + 86_400) * 1000:
        return datetime.fromtimestamp(version / 1000, UTC)
    return None
