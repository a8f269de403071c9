"""The write path: raw landing and ERP merge in the caller's transaction.

Used by the Singer target (one transaction per batch), by `tsh-erp remap` and by the
webhook service (`apply_records`, in the service's own transaction). Per batch:

0. records whose stored raw row has the same key and content hash (`record_hash`),
   deletion mark and table version are skipped (one indexed lookup per stream): no
   COPY, no merge (their mappings, made in `prepare`, are dropped); this is most of an
   update run;
1. every record lands in `<raw>.<stream>` (COPY into a temp stage, then one
   `INSERT ... ON CONFLICT DO UPDATE` per stream);
2. records of mapped streams become ERP rows (pure mappers); a record that cannot be
   mapped goes to `<raw>.rejects` and is still in its raw table;
3. ERP rows are staged with COPY and merged parents-first; a parent that has not arrived
   yet gets a placeholder row (`is_placeholder`), which the real record later fills in;
4. CRM deletions and `_sdc_deleted_at` tombstones soft-delete (`deleted_at`).

Both merges carry the stale-update guard: a record older (by Zoho modification time)
than the stored row changes nothing, and a row whose content did not change is not
rewritten (`IS DISTINCT FROM`). Temp stages are created once per session
(`ON COMMIT DELETE ROWS`), so no table is reflected or created per batch.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from psycopg import sql

from target_tsh_erp.erp_tables import TABLES, TABLES_BY_NAME, ParentRef, TableSpec
from target_tsh_erp.events import ENTITY_SYNCED, publish
from target_tsh_erp.links import LINK_TABLES, link_customers_to_crm
from target_tsh_erp.mapping import MappingError, mapper_for, modification_field
from target_tsh_erp.mapping.registry import DELETED_RECORDS_STREAM, known_key_properties
from target_tsh_erp.new_rows import copy_new_rows, key_payload
from target_tsh_erp.raw import RawRegistry, RawStream

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    import psycopg

    from target_tsh_erp.mapping.registry import Mapper

__all__ = [
    "ApplyResult",
    "ErpWriter",
    "Incoming",
    "MissingKeyError",
    "PreparedBatch",
    "Reject",
    "WriterSettings",
    "apply_records",
]

logger = logging.getLogger(__name__)


class MissingKeyError(ValueError):
    """A record lacks one of its stream's key properties (a protocol error)."""


@dataclass(frozen=True, slots=True)
class WriterSettings:
    """Schema names and the NOTIFY channel (the target's settings of the same names)."""

    erp_schema: str = "erp"
    raw_schema: str = "zoho_raw"
    notify_channel: str = "tds_zoho_events"


@dataclass(slots=True)
class Incoming:
    """One record to write, with the table version of a full-table sync if any."""

    record: dict[str, Any]
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """A record the ERP could not take (it is still in its raw table)."""

    stream: str
    key: str
    reason: str


@dataclass(slots=True)
class ApplyResult:
    """What one write did: raw rows written, ERP rows written per table, rejects."""

    raw_written: int = 0
    erp_written: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)

    def add(self, other: ApplyResult) -> None:
        """Accumulate another result (for run summaries)."""
        self.raw_written += other.raw_written
        self.erp_written.update(other.erp_written)
        self.rejects.extend(other.rejects)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
"""A JSON NUL escape (backslash, u0000) that is not an escaped backslash plus `u0000`."""


def record_json(record: Mapping[str, Any]) -> str:
    """The record as JSON text for a `jsonb` column.

    jsonb cannot hold the NUL character: it is dropped (as target-postgres's
    `sanitize_null_text_characters` does); everything else is kept as sent.
    """
    text = orjson.dumps(record, default=_json_default).decode()
    return _NUL_ESCAPE.sub(r"\1", text) if "\\u0000" in text else text


MAX_STORED_DEPTH = 128
"""Nesting kept as JSON in the raw layer; deeper values are stored as their JSON text.

orjson refuses more than 254 levels, so a deeper record is fitted (see `_fitted`),
stored, and rejected rather than stopping the batch.
"""


def _without_nul(value: Any) -> Any:  # noqa: ANN401 - any JSON value
    """The value with NUL removed from every string and key (text and jsonb refuse it)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _deep_json(value: Any) -> str:  # noqa: ANN401 - any JSON value
    """JSON text of a value of any depth, with an explicit stack.

    orjson stops at 254 levels and the standard library encoder at Python's recursion
    limit; a record the reader accepted (orjson reads up to 1024 levels) must not be lost.
    """
    parts: list[str] = []
    stack: list[tuple[bool, Any]] = [(False, value)]
    while stack:
        is_token, current = stack.pop()
        if is_token:
            parts.append(current)
        elif isinstance(current, (dict, list)):
            is_dict = isinstance(current, dict)
            entries = (list(current.items()) if isinstance(current, dict)
                       else list(enumerate(current)))
            stack.append((True, "}" if is_dict else "]"))
            for index in range(len(entries) - 1, -1, -1):
                name, child = entries[index]
                stack.append((False, child))
                comma = "," if index else ""
                label = json.dumps(str(name), ensure_ascii=False) + ":" if is_dict else ""
                stack.append((True, comma + label))
            stack.append((True, "{" if is_dict else "["))
        else:
            parts.append(json.dumps(current, default=_json_default, ensure_ascii=False))
    return "".join(parts)


def _fitted(value: Any, depth: int = 0) -> Any:  # noqa: ANN401 - any JSON value
    """The value with containers at `MAX_STORED_DEPTH` replaced by their JSON text.

    Lossless: `json.loads` of such a string gives the deep part back.
    """
    if isinstance(value, (dict, list)) and depth >= MAX_STORED_DEPTH:
        return _deep_json(value)
    if isinstance(value, dict):
        return {k: _fitted(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_fitted(v, depth + 1) for v in value]
    return value


def _key_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return orjson.dumps(value, default=_json_default).decode()


def key_values(info: RawStream, record: Mapping[str, Any]) -> list[str]:
    """The record's key as text, in key order.

    Raises:
        MissingKeyError: a key property is absent or null.
    """
    values: list[str] = []
    for name in info.key_properties:
        value = record.get(name)
        if value is None:
            msg = f"stream {info.stream!r}: record is missing key property {name!r}"
            raise MissingKeyError(msg)
        values.append(_key_text(value))
    return values


def _checked_timestamp(value: object) -> str | None:
    """The value if PostgreSQL will read it as a timestamptz, else None."""
    if isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return value if parsed.tzinfo is not None else None


@dataclass(slots=True)
class _Batch:
    """What one write accumulates: record order, ERP rows per table, the result."""

    ordinal: Iterator[int] = field(default_factory=itertools.count)
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    result: ApplyResult = field(default_factory=ApplyResult)
    reject_records: dict[tuple[str, str], str] = field(default_factory=dict)


class _Mapped(NamedTuple):
    """One record's mapping, made in `prepare` and used in `execute` unless unchanged."""

    position: int
    """The record's raw stage ordinal (how `execute` knows it is unchanged)."""
    key: str
    rows: list[tuple[str, tuple[Any, ...]]]
    """(ERP table, stage row) pairs, ordinals already taken in record order."""
    reject: tuple[str, str] | None
    """Why the mapping refused the record and its JSON (then `rows` is empty)."""


