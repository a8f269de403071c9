"""`ErpWriter`: the raw landing and ERP merge of a batch, in the caller's transaction.

Used by the Singer target (one transaction per batch), by `tsh-erp remap` and by the
webhook service (`apply_records`, in the service's own transaction). Per batch:

0. records whose stored raw row has the same key and content hash (`record_hash`),
   deletion mark and table version are skipped (one indexed lookup per stream): no
   COPY, no merge (their mappings, made in `prepare`, are dropped); this is most of an
   update run;
1. every record lands in `<raw>.<stream>` (`raw_landing`);
2. records of mapped streams become ERP rows (pure mappers, `prepare`); a record that
   cannot be mapped goes to `<raw>.rejects` and is still in its raw table (`rejects`);
3. ERP rows are merged parents-first; a parent that has not arrived yet gets a
   placeholder row (`is_placeholder`), which the real record later fills in
   (`erp_merge`);
4. CRM deletions and `_sdc_deleted_at` tombstones soft-delete (`deletions`); line
   manifests soft-delete the lines their documents no longer list (`line_manifests`).

Both merges carry the stale-update guard: a record older (by Zoho modification time)
than the stored row changes nothing, and a row whose content did not change is not
rewritten (`IS DISTINCT FROM`). Temp stages are created once per session
(`ON COMMIT DELETE ROWS`), so no table is reflected or created per batch. This class
only sequences those steps; each lives in its own module.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import orjson

from target_tsh_erp.mapping import mapper_for, modification_field
from target_tsh_erp.mapping.registry import DELETED_RECORDS_STREAM, known_key_properties
from target_tsh_erp.settings import WriterSettings
from target_tsh_erp.store.batch import ApplyResult, Batch, Incoming, Landing, PreparedBatch
from target_tsh_erp.store.deletions import (
    apply_crm_deletions,
    delete_raw_lines_of_deleted,
    soft_delete_older_versions,
)
from target_tsh_erp.store.erp_merge import ErpMerge
from target_tsh_erp.store.events import ENTITY_SYNCED, publish
from target_tsh_erp.store.isolation import RECORD_ERRORS, isolate_refused
from target_tsh_erp.store.line_manifests import listed_lines, sweep_erp, sweep_raw
from target_tsh_erp.store.prepare import collect, map_records, stage_raw
from target_tsh_erp.store.raw_landing import RawLanding
from target_tsh_erp.store.raw_tables import RawRegistry, RawStream
from target_tsh_erp.store.rejects import record_rejects
from target_tsh_erp.store.values import key_values

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    import psycopg

__all__ = ["ErpWriter", "apply_records"]


class ErpWriter:
    """Writes batches of records into the raw and ERP layers of one database.

    Holds only caches (raw table descriptions, statements); the connection and the
    transaction are the caller's.
    """

    def __init__(
        self, settings: WriterSettings | None = None, *, exclusive_erp_phase: bool = False
    ) -> None:
        """Prepare statement caches for the configured schemas.

        `exclusive_erp_phase`: each transaction takes a transaction-scoped advisory lock
        (one per ERP schema) before its ERP merge, so writers sharing this setting land
        raw rows in parallel but merge ERP rows one at a time. Their ERP phases touch
        the same parents (placeholders, shared products) in different orders; merged
        concurrently they would deadlock, while raw landings rarely share a key.
        """
        self.settings = settings or WriterSettings()
        self.exclusive_erp_phase = exclusive_erp_phase
        self._erp_lock_key = int.from_bytes(
            hashlib.blake2b(f"target-tsh-erp erp phase {self.settings.erp_schema}".encode(),
                            digest_size=8).digest(),
            "big", signed=True,
        )
        self.registry = RawRegistry(self.settings.raw_schema)
        self._raw = RawLanding(self.settings.raw_schema)
        self._erp = ErpMerge(self.settings.erp_schema)

    def ensure_stream(
        self,
        connection: psycopg.Connection[Any],
        stream: str,
        key_properties: Sequence[str] | None = None,
        bookmark_properties: list[str] | None = None,
    ) -> RawStream:
        """Describe (and create if needed) a stream's landing table."""
        if key_properties is None:
            known = self.registry.known(connection, stream)
            if known is not None:
                return known
            key_properties = known_key_properties(stream)
            if key_properties is None:
                msg = f"stream {stream!r} is not known yet: pass its key_properties"
                raise ValueError(msg)
        return self.registry.ensure(
            connection, stream, tuple(key_properties),
            modification_field(stream, bookmark_properties),
        )

    def write(
        self,
        connection: psycopg.Connection[Any],
        batches: Mapping[str, Sequence[Incoming]],
        *,
        publish_event: bool = True,
    ) -> ApplyResult:
        """Write records of several streams in the caller's transaction."""
        for stream, items in batches.items():
            if items:
                self.ensure_stream(connection, stream)
        return self.execute(connection, self.prepare(batches), publish_event=publish_event)

    def prepare(self, batches: Mapping[str, Sequence[Incoming]]) -> PreparedBatch:
        """The database-free half of a write: keys, JSON text, hashes, stage and ERP rows.

        Pure Python, so a caller may prepare the next batch while the previous one is
        still executing. Records are mapped here too, although `execute` will drop the
        mappings of the records it finds unchanged: mapping there kept PostgreSQL idle
        while the writer thread mapped, which cost a first load more than mapping the
        unchanged records of an update run costs it. Every stream must have been
        described with `ensure_stream`.
        """
        prepared = PreparedBatch()
        for stream, items in batches.items():
            if not items:
                continue
            info = self.registry.cached(stream)
            if info is None:
                msg = f"stream {stream!r} has no landing table yet: call ensure_stream first"
                raise ValueError(msg)
            prepared.stream_counts[stream] = len(items)
            stage_raw(info, items, prepared)
            if stream == DELETED_RECORDS_STREAM:
                prepared.deletions.extend(items)
        return prepared

    def execute(
        self,
        connection: psycopg.Connection[Any],
        prepared: PreparedBatch,
        *,
        publish_event: bool = True,
    ) -> ApplyResult:
        """The database half of a write, in the caller's transaction.

        Leaves `prepared` as it was (but for its `unchanged` count): a rolled-back
        transaction may execute the same batch again.
        """
        found = prepared.batch
        batch = Batch(ordinal=found.ordinal,
                      result=ApplyResult(rejects=list(found.result.rejects)),
                      reject_records=dict(found.reject_records))
        result = batch.result
        if not prepared.stream_counts:
            return result
        self._raw.ensure_stage(connection)
        mapped_keys: dict[str, list[str]] = {}
        landings: list[Landing] = []
        prepared.unchanged = 0
        for part in prepared.raw:
            stored = self._raw.stored(connection, part)
            unchanged = {position for position, same in stored.items() if same}
            prepared.unchanged += len(unchanged)
            rows = ([row for row in part.rows if row[0] not in unchanged] if unchanged
                    else part.rows)
            if part.mapped is not None:
                mapped_keys[part.info.stream] = collect(
                    part.info.stream,
                    (m for m in part.mapped if m.position not in unchanged),
                    batch,
                )
            if rows:
                landings.append(Landing(part, rows, set(stored)))
        for landing in landings:
            self._raw.land(connection, landing, batch)
        result.raw_written += delete_raw_lines_of_deleted(connection, self.registry, landings)
        listed = listed_lines(landings)
        result.raw_written += sweep_raw(connection, self.registry, self._raw, listed)
        if prepared.deletions:  # raw rows first: no raw row is locked after the ERP lock
            apply_crm_deletions(connection, self.registry, prepared.deletions, batch)
        if self.exclusive_erp_phase:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (self._erp_lock_key,))
        self._erp.merge(connection, batch)
        sweep_erp(connection, self._erp, listed, result)
        record_rejects(connection, self.settings.raw_schema, batch, mapped_keys)
        if publish_event and (result.raw_written or result.erp_written):
            publish(
                connection, self.settings.erp_schema, self.settings.notify_channel,
                ENTITY_SYNCED,
                {"streams": prepared.stream_counts,
                 "raw_written": result.raw_written, "erp_written": dict(result.erp_written),
                 "rejected": len(result.rejects)},
            )
        return result

    def execute_isolating(
        self, connection: psycopg.Connection[Any], prepared: PreparedBatch
    ) -> ApplyResult:
        """`execute` for a batch that failed on a record the database refuses.

        The batch is written again in halves (savepoints, see `isolation`) in the
        caller's transaction: the records PostgreSQL refuses are rejected, named by
        stream and key and kept in `<raw>.rejects`; the rest is written as `execute`
        would have written it.
        """
        result, refused = isolate_refused(
            connection, prepared,
            lambda c, p: self.execute(c, p, publish_event=False),
        )
        for reject in refused.result.rejects:
            alone = Batch(result=ApplyResult(rejects=[reject]),
                          reject_records=dict(refused.reject_records))
            try:
                with connection.transaction():
                    record_rejects(connection, self.settings.raw_schema, alone, {})
            except RECORD_ERRORS:  # the record text itself is refused: keep the reason
                alone.reject_records.clear()
                record_rejects(connection, self.settings.raw_schema, alone, {})
        result.rejects.extend(refused.result.rejects)
        publish(
            connection, self.settings.erp_schema, self.settings.notify_channel, ENTITY_SYNCED,
            {"streams": prepared.stream_counts, "raw_written": result.raw_written,
             "erp_written": dict(result.erp_written), "rejected": len(result.rejects)},
        )
        return result

    def soft_delete_unseen(
        self, connection: psycopg.Connection[Any], stream: str, version: int
    ) -> ApplyResult:
        """ACTIVATE_VERSION: soft-delete raw and ERP rows of older table versions.

        See `deletions.soft_delete_older_versions` for how the version is scoped.
        """
        batch = Batch()
        info = self.registry.known(connection, stream)
        if info is not None and soft_delete_older_versions(
            connection, self.settings.raw_schema, info, version, batch
        ):
            self._raw.ensure_stage(connection)
            self._erp.merge(connection, batch)
        return batch.result

    def remap_records(
        self,
        connection: psycopg.Connection[Any],
        stream: str,
        records: Iterable[tuple[dict[str, Any], datetime | None]],
    ) -> ApplyResult:
        """Map stored raw records again (remap): no raw write, same guard and merge."""
        batch = Batch()
        result = batch.result
        mapper = mapper_for(stream)
        if mapper is None:
            return result
        self._raw.ensure_stage(connection)
        info = self.ensure_stream(connection, stream)
        items = [
            Incoming({**record, "_sdc_deleted_at": deleted.isoformat()} if deleted else record)
            for record, deleted in records
        ]
        keys = [
            (values[0] if len(values) == 1 else orjson.dumps(values).decode())
            for values in (key_values(info, item.record) for item in items)
        ]
        mapped = map_records(stream, mapper, items, keys, batch)
        self._erp.merge(connection, batch)
        record_rejects(connection, self.settings.raw_schema, batch, {stream: mapped})
        return result


