"""The raw layer: one `zoho_raw.<stream>` landing table per stream, created on demand.

Every record received lands here before any mapping, so nothing is ever lost: a stream
no mapping knows, a record the mapping rejects, a field the ERP does not store. Tables are
described once in `<raw>._streams` (key properties, modification field) and cached in
the process, so a batch never reflects a table.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg import errors, sql

from target_tsh_erp.settings import INTERNAL_RAW_TABLES

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "RESERVED_COLUMNS",
    "RawRegistry",
    "RawStream",
    "StreamRefusedError",
    "raw_table_name",
]


MAX_KEY_PROPERTIES = 8
"""Key properties a raw landing table supports (Zoho streams use two or three); the raw
stage has that many key columns."""


class StreamRefusedError(ValueError):
    """A stream the raw layer cannot land as declared; the message says why, on one line.

    Refused rather than adapted: a name PostgreSQL cannot store, a landing table that
    is the target's own or another stream's, a key the stored records do not satisfy.
    """


def _check_names(stream: str, key_properties: tuple[str, ...] = ()) -> None:
    """Refuse names PostgreSQL text cannot hold (before any statement carries them)."""
    if "\x00" in stream or any("\x00" in name for name in key_properties):
        msg = (f"stream {stream!r}: a stream name or key property with a NUL character"
               " cannot be stored (PostgreSQL text cannot hold it)")
        raise StreamRefusedError(msg)
    if len(key_properties) > MAX_KEY_PROPERTIES:
        msg = (f"stream {stream!r}: {len(key_properties)} key properties, at most"
               f" {MAX_KEY_PROPERTIES} are supported")
        raise StreamRefusedError(msg)

RESERVED_COLUMNS = frozenset(
    {"_raw_id", "organization_id", "modified_at", "record", "synced_at", "deleted_at",
     "table_version"}
)  # fmt: skip
_MAX_IDENTIFIER = 63


def _identifier(name: str, prefix: str = "") -> str:
    """A lowercase PostgreSQL identifier from any name, short and collision-resistant."""
    clean = re.sub(r"[^a-z0-9_]", "_", name.lower()) or "_"
    if clean[0].isdigit():
        clean = f"_{clean}"
    clean = f"{prefix}{clean}"
    if clean != f"{prefix}{name}" or len(clean) > _MAX_IDENTIFIER:
        # Two different names must not collapse onto one table or column.
        digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
        clean = f"{clean[: _MAX_IDENTIFIER - 9]}_{digest}"
    return clean


def raw_table_name(stream: str) -> str:
    """The landing table of a stream (the stream name when it is a plain identifier)."""
    return _identifier(stream)


@dataclass(frozen=True, slots=True)
class RawStream:
    """A stream's landing table and how to read its records."""

    stream: str
    table: str
    key_properties: tuple[str, ...]
    key_columns: tuple[str, ...]
    modification_field: str | None

    @property
    def has_organization_key(self) -> bool:
        """Whether `organization_id` is one of the key columns."""
        return "organization_id" in self.key_properties


def _key_columns(key_properties: tuple[str, ...]) -> tuple[str, ...]:
    columns: list[str] = []
    for name in key_properties:
        if name == "organization_id":
            columns.append(name)
            continue
        column = _identifier(name)
        if column in RESERVED_COLUMNS or column in columns:
            column = _identifier(name, prefix="key_")
        columns.append(column)
    return tuple(columns)


