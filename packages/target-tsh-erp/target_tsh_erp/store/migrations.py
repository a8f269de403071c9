"""Versioned, idempotent schema migrations for the raw and ERP layers.

A migration runs once per database (recorded in `<erp>.schema_migrations`) under an
advisory lock, so two targets starting together do not race. A database migrated by a
newer release (a version we do not know) is refused rather than written with an older
idea of the schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import sql

from target_tsh_erp.erp_tables import TABLES

if TYPE_CHECKING:
    from collections.abc import Callable

    import psycopg

__all__ = ["LATEST_VERSION", "SchemaTooNewError", "current_version", "migrate"]

_LOCK_KEY = 0x75E4_E4B0
"""pg_advisory_xact_lock key shared by every migrating process."""


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer release than this one."""


def _v1(erp: str, raw: str) -> list[sql.Composed]:
    """Raw landing registry and rejects, the ERP tables, the event outbox."""
    e, r = sql.Identifier(erp), sql.Identifier(raw)
    statements: list[sql.Composed] = [
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(r),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}._streams ("
            " stream text PRIMARY KEY, table_name text NOT NULL UNIQUE,"
            " key_properties text[] NOT NULL, modification_field text,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        ).format(r),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.rejects ("
            " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " stream text NOT NULL, record_key text NOT NULL, reason text NOT NULL,"
            " record jsonb NOT NULL, rejected_at timestamptz NOT NULL DEFAULT now(),"
            " UNIQUE (stream, record_key))"
        ).format(r),
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.events_outbox ("
            " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " event_type text NOT NULL, payload jsonb NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        ).format(e),
    ]
    for table in TABLES:
        columns: list[sql.Composable] = [
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
            for name, kind in table.columns
        ]
        columns += [
            sql.SQL("{} bigint REFERENCES {}.{} (id)").format(
                sql.Identifier(ref.fk_column), e, sql.Identifier(ref.parent)
            )
            for ref in table.refs
        ]
        if table.name == "customers":
            columns += [
                sql.SQL("crm_account_id bigint REFERENCES {}.crm_accounts (id)").format(e),
                sql.SQL("crm_contact_id bigint REFERENCES {}.crm_contacts (id)").format(e),
                sql.SQL("crm_link_rule text").format(),
            ]
        statements.append(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} ("
                " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " organization_id text NOT NULL, zoho_id text NOT NULL,"
                " source_stream text, source_modified_at timestamptz,"
                " is_placeholder boolean NOT NULL DEFAULT false,"
                " synced_at timestamptz NOT NULL DEFAULT now(),"
                " updated_at timestamptz NOT NULL DEFAULT now(),"
                " deleted_at timestamptz, {},"
                " UNIQUE (organization_id, zoho_id))"
            ).format(e, sql.Identifier(table.name), sql.SQL(", ").join(columns))
        )
        statements += [
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {}.{} ({})").format(
                sql.Identifier(f"{table.name}_{ref.fk_column}_idx"), e,
                sql.Identifier(table.name), sql.Identifier(ref.fk_column),
            )
            for ref in table.refs
        ]
    statements += [
        sql.SQL("CREATE INDEX IF NOT EXISTS customers_zcrm_account_idx"
                " ON {}.customers (zcrm_account_id)").format(e),
        sql.SQL("CREATE INDEX IF NOT EXISTS crm_accounts_zoho_idx"
                " ON {}.crm_accounts (zoho_id)").format(e),
        sql.SQL("CREATE INDEX IF NOT EXISTS crm_contacts_zoho_idx"
                " ON {}.crm_contacts (zoho_id)").format(e),
    ]
    return statements


