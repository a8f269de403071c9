"""The ERP side of a reconciliation: live rows, their sums, and the newest change held.

Live means what the ERP application sees as real: not soft-deleted and not a placeholder
(a parent invented so that a child's foreign key resolves before the parent arrives).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from datetime import datetime

    import psycopg

__all__ = ["ErpFigures", "live_figures", "newest_change"]


@dataclass(frozen=True, slots=True)
class ErpFigures:
    """Live rows of one table and organization, and the sums asked for."""

    count: int
    sums: dict[str, Decimal]


def newest_change(
    connection: psycopg.Connection[Any], erp_schema: str, table: str, organization_id: str
) -> datetime | None:
    """The newest Zoho modification time the ERP holds for this table and organization.

    This is the ERP's bookmark: every Zoho change up to it has been through a sync (or
    the webhook service); a change after it may simply not have been synced yet, so it
    is not counted as drift. Soft-deleted rows count too: their time is the deletion's.
    """
    row = connection.execute(
        sql.SQL("SELECT max(source_modified_at) FROM {}.{} WHERE organization_id = %s").format(
            sql.Identifier(erp_schema), sql.Identifier(table)
        ),
        (organization_id,),
    ).fetchone()
    return None if row is None else row[0]


def live_figures(  # noqa: PLR0913 - the query's independent parts
    connection: psycopg.Connection[Any],
    erp_schema: str,
    table: str,
    organization_id: str,
    *,
    excluding: Collection[str] = (),
    sums: Sequence[str] = (),
) -> ErpFigures:
    """Count (and sum `sums` over) the live rows, leaving out the Zoho ids `excluding`.

    `excluding` holds the records Zoho changed after the ERP's bookmark: Zoho's figures
    leave them out too, so neither side counts a change the sync has not had a chance
    to bring.
    """
    columns: list[sql.Composable] = [sql.SQL("count(*)")]
    columns.extend(
        sql.SQL("coalesce(sum({}), 0)").format(sql.Identifier(column)) for column in sums
    )
    query = sql.SQL(
        "SELECT {} FROM {}.{} WHERE organization_id = %s AND deleted_at IS NULL"
        " AND NOT is_placeholder AND NOT (zoho_id = ANY(%s))"
    ).format(sql.SQL(", ").join(columns), sql.Identifier(erp_schema), sql.Identifier(table))
    row = connection.execute(query, (organization_id, list(excluding))).fetchone()
    if row is None:  # pragma: no cover - an aggregate always answers one row
        return ErpFigures(0, dict.fromkeys(sums, Decimal(0)))
    return ErpFigures(int(row[0]), {column: Decimal(row[i + 1]) for i, column in enumerate(sums)})