class RawRegistry:
    """The raw tables known to this process, created or adapted on first sight."""

    def __init__(self, raw_schema: str) -> None:
        """Start with an empty cache: the database is read on first use of a stream."""
        self.raw_schema = raw_schema
        self._streams: dict[str, RawStream] = {}
        self._provisional: dict[str, int] = {}
        """Streams whose table this process created in a transaction that may roll back,
        with that transaction's id: re-checked until seen from another transaction."""
        self._lock = threading.Lock()
        """The target's writer threads share one registry: each look-and-change of the
        cache is one step (two writers re-checking one provisional table both went on to
        forget it, and the second died on a KeyError under the crash campaign)."""

    def known(self, connection: psycopg.Connection[Any], stream: str) -> RawStream | None:
        """The stream's landing table if it was ever created (by any process).

        Raises:
            StreamRefusedError: the name holds a NUL character.
        """
        _check_names(stream)
        with self._lock:
            info = self._streams.get(stream)
            created_in = self._provisional.get(stream)
        if info is not None:
            if created_in is None:
                return info
            row = connection.execute(
                "SELECT to_regclass(%s) IS NOT NULL, txid_current_if_assigned()",
                (sql.Identifier(self.raw_schema, info.table).as_string(connection),),
            ).fetchone()
            visible = bool(row and row[0])
            with self._lock:
                if self._provisional.get(stream) == created_in:
                    if visible and row is not None and row[1] != created_in:
                        del self._provisional[stream]  # visible from another transaction
                    elif not visible:
                        # Created in a transaction (or savepoint) that rolled back.
                        del self._streams[stream], self._provisional[stream]
            if visible:
                return info
        row = connection.execute(
            sql.SQL(
                "SELECT table_name, key_properties, modification_field FROM {}._streams"
                " WHERE stream = %s"
            ).format(sql.Identifier(self.raw_schema)),
            (stream,),
        ).fetchone()
        if row is None:
            return None
        keys = tuple(row[1])
        info = RawStream(stream, row[0], keys, _key_columns(keys), row[2])
        with self._lock:
            self._streams.setdefault(stream, info)
        return info

    def cached(self, stream: str) -> RawStream | None:
        """The stream's description if this process has seen it (no database access)."""
        return self._streams.get(stream)

    def all_streams(self, connection: psycopg.Connection[Any]) -> list[RawStream]:
        """Every registered stream (for remap)."""
        rows = connection.execute(
            sql.SQL("SELECT stream FROM {}._streams ORDER BY stream").format(
                sql.Identifier(self.raw_schema)
            )
        ).fetchall()
        return [info for (stream,) in rows if (info := self.known(connection, stream))]

    def ensure(
        self,
        connection: psycopg.Connection[Any],
        stream: str,
        key_properties: list[str] | tuple[str, ...],
        modification_field: str | None,
    ) -> RawStream:
        """Create the landing table, or adapt its key when the stream's key changed.

        Raises:
            StreamRefusedError: a name PostgreSQL cannot store, a landing table that is
                the target's own (`_streams`, `rejects`) or another stream's, or a
                changed key the stored records are not unique on.
        """
        keys = tuple(key_properties)
        _check_names(stream, keys)
        cached = self.known(connection, stream)
        if (
            cached is not None
            and cached.key_properties == keys
            and cached.modification_field == modification_field
        ):
            return cached
        table = cached.table if cached else raw_table_name(stream)
        if cached is None:
            self._refuse_taken(connection, stream, table)
        info = RawStream(stream, table, keys, _key_columns(keys), modification_field)
        # CREATE TABLE IF NOT EXISTS is not safe against a concurrent create (the loser
        # fails on pg_type's unique index): two organizations' first loads into one new
        # database do exactly that. One lock per raw schema, held to the end of the
        # transaction, makes the second wait and then find the table.
        connection.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"tsh-erp raw ddl {self.raw_schema}",)
        )
        schema = sql.Identifier(self.raw_schema)
        ident = sql.Identifier(self.raw_schema, table)
        extra = (
            sql.SQL("")
            if info.has_organization_key
            else sql.SQL("organization_id text, ")
        )
        key_defs = sql.SQL("").join(
            sql.SQL("{} text, ").format(sql.Identifier(column))
            for column in info.key_columns
        )
        connection.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " _raw_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {}{}"
                " modified_at timestamptz, record jsonb NOT NULL,"
                " synced_at timestamptz NOT NULL DEFAULT now(),"
                " deleted_at timestamptz, table_version bigint, record_hash bytea)"
                " WITH (toast_tuple_target = 8160)"
            ).format(ident, key_defs, extra)
        )
        # Records of a few KB stay inline and uncompressed: pglz (the embedded build has
        # no lz4) on every landed record was the largest PostgreSQL cost of a first load.
        connection.execute(
            sql.SQL("ALTER TABLE {} SET (toast_tuple_target = 8160)").format(ident)
        )
        connection.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS record_hash bytea").format(ident)
        )
        for column in (*info.key_columns, "organization_id"):
            connection.execute(
                sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} text").format(
                    ident, sql.Identifier(column)
                )
            )
        if keys:
            index = _identifier(f"{table}_key_{'_'.join(info.key_columns)}")
            stale = connection.execute(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_class t ON t.oid = x.indrelid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE n.nspname = %s AND t.relname = %s AND x.indisunique"
                " AND NOT x.indisprimary AND i.relname <> %s",
                (self.raw_schema, table, index),
            ).fetchall()
            for (name,) in stale:
                connection.execute(
                    sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(self.raw_schema, name))
                )
            try:
                connection.execute(
                    sql.SQL("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({})").format(
                        sql.Identifier(index),
                        ident,
                        sql.SQL(", ").join(map(sql.Identifier, info.key_columns)),
                    )
                )
            except errors.UniqueViolation as error:
                before = list(cached.key_properties) if cached else []
                msg = (f"stream {stream!r}: key_properties {list(keys)} cannot replace"
                       f" {before}: stored records are not unique on the new key"
                       f" ({error.diag.message_detail or error.diag.message_primary})")
                raise StreamRefusedError(msg) from None
        connection.execute(
            sql.SQL(
                "INSERT INTO {}._streams (stream, table_name, key_properties,"
                " modification_field) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (stream) DO UPDATE SET key_properties = excluded.key_properties,"
                " modification_field = excluded.modification_field"
            ).format(schema),
            (stream, table, list(keys), modification_field),
        )
        created_in = connection.execute("SELECT txid_current()").fetchone()
        with self._lock:
            self._streams[stream] = info
            self._provisional[stream] = int(created_in[0]) if created_in else 0
        return info

    def _refuse_taken(self, connection: psycopg.Connection[Any], stream: str, table: str) -> None:
        """Refuse a new stream whose landing table is the target's own or another's.

        A keyless stream named `_streams` would otherwise add columns to the target's
        registry; a name equal to another stream's hashed table name would share it.
        """
        if table in INTERNAL_RAW_TABLES:
            msg = (f"stream {stream!r} would land in the target's own table"
                   f" {self.raw_schema}.{table}: rename the stream")
            raise StreamRefusedError(msg)
        owner = connection.execute(
            sql.SQL("SELECT stream FROM {}._streams WHERE table_name = %s AND stream <> %s")
            .format(sql.Identifier(self.raw_schema)),
            (table, stream),
        ).fetchone()
        if owner is not None:
            msg = (f"stream {stream!r} would land in {self.raw_schema}.{table}, the table"
                   f" of stream {owner[0]!r}: rename one of them")
            raise StreamRefusedError(msg)

    def forget(self) -> None:
        """Drop the cache (after a rolled-back transaction that may have created tables)."""
        with self._lock:
            self._streams.clear()
            self._provisional.clear()