@dataclass(slots=True)
class _RawPart:
    """One stream's raw stage rows, ready to COPY, and its records' mappings.

    Records are mapped in `prepare`, on the caller's thread, so that the Python work of
    mapping overlaps the previous batch's statements instead of adding to its writer
    thread's time; `execute` then drops the mappings of unchanged records.
    """

    info: RawStream
    rows: list[tuple[Any, ...]]
    deduplicate: bool
    mapped: list[_Mapped] | None = None
    """None for a stream no mapping knows."""


@dataclass(slots=True)
class PreparedBatch:
    """A batch mapped and staged in memory, not yet written (see `ErpWriter.prepare`).

    `ErpWriter.execute` reads it without changing it, so a transaction that failed for
    a reason worth retrying (a deadlock with a concurrent writer) can run it again.
    """

    batch: _Batch = field(default_factory=_Batch)
    """What `prepare` found (rejects of records too deep to map, record ordinals)."""
    raw: list[_RawPart] = field(default_factory=list)
    unchanged: int = 0
    """Records the last `execute` skipped: their stored raw row already held them."""
    deletions: list[Incoming] = field(default_factory=list)
    stream_counts: dict[str, int] = field(default_factory=dict)


class _Landing(NamedTuple):
    """One stream's rows to land in one `execute`, and which of them have a stored key."""

    part: _RawPart
    rows: list[tuple[Any, ...]]
    stored: set[int]