def apply_records(  # noqa: PLR0913 - keyword-only options of a public API
    connection: psycopg.Connection[Any],
    stream_name: str,
    records: Iterable[Mapping[str, Any]],
    *,
    key_properties: Sequence[str] | None = None,
    settings: WriterSettings | None = None,
    writer: ErpWriter | None = None,
) -> ApplyResult:
    """Apply records of one stream in the caller's transaction (the webhook service's API).

    Same raw landing, mapping, stale-update guard, placeholders, rejects and events as
    the batch path. Records must be shaped as the tap emits them (UTC datetimes,
    `organization_id` in every record). Nothing is committed here: the caller commits or
    rolls back. Pass a long-lived `writer` to reuse its statement caches.

    Args:
        connection: an open psycopg 3 connection (not autocommit), in the caller's
            transaction.
        stream_name: the Singer stream name, e.g. `books_items`.
        records: the records.
        key_properties: the stream's key; optional for mapped streams and for streams the
            target has already landed.
        settings: schema names and NOTIFY channel (defaults: `erp`, `zoho_raw`,
            `tds_zoho_events`).
        writer: an `ErpWriter` to reuse; built from `settings` when omitted.

    Returns:
        What was written and what was rejected.

    Raises:
        MissingKeyError: a record lacks a key property (nothing of the call is written if
            the caller rolls back).
    """
    active = writer or ErpWriter(settings)
    info = active.ensure_stream(connection, stream_name, key_properties)
    items = [Incoming(dict(record)) for record in records]
    return active.write(connection, {info.stream: items})