def _v2(erp: str, raw: str) -> list[sql.Composed]:
    """Index each line table by its document; soft-delete lines removed before now.

    Lines removed from a document used to stay live (the sweep after each merge is new
    with this version). The same rule runs once here over every stored document: a
    line dated before the newest stored line of its document is soft-deleted, in the
    ERP line tables and in the raw line-item landing tables.
    """
    e = sql.Identifier(erp)
    statements: list[sql.Composed] = []
    for table in TABLES:
        if not table.document_column:
            continue
        doc, name = sql.Identifier(table.document_column), sql.Identifier(table.name)
        statements += [
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {}.{} (organization_id, {})").format(
                sql.Identifier(f"{table.name}_{table.document_column}_idx"), e, name, doc,
            ),
            sql.SQL(
                "UPDATE {e}.{t} t SET deleted_at = d.newest, source_modified_at = d.newest,"
                " updated_at = now() FROM (SELECT organization_id, {doc} AS document,"
                "   max(source_modified_at) AS newest FROM {e}.{t} GROUP BY 1, 2) d"
                " WHERE t.organization_id = d.organization_id AND t.{doc} = d.document"
                "   AND t.deleted_at IS NULL AND t.source_modified_at < d.newest"
            ).format(e=e, t=name, doc=doc),
        ]
    # Raw line tables are created on demand: sweep those registered, whose document key
    # column is named as its key property (every tap-zoho line stream).
    statements.append(
        sql.SQL(
            "DO $sweep$ DECLARE s record; BEGIN"
            " FOR s IN SELECT table_name, key_properties[2] AS doc FROM {r}._streams"
            "   WHERE stream LIKE '%\\_line\\_items' AND cardinality(key_properties) = 3"
            "   AND key_properties[1] = 'organization_id'"
            "   AND key_properties[2] ~ '^[a-z][a-z0-9_]*$'"
            "   AND key_properties[2] NOT IN ('modified_at', 'record', 'synced_at',"
            "     'deleted_at', 'table_version')"
            " LOOP EXECUTE format("
            "   'UPDATE %I.%I t SET deleted_at = d.newest, modified_at = d.newest'"
            "   || ' FROM (SELECT organization_id, %I AS document, max(modified_at) AS newest'"
            "   || ' FROM %I.%I GROUP BY 1, 2) d WHERE t.organization_id = d.organization_id'"
            "   || ' AND t.%I = d.document AND t.deleted_at IS NULL AND t.modified_at < d.newest',"
            "   {schema}, s.table_name, s.doc, {schema}, s.table_name, s.doc);"
            " END LOOP; END $sweep$"
        ).format(r=sql.Identifier(raw), schema=sql.Literal(raw))
    )
    return statements


def _v3(erp: str, raw: str) -> list[sql.Composed]:  # noqa: ARG001 - raw layer only
    """A content hash on every raw landing table.

    The writer skips a record whose stored row has the same key, hash, deletion mark
    and table version (no COPY, no mapping, no merge: most of an update run) and
    compares hashes instead of detoasting stored records. Rows stored before this
    version have no hash: the next delivery rewrites each of them once to add it.
    """
    return [
        sql.SQL(
            "DO $hash$ DECLARE s record; BEGIN"
            " FOR s IN SELECT table_name FROM {r}._streams LOOP EXECUTE format("
            "   'ALTER TABLE %I.%I ADD COLUMN IF NOT EXISTS record_hash bytea',"
            "   {schema}, s.table_name);"
            " END LOOP; END $hash$"
        ).format(r=sql.Identifier(raw), schema=sql.Literal(raw))
    ]


MIGRATIONS: tuple[Callable[[str, str], list[sql.Composed]], ...] = (_v1, _v2, _v3)
"""Index i holds version i + 1. Append; never edit a released migration."""

LATEST_VERSION = len(MIGRATIONS)


def current_version(connection: psycopg.Connection[Any], erp_schema: str) -> int:
    """The highest applied version, 0 for an empty database."""
    exists = connection.execute(
        "SELECT to_regclass(%s) IS NOT NULL",
        (sql.Identifier(erp_schema, "schema_migrations").as_string(connection),),
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = connection.execute(
        sql.SQL("SELECT coalesce(max(version), 0) FROM {}.schema_migrations").format(
            sql.Identifier(erp_schema)
        )
    ).fetchone()
    return int(row[0]) if row else 0


def migrate(connection: psycopg.Connection[Any], erp_schema: str, raw_schema: str) -> int:
    """Bring both schemas to `LATEST_VERSION` in one transaction; return the version.

    Raises:
        SchemaTooNewError: the database is at a version this release does not know.
    """
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        e = sql.Identifier(erp_schema)
        connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(e))
        connection.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {}.schema_migrations ("
                " version integer PRIMARY KEY,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            ).format(e)
        )
        version = current_version(connection, erp_schema)
        if version > LATEST_VERSION:
            msg = (
                f"database schema {erp_schema!r} is at version {version}, newer than "
                f"this target-tsh-erp knows ({LATEST_VERSION}); upgrade target-tsh-erp"
            )
            raise SchemaTooNewError(msg)
        for number in range(version + 1, LATEST_VERSION + 1):
            for statement in MIGRATIONS[number - 1](erp_schema, raw_schema):
                connection.execute(statement)
            connection.execute(
                sql.SQL("INSERT INTO {}.schema_migrations (version) VALUES (%s)").format(e),
                (number,),
            )
    return LATEST_VERSION
