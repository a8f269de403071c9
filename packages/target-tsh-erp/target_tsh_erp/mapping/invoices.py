"""Invoices and their lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_tsh_erp.mapping.common import (
    LINE_MODIFIED,
    MODIFIED,
    MappingError,
    Row,
    as_date,
    as_number,
    as_text,
    base_row,
    document_columns,
    line_columns,
    require,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["map_invoice", "map_invoice_line"]

INVOICE_STATUSES = frozenset(
    {"draft", "sent", "overdue", "paid", "void", "unpaid", "partially_paid", "viewed",
     "pending_approval", "approved"}
)


def map_invoice(record: Mapping[str, Any], stream: str) -> list[Row]:
    """An invoice header (nested line items are mapped from their child stream)."""
    row = base_row(record, stream, require(record, "invoice_id"), MODIFIED)
    row.update(document_columns(record, "invoice_number"))
    if row["status"] is not None and row["status"] not in INVOICE_STATUSES:
        msg = f"unknown invoice status {row['status']!r}"
        raise MappingError(msg)
    row.update(
        customer_zoho_id=as_text(record, "customer_id"),
        due_date=as_date(record, "due_date"),
        balance=as_number(record, "balance"),
    )
    return [Row("invoices", row)]


def map_invoice_line(record: Mapping[str, Any], stream: str) -> list[Row]:
    """An invoice line keyed by its Zoho line item id."""
    row = base_row(record, stream, require(record, "line_item_id"), LINE_MODIFIED)
    row["invoice_zoho_id"] = require(record, "invoice_id")
    row.update(line_columns(record))
    return [Row("invoice_lines", row)]
