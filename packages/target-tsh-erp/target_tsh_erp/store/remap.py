"""Rebuild the ERP tables from `zoho_raw` with no Zoho API call.

For a mapping change: the daily API quota is the scarcest resource a Zoho user has, so
the raw layer is the source of truth and the ERP layer can always be derived again. The
rebuild runs in one transaction: the ERP application sees the old tables until commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import sql

from target_tsh_erp.erp_tables import TABLES
from target_tsh_erp.links import link_customers_to_crm
from target_tsh_erp.mapping import mapper_for
from target_tsh_erp.store.batch import ApplyResult
from target_tsh_erp.store.writer import ErpWriter

if TYPE_CHECKING:
    import psycopg

    from target_tsh_erp.settings import WriterSettings

__all__ = ["remap"]

_CHUNK = 5000

# Streams whose rows other streams enrich (products by stock) are mapped first, so a
# placeholder is never needed where the real parent is stored.
_ORDER = ("crm_accounts", "crm_contacts", "contacts", "warehouses", "locations", "items")


def _priority(stream: str) -> tuple[int, str]:
    for index, suffix in enumerate(_ORDER):
        if stream.endswith(suffix):
            return index, stream
    return len(_ORDER), stream


def remap(
    connection: psycopg.Connection[Any],
    settings: WriterSettings | None = None,
    *,
    truncate: bool = True,
) -> ApplyResult:
    """Re-derive every ERP table from the raw layer in one transaction.

    With `truncate` (the default) the ERP tables are emptied first, so rows whose raw
    records are gone or no longer map disappear; surrogate ids are then new.
    """
    writer = ErpWriter(settings)
    erp = sql.Identifier(writer.settings.erp_schema)
    total = ApplyResult()
    with connection.transaction():
        if truncate:
            connection.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                    sql.SQL(", ").join(
                        sql.SQL("{}.{}").format(erp, sql.Identifier(t.name)) for t in TABLES
                    )
                )
            )
        streams = sorted(writer.registry.all_streams(connection), key=lambda s: _priority(s.stream))
        for info in streams:
            if mapper_for(info.stream) is None:
                continue
            table = sql.Identifier(writer.settings.raw_schema, info.table)
            with connection.cursor(name=f"remap_{info.table}") as cursor:
                cursor.itersize = _CHUNK
                cursor.execute(
                    sql.SQL("SELECT record, deleted_at FROM {} ORDER BY modified_at NULLS FIRST,"
                            " _raw_id").format(table)
                )
                while chunk := cursor.fetchmany(_CHUNK):
                    total.add(writer.remap_records(connection, info.stream, chunk))
        link_customers_to_crm(connection, writer.settings.erp_schema)
    return total
