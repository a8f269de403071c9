"""Raw landing: every record into its `<raw>.<stream>` table, as received.

New keys are COPYed straight into the landing table; stored or repeated keys go through
the session's temp stage and one guarded `INSERT ... ON CONFLICT DO UPDATE` per stream.
Records whose stored row already holds them (same key, hash, deletion mark, version) are
found first and skipped: that lookup is most of an update run.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import orjson
from psycopg import sql

from target_tsh_erp.store.batch import (
    MAX_KEY_PROPERTIES,
    RAW_ORGANIZATION,
    RAW_STAGE,
    Batch,
    Landing,
    RawPart,
)
from target_tsh_erp.store.listing import listed_sql, listing_began, swept_documents
from target_tsh_erp.store.new_rows import copy_new_rows

if TYPE_CHECKING:
    from collections.abc import Sequence

    import psycopg

    from target_tsh_erp.store.raw_tables import RawStream

__all__ = ["RawLanding"]


class RawLanding:
    """Lands raw stage rows in one raw schema; caches its statements per stream shape."""

    def __init__(self, raw_schema: str) -> None:
        """Start with empty statement caches for `raw_schema`."""
        self.raw_schema = raw_schema
        self._merge_sql: dict[tuple[str, tuple[str, ...], bool, bool], sql.Composed] = {}

    @staticmethod
    def ensure_stage(connection: psycopg.Connection[Any]) -> None:
        """Create the session's raw stage (once per session; emptied at every commit)."""
        connection.execute(
            sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} (ord integer, {},"
                " organization_id text, modified_at timestamptz, record jsonb,"
                " deleted_at timestamptz, table_version bigint, record_hash bytea)"
                " WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS"
            ).format(
                sql.Identifier(RAW_STAGE),
                sql.SQL(", ").join(
                    sql.SQL("{} text").format(sql.Identifier(f"k{i}"))
                    for i in range(1, MAX_KEY_PROPERTIES + 1)
                ),
            )
        )

    def stored(self, connection: psycopg.Connection[Any], part: RawPart) -> dict[int, bool]:
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
                target=sql.Identifier(self.raw_schema, info.table),
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

    def land(self, connection: psycopg.Connection[Any], landing: Landing, batch: Batch) -> None:
        """Land a stream's rows: new keys by COPY into the table, the rest merged.

        Lines of the documents landed are then swept (`_removed_lines_sql`).
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
            connection, self._copy_sql(info),
            [(*row[1:1 + key_count],
              *(() if info.has_organization_key else (row[RAW_ORGANIZATION],)),
              *row[RAW_ORGANIZATION + 1:]) for row in fresh],
            table=f"{self.raw_schema}.{info.table}",
        ):
            batch.result.raw_written += len(fresh)
            copied = {row[0] for row in fresh}
            rest = [row for row in rows if row[0] not in copied]
        with connection.cursor() as cursor:
            if rest:
                self._merge(cursor, part, rest, batch)
            removed = self._removed_lines_sql(info)
            if removed is not None:
                version_at = RAW_ORGANIZATION + 4  # organization, modified, record, deleted
                cursor.execute(removed, (swept_documents(
                    (row[1], row[2], row[3], listing_began(row[version_at])) for row in rows),))
                batch.result.raw_written += max(cursor.rowcount, 0)

    def _copy_sql(self, info: RawStream) -> sql.Composed:
        """COPY into the landing table itself, for records whose key is not stored."""
        columns = [*info.key_columns,
                   *(() if info.has_organization_key else ("organization_id",)),
                   "modified_at", "record", "deleted_at", "table_version", "record_hash"]
        return sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(self.raw_schema, info.table),
            sql.SQL(", ").join(map(sql.Identifier, columns)),
        )

    def _merge(
        self,
        cursor: psycopg.Cursor[Any],
        part: RawPart,
        rows: Sequence[tuple[Any, ...]],
        batch: Batch,
    ) -> None:
        """COPY rows into the raw stage and merge them into the landing table."""
        stage = sql.Identifier(RAW_STAGE)
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
        cursor.execute(self._merge_statement(part.info, deduplicate=part.deduplicate))
        batch.result.raw_written += max(cursor.rowcount, 0)
        cursor.execute(sql.SQL("DELETE FROM {}").format(stage))

    def _removed_lines_sql(self, info: RawStream) -> sql.Composed | None:
        """Soft-delete raw lines no longer in their document (line-item streams only).

        A document's lines arrive as its complete current set, each dated with the
        document's `parent_last_modified_time`. A stored line dated before the newest
        stored line of the same document is not in that newer version: it was removed.
        Its `modified_at` moves to that version's time, so a stale re-delivery of the old
        version is older than the stored row and cannot bring it back. A deleted line
        counts with its deletion time: a line first seen in a late copy of a deleted
        document (older than the deletion) is swept as deleted too. Only the documents
        landed (the statement's JSON parameter) are swept; lines of the newest version are
        never touched, so a version split across two batches ends with all its lines live.
        A document given with a time and line ids (a line manifest, `sweep_listed_lines`)
        takes that time as its newest version and keeps the lines it lists. A line of
        the batch that a complete listing showed at or after the newest time is in that
        version (`proven`, see `listing.swept_documents`): a line a later listing
        brought back is not swept by the deletion time of its siblings still to come.
        """
        if not info.stream.endswith("_line_items") or len(info.key_columns) != 3:  # noqa: PLR2004 - (organization, document, line)
            return None
        if info.key_columns[0] != "organization_id":
            return None
        target = sql.Identifier(self.raw_schema, info.table)
        document = sql.Identifier(info.key_columns[1])
        return sql.SQL(
            "WITH given AS (SELECT u.e->>0 AS organization_id, u.e->>1 AS document,"
            "   (u.e->>2)::timestamptz AS listed, nullif((u.e->3)::jsonb, 'null') AS keep,"
            "   nullif((u.e->4)::jsonb, 'null') AS proven"
            "   FROM json_array_elements(%s::json) AS u(e)),"
            " documents AS (SELECT g.organization_id, g.document, g.listed AS newest, g.keep,"
            "   g.proven FROM given g WHERE g.listed IS NOT NULL"
            "  UNION ALL SELECT r.organization_id, r.{doc},"
            "   max(greatest(r.modified_at, r.deleted_at)), NULL::jsonb, g.proven"
            "   FROM {target} r JOIN given g ON g.listed IS NULL"
            "     AND g.organization_id = r.organization_id AND g.document = r.{doc}"
            "   GROUP BY 1, 2, 5)"
            " UPDATE {target} t SET deleted_at = d.newest, modified_at = d.newest,"
            " synced_at = now() FROM documents d"
            " WHERE t.organization_id = d.organization_id AND t.{doc} = d.document"
            "   AND t.deleted_at IS NULL"
            "   AND (greatest(t.modified_at, (d.proven->>t.{line})::timestamptz) < d.newest"
            "     OR (d.keep IS NOT NULL AND t.modified_at = d.newest))"
            "   AND NOT coalesce(d.keep ? t.{line}, false)"
        ).format(doc=document, target=target, line=sql.Identifier(info.key_columns[2]))

    def sweep_listed_lines(
        self, connection: psycopg.Connection[Any], info: RawStream, documents: str
    ) -> int:
        """Soft-delete a line stream's raw lines that line manifests no longer list.

        `documents` is a `key_payload` of [organization, document, manifest time, line
        ids]: the same sweep as after a line batch, with the document's version and its
        lines given by the manifest instead of read from the stored lines, so a document
        that lost ALL its lines is swept too. Lines dated after the manifest are kept.
        """
        statement = self._removed_lines_sql(info)
        if statement is None:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(statement, (documents,))
            return max(cursor.rowcount, 0)

    def _merge_statement(self, info: RawStream, *, deduplicate: bool) -> sql.Composed:
        """The raw upsert; `deduplicate` keeps the newest of repeated keys in a batch.

        Without repeats the DISTINCT ON sort of wide rows is skipped (the common case).
        """
        cache_key = (info.table, info.key_columns, info.has_organization_key, deduplicate)
        cached = self._merge_sql.get(cache_key)
        if cached is not None:
            return cached
        target = sql.Identifier(self.raw_schema, info.table)
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
                sql.SQL(", ").join(select_cols), sql.Identifier(RAW_STAGE)
            )
        else:
            stage = sql.Identifier(RAW_STAGE)
            source: sql.Composable = (
                sql.SQL(
                    "(SELECT DISTINCT ON ({keys}) * FROM {} s"
                    " ORDER BY {keys}, {incoming} DESC NULLS LAST,"
                    " greatest(s.modified_at, s.deleted_at) DESC NULLS LAST, s.ord DESC)"
                ).format(stage, keys=sql.SQL(", ").join(stage_keys),
                         incoming=_incoming_time(sql.SQL("s")))
                if deduplicate
                else stage
            )
            # Unchanged and stale rows never reach ON CONFLICT (no row lock, no write).
            # Content is compared by its hash (no detoasting of stored records); a row
            # stored before hashes existed has none and is rewritten once to get it.
            # A row's time is the latest of its modification and its deletion
            # (`greatest` skips NULLs): a deletion is final against anything older.
            # An incoming record of a complete listing counts the listing's start too.
            statement = head + sql.SQL(
                "SELECT {} FROM {source} s"
                " WHERE NOT EXISTS (SELECT 1 FROM {target} o WHERE {match} AND"
                "   ({staged} < greatest(o.modified_at, o.deleted_at)"
                "    OR (o.record_hash, o.deleted_at, o.table_version) IS NOT DISTINCT FROM"
                "       (s.record_hash, s.deleted_at,"
                "        coalesce(s.table_version, o.table_version))))"
                " ON CONFLICT ({}) DO UPDATE SET modified_at = excluded.modified_at,"
                " record = excluded.record, record_hash = excluded.record_hash,"
                " synced_at = now(), deleted_at = excluded.deleted_at,"
                " table_version = coalesce(excluded.table_version, t.table_version)"
                " WHERE (greatest(t.modified_at, t.deleted_at) IS NULL"
                "        OR {excluded} IS NULL"
                "        OR {excluded} >= greatest(t.modified_at, t.deleted_at))"
                "   AND (t.record_hash, t.deleted_at, t.table_version) IS DISTINCT FROM"
                "       (excluded.record_hash, excluded.deleted_at,"
                "        coalesce(excluded.table_version, t.table_version))"
            ).format(
                sql.SQL(", ").join(select_cols),
                sql.SQL(", ").join(key_cols),
                source=source,
                target=target,
                staged=_incoming_time(sql.SQL("s")),
                excluded=_incoming_time(sql.SQL("excluded")),
                match=sql.SQL(" AND ").join(
                    sql.SQL("o.{} = {}").format(column, stage_key)
                    for column, stage_key in zip(key_cols, stage_keys, strict=True)
                ),
            )
        self._merge_sql[cache_key] = statement
        return statement




def _incoming_time(row: sql.Composable) -> sql.Composed:
    """An incoming raw row's time: the latest of modification, deletion, listing start.

    A record a complete listing showed existed when that listing began
    (`target_tsh_erp.store.listing`): a deletion older than that listing does not keep
    it out, one newer than it does.
    """
    return sql.SQL("greatest({r}.modified_at, {r}.deleted_at, {listed})").format(
        r=row, listed=listed_sql(sql.SQL("{}.table_version").format(row))
    )