_COLUMNS = {name: spec.column_names for name, spec in TABLES_BY_NAME.items()}
_RAW_STAGE = "_tsh_raw_stage"
MAX_KEY_PROPERTIES = 8
"""Key properties a raw landing table supports (Zoho streams use two or three)."""
_RAW_ORGANIZATION = 1 + MAX_KEY_PROPERTIES
"""Where a raw stage row (ord, k1..k8, organization, modified, record, deleted, version,
hash) holds the organization; the landing table's own columns follow it."""
_STAGE_TYPES = {"organization_id": "text", "zoho_id": "text", "source_stream": "text",
                "source_modified_at": "timestamptz", "deleted_at": "timestamptz"}


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
        self._erp = sql.Identifier(self.settings.erp_schema)
        self._raw_sql: dict[tuple[str, tuple[str, ...], bool, bool], sql.Composed] = {}
        self._merge_sql: dict[tuple[str, bool], list[sql.Composed]] = {}

    # ------------------------------------------------------------------ streams

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

    def _ensure_stages(self, connection: psycopg.Connection[Any]) -> None:
        connection.execute(
            sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} (ord integer, {},"
                " organization_id text, modified_at timestamptz, record jsonb,"
                " deleted_at timestamptz, table_version bigint, record_hash bytea)"
                " WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS"
            ).format(
                sql.Identifier(_RAW_STAGE),
                sql.SQL(", ").join(
                    sql.SQL("{} text").format(sql.Identifier(f"k{i}"))
                    for i in range(1, MAX_KEY_PROPERTIES + 1)
                ),
            )
        )

    def _ensure_erp_stage(self, connection: psycopg.Connection[Any], spec: TableSpec) -> None:
        types = dict(spec.columns) | _STAGE_TYPES
        connection.execute(
            sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (ord integer, {}) ON COMMIT DELETE ROWS")
            .format(
                sql.Identifier(f"_tsh_stage_{spec.name}"),
                sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(types[name]))
                    for name in spec.column_names
                ),
            )
        )

    # ------------------------------------------------------------------ batch

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
            self._stage_raw(info, items, prepared)
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
        batch = _Batch(ordinal=found.ordinal,
                       result=ApplyResult(rejects=list(found.result.rejects)),
                       reject_records=dict(found.reject_records))
        result = batch.result
        if not prepared.stream_counts:
            return result
        self._ensure_stages(connection)
        mapped_keys: dict[str, list[str]] = {}
        landings: list[_Landing] = []
        prepared.unchanged = 0
        for part in prepared.raw:
            stored = self._stored(connection, part)
            unchanged = {position for position, same in stored.items() if same}
            prepared.unchanged += len(unchanged)
            rows = ([row for row in part.rows if row[0] not in unchanged] if unchanged
                    else part.rows)
            if part.mapped is not None:
                mapped_keys[part.info.stream] = self._collect(
                    part.info.stream,
                    (m for m in part.mapped if m.position not in unchanged),
                    batch,
                )
            if rows:
                landings.append(_Landing(part, rows, set(stored)))
        for landing in landings:
            self._land_raw(connection, landing, batch)
        if prepared.deletions:  # raw rows first: no raw row is locked after the ERP lock
            self._apply_crm_deletions(connection, prepared.deletions, batch)
        if self.exclusive_erp_phase:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (self._erp_lock_key,))
        self._merge(connection, batch)
        self._record_rejects(connection, batch, mapped_keys)
        if publish_event and (result.raw_written or result.erp_written):
            publish(
                connection, self.settings.erp_schema, self.settings.notify_channel,
                ENTITY_SYNCED,
                {"streams": prepared.stream_counts,
                 "raw_written": result.raw_written, "erp_written": dict(result.erp_written),
                 "rejected": len(result.rejects)},
            )
        return result

    def _stage_raw(
        self, info: RawStream, items: Sequence[Incoming], prepared: PreparedBatch
    ) -> None:
        """Build a stream's raw stage rows and the list of its records to map.

        Every record lands. One with a NUL character is stored (and mapped) without it,
        with a warning; one nested too deep for jsonb is stored fitted (`_fitted`) and
        rejected instead of mapped, so neither stops the batch.
        """
        field_name = info.modification_field
        key_count = len(info.key_properties)
        if key_count > MAX_KEY_PROPERTIES:
            msg = f"stream {info.stream!r}: more than {MAX_KEY_PROPERTIES} key properties"
            raise ValueError(msg)
        padding = (None,) * (MAX_KEY_PROPERTIES - key_count)
        mappable: list[tuple[int, Incoming, str]] = []
        key_texts: list[str] = []
        staged: list[tuple[Any, ...]] = []
        batch = prepared.batch
        for position, original in zip(batch.ordinal, items, strict=False):
            item, text, too_deep, nul_removed = self._storable(original)
            record = item.record
            keys = key_values(info, record)
            key = keys[0] if key_count == 1 else orjson.dumps(keys).decode()
            if nul_removed:
                logger.warning("Stream %s record %s: NUL characters removed from its values"
                               " (PostgreSQL text and jsonb cannot hold them)",
                               info.stream, key)
            key_texts.append(key)
            if too_deep:
                batch.result.rejects.append(Reject(info.stream, key, too_deep))
                batch.reject_records[info.stream, key] = text
            else:
                mappable.append((position, item, key))
            organization = record.get("organization_id")
            staged.append((
                position,
                *keys,
                *padding,
                None if organization is None else str(organization),
                _checked_timestamp(record.get(field_name)) if field_name else None,
                text,
                _checked_timestamp(record.get("_sdc_deleted_at")),
                item.version,
                hashlib.blake2b(text.encode(), digest_size=16).digest(),
            ))
        unique = len(set(key_texts)) == len(key_texts)
        mapper = mapper_for(info.stream)
        mapped = None if mapper is None else [
            self._map_one(info.stream, mapper, item, key, position, ordinal=batch.ordinal)
            for position, item, key in mappable
        ]
        prepared.raw.append(_RawPart(info, staged, deduplicate=not unique, mapped=mapped))

    def _stored(self, connection: psycopg.Connection[Any], part: _RawPart) -> dict[int, bool]:
        """Stage ordinals of records whose key is stored -> whether it holds exactly them.

        Same key, same content hash, same deletion mark and table version (True): landing
        it would write nothing and mapping it would give the ERP rows already stored (the
        ERP layer is derived from the raw one; a mapping change is applied by
        `tsh-erp remap`). Such records skip the COPY, the mapping and the merges, which
        is most of an update run. A record whose key is absent is COPYed straight into
        the landing table. One indexed lookup per stream and batch. Keys repeated
        within the batch are left to the merge, which picks the newest.
        """
        info = part.info
        key_count = len(info.key_columns)
        if not key_count or not part.rows:
            return {}
        rows = part.rows
        if part.deduplicate:
            seen = Counter(row[1:1 + key_count] for row in rows)
            rows = [row for row in rows if seen[row[1:1 + key_count]] == 1]
        hash_at = 1 + MAX_KEY_PROPERTIES + 5
        # One JSON document of (ord, keys..., hash, deleted_at, version) rows: orjson
        # writes it in C, where psycopg would adapt every array element in Python.
        payload = orjson.dumps([
            [row[0], *row[1:1 + key_count], row[hash_at].hex(), row[hash_at - 2],
             row[hash_at - 1]]
            for row in rows
        ]).decode()
        found = connection.execute(
            sql.SQL(
                "SELECT (u.e->>0)::integer, coalesce(o.record_hash = decode(u.e->>{hash}, 'hex')"
                " AND o.deleted_at IS NOT DISTINCT FROM (u.e->>{deleted})::timestamptz"
                " AND o.table_version IS NOT DISTINCT FROM"
                "   coalesce((u.e->>{version})::bigint, o.table_version), false)"
                " FROM jsonb_array_elements(%s::jsonb) AS u(e) JOIN {target} o ON {match}"
            ).format(
                target=sql.Identifier(self.settings.raw_schema, info.table),
                match=sql.SQL(" AND ").join(
                    sql.SQL("o.{} = u.e->>{}").format(sql.Identifier(column),
                                                      sql.Literal(index + 1))
                    for index, column in enumerate(info.key_columns)
                ),
                hash=sql.Literal(key_count + 1), deleted=sql.Literal(key_count + 2),
                version=sql.Literal(key_count + 3),
            ),
            (payload,),
        ).fetchall()
        return dict(found)

    @staticmethod
    def _storable(item: Incoming) -> tuple[Incoming, str, str, bool]:
        """The record as PostgreSQL can hold it, its JSON text, why it is rejected, if cut.

        The check costs one orjson pass, which the raw layer needs anyway; the record is
        copied only when it holds a NUL or nests deeper than orjson allows (254 levels).
        """
        reason = ""
        nul_removed = False
        try:
            text = orjson.dumps(item.record, default=_json_default).decode()
        except orjson.JSONEncodeError as error:
            if "Recursion limit" not in str(error):
                raise
            reason = (f"record nested deeper than 254 levels: stored with parts at depth"
                      f" {MAX_STORED_DEPTH} and below as JSON text, not mapped")
            item = Incoming(_fitted(item.record), item.version)
            text = orjson.dumps(item.record, default=_json_default).decode()
        # The plain substring test first: the regex has no literal prefix to search for,
        # so on its own it walks every character (it was half the target's CPU time).
        if "\\u0000" in text and _NUL_ESCAPE.search(text):
            item = Incoming(_without_nul(item.record), item.version)
            text = orjson.dumps(item.record, default=_json_default).decode()
            nul_removed = True
        return item, text, reason, nul_removed

    def _land_raw(
        self, connection: psycopg.Connection[Any], landing: _Landing, batch: _Batch
    ) -> None:
        """Land a stream's rows: new keys by COPY into the table, the rest merged.

        Lines of the documents landed are then swept (`_raw_removed_lines_sql`).
        """
        part, rows = landing.part, landing.rows
        info = part.info
        key_count = len(info.key_columns)
        fresh = rows
        if key_count:
            repeated = (Counter(row[1:1 + key_count] for row in rows)
                        if part.deduplicate else None)
            fresh = [row for row in rows if row[0] not in landing.stored
                     and (repeated is None or repeated[row[1:1 + key_count]] == 1)]
        rest = rows
        if fresh and copy_new_rows(
            connection, self._raw_copy_sql(info),
            [(*row[1:1 + key_count],
              *(() if info.has_organization_key else (row[_RAW_ORGANIZATION],)),
              *row[_RAW_ORGANIZATION + 1:]) for row in fresh],
            table=f"{self.settings.raw_schema}.{info.table}",
        ):
            batch.result.raw_written += len(fresh)
            copied = {row[0] for row in fresh}
            rest = [row for row in rows if row[0] not in copied]
        with connection.cursor() as cursor:
            if rest:
                self._merge_raw(cursor, part, rest, batch)
            removed = self._raw_removed_lines_sql(info)
            if removed is not None:
                documents = {(row[1], row[2]) for row in rows}
                cursor.execute(removed, (key_payload(documents),))
                batch.result.raw_written += max(cursor.rowcount, 0)

    def _raw_copy_sql(self, info: RawStream) -> sql.Composed:
        """COPY into the landing table itself, for records whose key is not stored."""
        columns = [*info.key_columns,
                   *(() if info.has_organization_key else ("organization_id",)),
                   "modified_at", "record", "deleted_at", "table_version", "record_hash"]
        return sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(self.settings.raw_schema, info.table),
            sql.SQL(", ").join(map(sql.Identifier, columns)),
        )

    def _merge_raw(
        self,
        cursor: psycopg.Cursor[Any],
        part: _RawPart,
        rows: Sequence[tuple[Any, ...]],
        batch: _Batch,
    ) -> None:
        """COPY rows into the raw stage and merge them into the landing table."""
        stage = sql.Identifier(_RAW_STAGE)
        with cursor.copy(
            sql.SQL(
                "COPY {} (ord, {}, organization_id, modified_at, record, deleted_at,"
                " table_version, record_hash) FROM STDIN"
            ).format(
                stage,
                sql.SQL(", ").join(
                    sql.Identifier(f"k{i}") for i in range(1, MAX_KEY_PROPERTIES + 1)
                ),
            )
        ) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(self._raw_merge_sql(part.info, deduplicate=part.deduplicate))
        batch.result.raw_written += max(cursor.rowcount, 0)
        cursor.execute(sql.SQL("DELETE FROM {}").format(stage))

    def _raw_removed_lines_sql(self, info: RawStream) -> sql.Composed | None:
        """Soft-delete raw lines no longer in their document (line-item streams only).

        A document's lines arrive as its complete current set, each dated with the
        document's `parent_last_modified_time`. A stored line dated before the newest
        stored line of the same document is not in that newer version: it was removed.
        Its `modified_at` moves to that version's time, so a stale re-delivery of the old
        version is older than the stored row and cannot bring it back. Only the documents
        landed (the statement's JSON parameter) are swept; lines of the newest version are
        never touched, so a version split across two batches ends with all its lines live.
        """
        if not info.stream.endswith("_line_items") or len(info.key_columns) != 3:  # noqa: PLR2004 - (organization, document, line)
            return None
        if info.key_columns[0] != "organization_id":
            return None
        target = sql.Identifier(self.settings.raw_schema, info.table)
        document = sql.Identifier(info.key_columns[1])
        return sql.SQL(
            "WITH documents AS (SELECT r.organization_id, r.{doc} AS document,"
            "   max(r.modified_at) AS newest FROM {target} r"
            "   WHERE (r.organization_id, r.{doc}) IN"
            "     (SELECT u.e->>0, u.e->>1 FROM json_array_elements(%s::json) AS u(e))"
            "   GROUP BY 1, 2)"
            " UPDATE {target} t SET deleted_at = d.newest, modified_at = d.newest,"
            " synced_at = now() FROM documents d"
            " WHERE t.organization_id = d.organization_id AND t.{doc} = d.document"
            "   AND t.deleted_at IS NULL AND t.modified_at < d.newest"
        ).format(doc=document, target=target)

    def _raw_merge_sql(self, info: RawStream, *, deduplicate: bool) -> sql.Composed:
        """The raw upsert; `deduplicate` keeps the newest of repeated keys in a batch.

        Without repeats the DISTINCT ON sort of wide rows is skipped (the common case).
        """
        cache_key = (info.table, info.key_columns, info.has_organization_key, deduplicate)
        cached = self._raw_sql.get(cache_key)
        if cached is not None:
            return cached
        target = sql.Identifier(self.settings.raw_schema, info.table)
        key_cols = [sql.Identifier(column) for column in info.key_columns]
        insert_cols = [*key_cols]
        stage_keys = [sql.SQL("s.{}").format(sql.Identifier(f"k{index + 1}"))
                      for index in range(len(key_cols))]
        select_cols: list[sql.Composable] = list(stage_keys)
        if not info.has_organization_key:
            insert_cols.append(sql.Identifier("organization_id"))
            select_cols.append(sql.SQL("s.organization_id"))
        insert_cols += [sql.Identifier(name) for name in
                        ("modified_at", "record", "deleted_at", "table_version", "record_hash")]
        select_cols += [sql.SQL("s." + name) for name in
                        ("modified_at", "record", "deleted_at", "table_version", "record_hash")]
        head = sql.SQL("INSERT INTO {} AS t ({}) ").format(
            target, sql.SQL(", ").join(insert_cols)
        )
        if not key_cols:
            statement = head + sql.SQL("SELECT {} FROM {} s ORDER BY s.ord").format(
                sql.SQL(", ").join(select_cols), sql.Identifier(_RAW_STAGE)
            )
        else:
            stage = sql.Identifier(_RAW_STAGE)
            source: sql.Composable = (
                sql.SQL(
                    "(SELECT DISTINCT ON ({keys}) * FROM {} s"
                    " ORDER BY {keys}, s.modified_at DESC NULLS LAST, s.ord DESC)"
                ).format(stage, keys=sql.SQL(", ").join(stage_keys))
                if deduplicate
                else stage
            )
            # Unchanged and stale rows never reach ON CONFLICT (no row lock, no write).
            # Content is compared by its hash (no detoasting of stored records); a row
            # stored before hashes existed has none and is rewritten once to get it.
            statement = head + sql.SQL(
                "SELECT {} FROM {source} s"
                " WHERE NOT EXISTS (SELECT 1 FROM {target} o WHERE {match} AND"
                "   ((o.modified_at IS NOT NULL AND s.modified_at IS NOT NULL"
                "     AND s.modified_at < o.modified_at)"
                "    OR (o.record_hash, o.deleted_at, o.table_version) IS NOT DISTINCT FROM"
                "       (s.record_hash, s.deleted_at,"
                "        coalesce(s.table_version, o.table_version))))"
                " ON CONFLICT ({}) DO UPDATE SET modified_at = excluded.modified_at,"
                " record = excluded.record, record_hash = excluded.record_hash,"
                " synced_at = now(), deleted_at = excluded.deleted_at,"
                " table_version = coalesce(excluded.table_version, t.table_version)"
                " WHERE (t.modified_at IS NULL OR excluded.modified_at IS NULL"
                "        OR excluded.modified_at >= t.modified_at)"
                "   AND (t.record_hash, t.deleted_at, t.table_version) IS DISTINCT FROM"
                "       (excluded.record_hash, excluded.deleted_at,"
                "        coalesce(excluded.table_version, t.table_version))"
            ).format(
                sql.SQL(", ").join(select_cols),
                sql.SQL(", ").join(key_cols),
                source=source,
                target=target,
                match=sql.SQL(" AND ").join(
                    sql.SQL("o.{} = {}").format(column, stage_key)
                    for column, stage_key in zip(key_cols, stage_keys, strict=True)
                ),
            )
        self._raw_sql[cache_key] = statement
        return statement

    @staticmethod
    def _map_one(  # noqa: PLR0913 - one record and where its rows go
        stream: str,
        mapper: Mapper,
        item: Incoming,
        key: str,
        position: int,
        *,
        ordinal: Iterator[int],
    ) -> _Mapped:
        """Map one record to ERP stage rows, or say why it is rejected."""
        try:
            produced = mapper(item.record, stream)
        except MappingError as error:
            return _Mapped(position, key, [], (str(error), record_json(item.record)))
        rows: list[tuple[str, tuple[Any, ...]]] = []
        for row, row_position in zip(produced, ordinal, strict=False):
            values = row.values
            rows.append((row.table, (row_position,
                                     *[values.get(column) for column in _COLUMNS[row.table]])))
        return _Mapped(position, key, rows, None)

    @staticmethod
    def _collect(stream: str, mapped: Iterable[_Mapped], batch: _Batch) -> list[str]:
        """Put mappings into the batch; return the keys mapped without a reject."""
        keys: list[str] = []
        for record in mapped:
            if record.reject is not None:
                reason, record_text = record.reject
                batch.result.rejects.append(Reject(stream, record.key, reason))
                batch.reject_records[stream, record.key] = record_text
                continue
            keys.append(record.key)
            for table, row in record.rows:
                batch.rows.setdefault(table, []).append(row)
        return keys

    def _map(
        self,
        stream: str,
        mapper: Mapper,
        items: Sequence[Incoming],
        keys: list[str],
        batch: _Batch,
    ) -> list[str]:
        """Map records to ERP rows; return the keys mapped without a reject."""
        mapped = [self._map_one(stream, mapper, item, key, index, ordinal=batch.ordinal)
                  for index, (item, key) in enumerate(zip(items, keys, strict=True))]
        return self._collect(stream, mapped, batch)

    def _apply_crm_deletions(
        self,
        connection: psycopg.Connection[Any],
        items: Sequence[Incoming],
        batch: _Batch,
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
            deleted_at = _checked_timestamp(record.get("deleted_time")) or datetime.now(
                UTC
            ).isoformat()
            found: list[dict[str, Any]] = []
            info = self.registry.known(connection, stream)
            if info is not None and info.key_properties == ("organization_id", "id"):
                found = [row[0] for row in connection.execute(
                    sql.SQL(
                        "UPDATE {} SET deleted_at = %s,"
                        " modified_at = greatest(modified_at, %s::timestamptz)"
                        " WHERE organization_id = %s AND id = %s AND deleted_at IS NULL"
                        " RETURNING record"
                    ).format(sql.Identifier(self.settings.raw_schema, info.table)),
                    (deleted_at, deleted_at, str(organization), str(record_id)),
                ).fetchall()]
            if not found:
                found = [{"organization_id": str(organization), "id": str(record_id)}]
            tombstones = [{**stored, "Modified_Time": deleted_at} for stored in found]
            self._remap_deleted(stream, tombstones, deleted_at, batch)

    def _remap_deleted(
        self,
        stream: str,
        records: Iterable[dict[str, Any]],
        deleted_at: datetime | str,
        batch: _Batch,
    ) -> None:
        """Map stored records again as tombstones, so their ERP rows get `deleted_at`."""
        mapper = mapper_for(stream)
        if mapper is None:
            return
        stamp = deleted_at if isinstance(deleted_at, str) else deleted_at.isoformat()
        items = [Incoming({**record, "_sdc_deleted_at": stamp}) for record in records]
        keys = [str(index) for index in range(len(items))]
        # Tombstones of stored records reject nothing new: their rejects are dropped.
        scratch = _Batch(ordinal=batch.ordinal, rows=batch.rows)
        self._map(stream, mapper, items, keys, scratch)

    # ------------------------------------------------------------------ ERP merge

    def _merge(self, connection: psycopg.Connection[Any], batch: _Batch) -> None:
        """Write the batch's ERP rows, parents before children.

        Per table: rows whose natural key is not stored (and occurs once in the batch)
        are COPYed into the table with their parents resolved here; the rest are staged
        and merged under the stale-update guard. Then lines removed from the batch's
        documents are swept and children that arrived before these parents are linked.
        """
        rows, result = batch.rows, batch.result
        touched: set[str] = set()
        with connection.cursor() as cursor:
            for spec in TABLES:
                table_rows = rows.get(spec.name)
                if not table_rows:
                    continue
                written = self._write_table(connection, cursor, spec, table_rows)
                if spec.document_column:
                    at = 1 + spec.column_names.index(spec.document_column)
                    cursor.execute(self._removed_lines_sql(spec), (key_payload(
                        {(row[1], row[at]) for row in table_rows if row[at] is not None}),))
                    written += max(cursor.rowcount, 0)
                late_parents = self._late_parent_sql(spec)
                keys = key_payload({(row[1], row[2]) for row in table_rows}) if late_parents else ""
                for child, statement in late_parents:
                    cursor.execute(statement, (keys,))
                    if cursor.rowcount > 0:
                        result.erp_written[child] += cursor.rowcount
                        touched.add(child)
                if written:
                    result.erp_written[spec.name] += written
                    touched.add(spec.name)
        if touched & LINK_TABLES:
            link_customers_to_crm(connection, self.settings.erp_schema)

    def _write_table(
        self,
        connection: psycopg.Connection[Any],
        cursor: psycopg.Cursor[Any],
        spec: TableSpec,
        table_rows: list[tuple[Any, ...]],
    ) -> int:
        """Insert or merge one table's rows; return how many rows were written."""
        keys = Counter((row[1], row[2]) for row in table_rows)
        stored = self._stored_ids(connection, spec.name, keys)
        fresh = [row for row in table_rows
                 if keys[row[1], row[2]] == 1 and (row[1], row[2]) not in stored]
        written = 0
        rest = table_rows
        if fresh and copy_new_rows(
            connection, self._erp_copy_sql(spec), self._with_parents(connection, spec, fresh),
            table=f"{self.settings.erp_schema}.{spec.name}",
        ):
            written = len(fresh)
            copied = {row[0] for row in fresh}
            rest = [row for row in table_rows if row[0] not in copied]
        if not rest:
            return written
        self._ensure_erp_stage(connection, spec)
        stage = sql.Identifier(f"_tsh_stage_{spec.name}")
        with cursor.copy(
            sql.SQL("COPY {} (ord, {}) FROM STDIN").format(
                stage, sql.SQL(", ").join(map(sql.Identifier, spec.column_names))
            )
        ) as copy:
            for row in rest:
                copy.write_row(row)
        statements = self._merge_statements(
            spec, deduplicate=len({(row[1], row[2]) for row in rest}) != len(rest)
        )
        for statement in statements[:-1]:
            cursor.execute(statement)
        written += max(cursor.rowcount, 0)
        cursor.execute(statements[-1])
        return written

    def _erp_copy_sql(self, spec: TableSpec) -> sql.Composed:
        """COPY into the ERP table itself: mapped columns, then one id per parent link."""
        return sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
            self._erp, sql.Identifier(spec.name),
            sql.SQL(", ").join(map(sql.Identifier, (
                *spec.column_names, *(ref.fk_column for ref in spec.refs)))),
        )

    def _with_parents(
        self,
        connection: psycopg.Connection[Any],
        spec: TableSpec,
        rows: Sequence[tuple[Any, ...]],
    ) -> list[tuple[Any, ...]]:
        """Rows ready for `_erp_copy_sql`: parents resolved as the merge resolves them.

        Per link: one lookup of the parents' surrogate ids, then placeholders for those
        not stored yet (when the link makes them); a `fills` column gets the parent's
        Zoho id, or NULL when no such parent is stored.
        """
        names = spec.column_names
        values = [list(row[1:]) for row in rows]
        for ref in spec.refs:
            at = names.index(ref.zoho_id_column)
            parents: dict[tuple[str, str], list[Any]] = {}
            for row in values:
                if row[at] is not None:
                    parents[row[0], row[at]] = row  # the last row names the placeholder
            ids = self._stored_ids(connection, ref.parent, parents)
            missing = {key: row for key, row in parents.items() if key not in ids}
            if ref.placeholder and missing:
                ids |= self._insert_placeholders(connection, spec, ref, missing)
                # A placeholder another writer inserted meanwhile is not returned.
                ids |= self._stored_ids(connection, ref.parent,
                                        [key for key in missing if key not in ids])
            fills = None if ref.fills is None else names.index(ref.fills)
            for row in values:
                parent_id = ids.get((row[0], row[at]))
                if fills is not None:
                    row[fills] = row[at] if parent_id is not None else None
                row.append(parent_id)
        return [tuple(row) for row in values]

    def _stored_ids(
        self,
        connection: psycopg.Connection[Any],
        table: str,
        keys: Iterable[tuple[str, str]],
    ) -> dict[tuple[str, str], int]:
        """(organization, Zoho id) -> surrogate id of those keys stored in an ERP table."""
        payload = key_payload(keys)
        if payload == "[]":
            return {}
        return {(found[0], found[1]): found[2] for found in connection.execute(
            sql.SQL(
                "SELECT p.organization_id, p.zoho_id, p.id"
                " FROM json_array_elements(%s::json) AS u(e) JOIN {}.{} p"
                " ON p.organization_id = u.e->>0 AND p.zoho_id = u.e->>1"
            ).format(self._erp, sql.Identifier(table)),
            (payload,),
        )}

    def _insert_placeholders(
        self,
        connection: psycopg.Connection[Any],
        spec: TableSpec,
        ref: ParentRef,
        parents: Mapping[tuple[str, str], Sequence[Any]],
    ) -> dict[tuple[str, str], int]:
        """Placeholder rows for the parents a child names before they arrive; their ids.

        `parents`: (organization, parent Zoho id) -> the child's values (without `ord`)
        whose `placeholder_columns` name the placeholder, as the merge's placeholders do.
        """
        copied = [(spec.column_names.index(child), parent)
                  for child, parent in ref.placeholder_columns]
        types = dict(TABLES_BY_NAME[ref.parent].columns)
        payload = orjson.dumps(
            [[organization, zoho_id, *(row[index] for index, _ in copied)]
             for (organization, zoho_id), row in parents.items()],
            default=_json_default,
        ).decode()
        return {(found[0], found[1]): found[2] for found in connection.execute(
            sql.SQL(
                "INSERT INTO {}.{} (organization_id, zoho_id, is_placeholder{})"
                " SELECT u.e->>0, u.e->>1, true{} FROM json_array_elements(%s::json) AS u(e)"
                " ON CONFLICT (organization_id, zoho_id) DO NOTHING"
                " RETURNING organization_id, zoho_id, id"
            ).format(
                self._erp, sql.Identifier(ref.parent),
                sql.SQL("").join(sql.SQL(", {}").format(sql.Identifier(parent))
                                 for _, parent in copied),
                sql.SQL("").join(
                    sql.SQL(", (u.e->>{})::{}").format(sql.Literal(2 + index),
                                                      sql.SQL(types[parent]))
                    for index, (_, parent) in enumerate(copied)
                ),
            ),
            (payload,),
        )}

    def _late_parent_sql(self, parent: TableSpec) -> list[tuple[str, sql.Composed]]:
        """Link children that arrived before this parent, for refs that `fill` a column.

        Such refs insert no placeholder (the child cannot tell which parent table it
        belongs to), so a child stored first keeps a NULL link; when the parent is
        merged, the children naming it get the link and the filled Zoho id, exactly what
        the merge would resolve now, so their next delivery rewrites nothing. Only the
        parents of this batch are looked up (index on the child's id column).
        """
        statements: list[tuple[str, sql.Composed]] = []
        for child in TABLES:
            for ref in child.refs:
                if ref.parent != parent.name or ref.fills is None:
                    continue
                statements.append((child.name, sql.SQL(
                    "UPDATE {erp}.{child} t SET {fk} = p.id, {fills} = p.zoho_id,"
                    " updated_at = now() FROM json_array_elements(%s::json) AS u(e)"
                    " JOIN {erp}.{parent} p"
                    "   ON p.organization_id = u.e->>0 AND p.zoho_id = u.e->>1"
                    " WHERE t.organization_id = p.organization_id AND t.{ref_id} = p.zoho_id"
                    "   AND t.{fk} IS NULL"
                ).format(
                    erp=self._erp, child=sql.Identifier(child.name),
                    parent=sql.Identifier(parent.name), fk=sql.Identifier(ref.fk_column),
                    fills=sql.Identifier(ref.fills), ref_id=sql.Identifier(ref.zoho_id_column),
                )))
        return statements

    def _removed_lines_sql(self, spec: TableSpec) -> sql.Composed:
        """Soft-delete ERP lines no longer in their document (see `_raw_removed_lines_sql`).

        Runs after the upsert, in the batch's transaction, for the batch's documents.
        The newest stored line time of a document is the newest version seen; a line
        dated before it was removed from the document. `source_modified_at` moves to that
        time so a stale copy of the line is rejected by the stale-update guard.
        """
        erp, table = self._erp, sql.Identifier(spec.name)
        return sql.SQL(
            "WITH documents AS (SELECT l.organization_id, l.{doc} AS document,"
            "   max(l.source_modified_at) AS newest FROM {erp}.{table} l"
            "   WHERE (l.organization_id, l.{doc}) IN"
            "     (SELECT u.e->>0, u.e->>1 FROM json_array_elements(%s::json) AS u(e))"
            "   GROUP BY 1, 2)"
            " UPDATE {erp}.{table} t SET deleted_at = d.newest, source_modified_at = d.newest,"
            " synced_at = now(), updated_at = now() FROM documents d"
            " WHERE t.organization_id = d.organization_id AND t.{doc} = d.document"
            "   AND t.deleted_at IS NULL AND t.source_modified_at < d.newest"
        ).format(
            doc=sql.Identifier(str(spec.document_column)), erp=erp, table=table,
        )

    def _parent_joins(
        self, spec: TableSpec
    ) -> tuple[list[sql.Composable], dict[str, sql.Composable]]:
        """LEFT JOINs to each parent, and the values they resolve per child column.

        A foreign key is the parent's surrogate id; a `fills` column is the parent's
        Zoho id (NULL when no such parent is stored).
        """
        joins: list[sql.Composable] = []
        resolved: dict[str, sql.Composable] = {}
        for index, ref in enumerate(spec.refs):
            alias = sql.Identifier(f"p{index}")
            resolved[ref.fk_column] = sql.SQL("{}.id").format(alias)
            if ref.fills:
                resolved[ref.fills] = sql.SQL("{}.zoho_id").format(alias)
            joins.append(
                sql.SQL(
                    " LEFT JOIN {}.{} {a} ON {a}.organization_id = s.organization_id"
                    " AND {a}.zoho_id = s.{}"
                ).format(self._erp, sql.Identifier(ref.parent),
                         sql.Identifier(ref.zoho_id_column), a=alias)
            )
        return joins, resolved

    def _merge_statements(self, spec: TableSpec, *, deduplicate: bool) -> list[sql.Composed]:
        """Placeholder inserts for parents, the guarded upsert, the stage cleanup."""
        cached = self._merge_sql.get((spec.name, deduplicate))
        if cached is not None:
            return cached
        erp = self._erp
        stage = sql.Identifier(f"_tsh_stage_{spec.name}")
        statements: list[sql.Composed] = []
        for ref in spec.refs:
            if not ref.placeholder:
                continue
            extra_child = [sql.Identifier(child) for child, _ in ref.placeholder_columns]
            extra_parent = [sql.Identifier(parent) for _, parent in ref.placeholder_columns]
            statements.append(
                sql.SQL(
                    "INSERT INTO {}.{} (organization_id, zoho_id, is_placeholder{})"
                    " SELECT DISTINCT ON (organization_id, {col}) organization_id, {col},"
                    " true{} FROM {} WHERE {col} IS NOT NULL"
                    " ORDER BY organization_id, {col}, ord DESC"
                    " ON CONFLICT (organization_id, zoho_id) DO NOTHING"
                ).format(
                    erp, sql.Identifier(ref.parent),
                    sql.SQL("").join(sql.SQL(", ") + name for name in extra_parent),
                    sql.SQL("").join(sql.SQL(", ") + name for name in extra_child),
                    stage, col=sql.Identifier(ref.zoho_id_column),
                )
            )
        data_columns = [name for name, _ in spec.columns]
        compared = ["source_modified_at", "deleted_at", *data_columns]
        insert_columns = [*spec.column_names, *(ref.fk_column for ref in spec.refs)]
        joins, resolved = self._parent_joins(spec)
        select_values: list[sql.Composable] = [
            resolved.get(name, sql.SQL("s.{}").format(sql.Identifier(name)))
            for name in insert_columns
        ]
        compared += [ref.fk_column for ref in spec.refs]

        def incoming(name: str) -> sql.Composable:
            if name in spec.enrich_columns:
                return sql.SQL("coalesce(excluded.{c}, t.{c})").format(c=sql.Identifier(name))
            return sql.SQL("excluded.{}").format(sql.Identifier(name))

        def staged(name: str) -> sql.Composable:
            """The incoming value as the pre-filter sees it (o = the stored row)."""
            if name in resolved:
                return resolved[name]
            if name in spec.enrich_columns:
                return sql.SQL("coalesce(s.{c}, o.{c})").format(c=sql.Identifier(name))
            return sql.SQL("s.{}").format(sql.Identifier(name))

        updated = [name for name in insert_columns if name not in {"organization_id", "zoho_id"}]
        statements.append(
            sql.SQL(
                "INSERT INTO {}.{} AS t ({}) SELECT {} FROM"
                " (SELECT {distinct}* FROM {} s{order}) s{}"
                # Unchanged and stale rows are dropped before ON CONFLICT, which would
                # otherwise lock (and so dirty) every stored row an update run touches.
                " WHERE NOT EXISTS (SELECT 1 FROM {table} o"
                "   WHERE o.organization_id = s.organization_id AND o.zoho_id = s.zoho_id"
                "   AND NOT o.is_placeholder"
                "   AND ((o.source_modified_at IS NOT NULL AND s.source_modified_at IS NOT NULL"
                "         AND s.source_modified_at < o.source_modified_at)"
                "        OR ({stored}) IS NOT DISTINCT FROM ({incoming})))"
                " ON CONFLICT (organization_id, zoho_id) DO UPDATE SET {},"
                " is_placeholder = false, synced_at = now(), updated_at = now()"
                " WHERE (t.source_modified_at IS NULL OR excluded.source_modified_at IS NULL"
                "        OR excluded.source_modified_at >= t.source_modified_at)"
                "   AND (t.is_placeholder OR ({}) IS DISTINCT FROM ({}))"
            ).format(
                erp, sql.Identifier(spec.name),
                sql.SQL(", ").join(map(sql.Identifier, insert_columns)),
                sql.SQL(", ").join(select_values),
                stage, sql.SQL("").join(joins),
                sql.SQL(", ").join(
                    sql.SQL("{} = {}").format(sql.Identifier(name), incoming(name))
                    for name in updated
                ),
                sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(n)) for n in compared),
                sql.SQL(", ").join(incoming(name) for name in compared),
                table=sql.SQL("{}.{}").format(erp, sql.Identifier(spec.name)),
                stored=sql.SQL(", ").join(sql.SQL("o.{}").format(sql.Identifier(n))
                                          for n in compared),
                incoming=sql.SQL(", ").join(staged(name) for name in compared),
                distinct=sql.SQL("DISTINCT ON (s.organization_id, s.zoho_id) " if deduplicate
                                 else ""),
                order=sql.SQL(" ORDER BY s.organization_id, s.zoho_id,"
                              " s.source_modified_at DESC NULLS LAST, s.ord DESC" if deduplicate
                              else ""),
            )
        )
        statements.append(sql.SQL("DELETE FROM {}").format(stage))
        self._merge_sql[spec.name, deduplicate] = statements
        return statements

    # ------------------------------------------------------------------ rejects

    def _record_rejects(
        self,
        connection: psycopg.Connection[Any],
        batch: _Batch,
        mapped_keys: dict[str, list[str]],
    ) -> None:
        """Keep rejects (latest reason per record) and clear those now mapped."""
        table = sql.Identifier(self.settings.raw_schema, "rejects")
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
                    [(r.stream, r.key, r.reason, records.get((r.stream, r.key), "{}"))
                     for r in by_key.values()],
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
                    (stream, keys),
                )

    # ------------------------------------------------------------------ versions

    def soft_delete_unseen(
        self, connection: psycopg.Connection[Any], stream: str, version: int
    ) -> ApplyResult:
        """ACTIVATE_VERSION: soft-delete raw and ERP rows of older table versions.

        Scoped twice, because a version only speaks for what its listing covered:
        - to the organizations that have rows in this version: with one job per
          organization (the scale-out), one job's version must not soft-delete the rows
          of organizations another job syncs;
        - when the version is a millisecond epoch (tap-zoho's and the Singer convention:
          the time the full listing began), to rows Zoho last changed before that time:
          a row the webhook service wrote during the refresh was not in the listing
          because it changed after it, not because it was deleted.
        An organization whose listing came back empty has no row in the version and so is
        not reconciled (a rare case the next full refresh with any row settles).
        """
        batch = _Batch()
        result = batch.result
        info = self.registry.known(connection, stream)
        if info is None:
            return result
        table = sql.Identifier(self.settings.raw_schema, info.table)
        listed = [row[0] for row in connection.execute(
            sql.SQL("SELECT DISTINCT organization_id FROM {} WHERE table_version = %s")
            .format(table), (version,))]  # fmt: skip
        if not listed:
            return result
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
        result.raw_written = len(found)
        if found:
            self._ensure_stages(connection)
            self._remap_deleted(stream, [r[0] for r in found], now, batch)
            self._merge(connection, batch)
        return result

    def remap_records(
        self,
        connection: psycopg.Connection[Any],
        stream: str,
        records: Iterable[tuple[dict[str, Any], datetime | None]],
    ) -> ApplyResult:
        """Map stored raw records again (remap): no raw write, same guard and merge."""
        batch = _Batch()
        result = batch.result
        mapper = mapper_for(stream)
        if mapper is None:
            return result
        self._ensure_stages(connection)
        info = self.ensure_stream(connection, stream)
        items = [
            Incoming({**record, "_sdc_deleted_at": deleted.isoformat()} if deleted else record)
            for record, deleted in records
        ]
        keys = [
            (values[0] if len(values) == 1 else orjson.dumps(values).decode())
            for values in (key_values(info, item.record) for item in items)
        ]
        mapped = self._map(stream, mapper, items, keys, batch)
        self._merge(connection, batch)
        self._record_rejects(connection, batch, {stream: mapped})
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


_EPOCH_MS_FLOOR = 946_684_800_000  # 2000-01-01: smaller versions are counters, not times


def _listing_began(version: int, now: datetime) -> datetime | None:
    """The time a millisecond-epoch table version stands for; None for a plain counter."""
    if _EPOCH_MS_FLOOR <= version <= (now.timestamp() + 86_400) * 1000:
        return datetime.fromtimestamp(version / 1000, UTC)
    return None
