"""ERP merge: mapped rows into the `erp` tables, parents before children.

Per table, rows whose natural key is not stored (and occurs once in the batch) are COPYed
into the table with their parents resolved by lookup; the rest are staged and merged
under the stale-update guard. Then lines removed from the batch's documents are swept,
children that arrived before their parents are linked, and customers are linked to CRM.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import orjson
from psycopg import sql

from target_tsh_erp.erp_tables import TABLES, TABLES_BY_NAME, ParentRef, TableSpec
from target_tsh_erp.links import LINK_TABLES, link_customers_to_crm
from target_tsh_erp.store.listing import swept_documents
from target_tsh_erp.store.new_rows import copy_new_rows, key_payload
from target_tsh_erp.store.values import json_default

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import psycopg

    from target_tsh_erp.store.batch import Batch

__all__ = ["ErpMerge"]

_STAGE_TYPES = {"organization_id": "text", "zoho_id": "text", "source_stream": "text",
                "source_modified_at": "timestamptz", "deleted_at": "timestamptz"}


class ErpMerge:
    """Merges a batch's ERP rows into one ERP schema; caches its merge statements."""

    def __init__(self, erp_schema: str) -> None:
        """Start with empty statement caches for `erp_schema`."""
        self.erp_schema = erp_schema
        self._erp = sql.Identifier(erp_schema)
        self._merge_sql: dict[tuple[str, bool], list[sql.Composed]] = {}

    def merge(self, connection: psycopg.Connection[Any], batch: Batch) -> None:
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
                    cursor.execute(self._removed_lines_sql(spec), (swept_documents(
                        (row[1], row[at], row[2], row[-1]) for row in table_rows),))
                    written += max(cursor.rowcount, 0)
                late_parents = self._late_parent_sql(spec)
                keys = key_payload({(row[1], row[2]) for row in table_rows}) if late_parents else ""
                for child, statement in late_parents:
                    cursor.execute(statement, (keys,))
                    if cursor.rowcount > 0:
                        result.erp_written[child] += cursor.rowcount
                        touched.add(child)
                for child, count in self._delete_lines_of_deleted(cursor, spec, table_rows):
                    result.erp_written[child] += count
                    touched.add(child)
                if written:
                    result.erp_written[spec.name] += written
                    touched.add(spec.name)
        if touched & LINK_TABLES:
            link_customers_to_crm(connection, self.erp_schema)

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
            table=f"{self.erp_schema}.{spec.name}",
        ):
            written = len(fresh)
            copied = {row[0] for row in fresh}
            rest = [row for row in table_rows if row[0] not in copied]
        if not rest:
            return written
        self._ensure_stage(connection, spec)
        stage = sql.Identifier(f"_tsh_stage_{spec.name}")
        with cursor.copy(
            sql.SQL("COPY {} (ord, {}, listed_at) FROM STDIN").format(
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

    @staticmethod
    def _ensure_stage(connection: psycopg.Connection[Any], spec: TableSpec) -> None:
        """Create a table's temp stage (once per session; emptied at every commit).

        Beside the table's columns, `listed_at`: the start of the complete listing that
        delivered the row, if any (the guard's proof that the record exists).
        """
        types = dict(spec.columns) | _STAGE_TYPES
        connection.execute(
            sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (ord integer, {},"
                    " listed_at timestamptz) ON COMMIT DELETE ROWS")
            .format(
                sql.Identifier(f"_tsh_stage_{spec.name}"),
                sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(types[name]))
                    for name in spec.column_names
                ),
            )
        )

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
        values = [list(row[1:-1]) for row in rows]  # without the listing's start
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
            default=json_default,
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

    def _delete_lines_of_deleted(
        self, cursor: psycopg.Cursor[Any], spec: TableSpec, table_rows: list[tuple[Any, ...]]
    ) -> list[tuple[str, int]]:
        """Run `_deleted_document_sql` for the batch's deleted documents; rows per table.

        Only batches that delete documents pay for it (one statement per line table).
        """
        at = 1 + spec.column_names.index("deleted_at")
        deleted = key_payload({(row[1], row[2]) for row in table_rows if row[at] is not None})
        if deleted == "[]":
            return []
        counts: list[tuple[str, int]] = []
        for child, statement in self._deleted_document_sql(spec):
            cursor.execute(statement, (deleted,))
            if cursor.rowcount > 0:
                counts.append((child, cursor.rowcount))
        return counts

    def _deleted_document_sql(self, parent: TableSpec) -> list[tuple[str, sql.Composed]]:
        """Soft-delete the live lines of this batch's documents stored as deleted.

        A deletion delivered without its lines (a form or template webhook carries only
        the header's fields) would leave them live, and a late copy of the document
        would then update them while its header stays deleted. The stored header's
        `deleted_at` is read, so a deletion the guard refused (the header is newer)
        deletes nothing; lines dated after the deletion (a restored document) are kept.
        """
        statements: list[tuple[str, sql.Composed]] = []
        for child in TABLES:
            for ref in child.refs:
                if ref.parent != parent.name or ref.zoho_id_column != child.document_column:
                    continue
                statements.append((child.name, sql.SQL(
                    "UPDATE {erp}.{child} t SET deleted_at = p.deleted_at, synced_at = now(),"
                    " updated_at = now() FROM json_array_elements(%s::json) AS u(e)"
                    " JOIN {erp}.{parent} p"
                    "   ON p.organization_id = u.e->>0 AND p.zoho_id = u.e->>1"
                    " WHERE p.deleted_at IS NOT NULL AND t.organization_id = p.organization_id"
                    "   AND t.{doc} = p.zoho_id AND t.deleted_at IS NULL"
                    "   AND NOT coalesce(t.source_modified_at > p.deleted_at, false)"
                ).format(
                    erp=self._erp, child=sql.Identifier(child.name),
                    parent=sql.Identifier(parent.name), doc=sql.Identifier(ref.zoho_id_column),
                )))
        return statements

    def _removed_lines_sql(self, spec: TableSpec) -> sql.Composed:
        """Soft-delete ERP lines no longer in their document (as in the raw layer).

        Runs after the upsert, in the batch's transaction, for the batch's documents.
        The newest stored line time of a document is the newest version seen; a line
        dated before it was removed from the document. `source_modified_at` moves to that
        time so a stale copy of the line is rejected by the stale-update guard. A deleted
        line counts with its deletion time, so a line first seen in a late copy of a
        deleted document (older than the deletion) is swept as deleted too. A document
        given with a time and line ids (a line manifest) takes that time as its newest
        version and keeps the lines it lists. A line of the batch that a complete
        listing showed at or after the newest time is in that version (`proven`, see
        `listing.swept_documents`), so a line a later listing brought back after a
        deletion is not swept by the deletion time of its siblings still to come.
        """
        erp, table = self._erp, sql.Identifier(spec.name)
        return sql.SQL(
            "WITH given AS (SELECT u.e->>0 AS organization_id, u.e->>1 AS document,"
            "   (u.e->>2)::timestamptz AS listed, nullif((u.e->3)::jsonb, 'null') AS keep,"
            "   nullif((u.e->4)::jsonb, 'null') AS proven"
            "   FROM json_array_elements(%s::json) AS u(e)),"
            " documents AS (SELECT g.organization_id, g.document, g.listed AS newest, g.keep,"
            "   g.proven FROM given g WHERE g.listed IS NOT NULL"
            "  UNION ALL SELECT l.organization_id, l.{doc},"
            "   max(greatest(l.source_modified_at, l.deleted_at)), NULL::jsonb, g.proven"
            "   FROM {erp}.{table} l JOIN given g ON g.listed IS NULL"
            "     AND g.organization_id = l.organization_id AND g.document = l.{doc}"
            "   GROUP BY 1, 2, 5)"
            " UPDATE {erp}.{table} t SET deleted_at = d.newest, source_modified_at = d.newest,"
            " synced_at = now(), updated_at = now() FROM documents d"
            " WHERE t.organization_id = d.organization_id AND t.{doc} = d.document"
            "   AND t.deleted_at IS NULL"
            "   AND (greatest(t.source_modified_at, (d.proven->>t.zoho_id)::timestamptz)"
            "          < d.newest"
            "     OR (d.keep IS NOT NULL AND t.source_modified_at = d.newest))"
            "   AND NOT coalesce(d.keep ? t.zoho_id, false)"
        ).format(
            doc=sql.Identifier(str(spec.document_column)), erp=erp, table=table,
        )

    def sweep_listed_lines(
        self, connection: psycopg.Connection[Any], table: str, documents: str
    ) -> int:
        """Soft-delete ERP lines that line manifests no longer list (see `RawLanding`).

        The same sweep as after a batch of lines, with each document's version and its
        current line ids given by its manifest, so a document that lost ALL its lines
        (no line record arrives) is swept too.
        """
        spec = TABLES_BY_NAME[table]
        with connection.cursor() as cursor:
            cursor.execute(self._removed_lines_sql(spec), (documents,))
            return max(cursor.rowcount, 0)

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
                # A row's time is the latest of its modification and its deletion:
                # a deletion is final against anything older (NULLs: no time known).
                # A record of a complete listing counts the listing's start too.
                "   AND (greatest(s.source_modified_at, s.deleted_at, s.listed_at)"
                "          < greatest(o.source_modified_at, o.deleted_at)"
                "        OR ({stored}) IS NOT DISTINCT FROM ({incoming})))"
                " ON CONFLICT (organization_id, zoho_id) DO UPDATE SET {},"
                " is_placeholder = false, synced_at = now(), updated_at = now()"
                " WHERE (greatest(t.source_modified_at, t.deleted_at) IS NULL"
                "        OR greatest(excluded.source_modified_at, excluded.deleted_at) IS NULL"
                "        OR greatest(excluded.source_modified_at, excluded.deleted_at)"
                "           >= greatest(t.source_modified_at, t.deleted_at)"
                # `excluded` has no listing start; its stage row has. Read only for a
                # row older by its own times, such as one a listing brings back.
                "        OR EXISTS (SELECT 1 FROM {stage} p"
                "          WHERE p.organization_id = excluded.organization_id"
                "          AND p.zoho_id = excluded.zoho_id"
                "          AND p.listed_at >= greatest(t.source_modified_at, t.deleted_at)))"
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
                stage=stage,
                distinct=sql.SQL("DISTINCT ON (s.organization_id, s.zoho_id) " if deduplicate
                                 else ""),
                order=sql.SQL(" ORDER BY s.organization_id, s.zoho_id, greatest("
                              "s.source_modified_at, s.deleted_at, s.listed_at) DESC NULLS LAST,"
                              " greatest(s.source_modified_at, s.deleted_at) DESC NULLS LAST,"
                              " s.ord DESC" if deduplicate
                              else ""),
            )
        )
        statements.append(sql.SQL("DELETE FROM {}").format(stage))
        self._merge_sql[spec.name, deduplicate] = statements
        return statements
