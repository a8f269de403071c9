"""Purchase orders and their lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_tsh_erp.mapping.common import (
    LINE_MODIFIED,
    MODIFIED,
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

__all__ = ["map_purchase_order", "map_purchase_order_line"]


def map_purchase_order(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A purchase order header (nested line items are mapped from their child stream)."""
    row = base_row(record, stream, require(record, "purchaseorder_id"), MODIFIED)
    row.update(document_columns(record, "purchaseorder_number"))
    row.update(
        vendor_zoho_id=as_text(record, "vendor_id"),
        delivery_date=as_date(record, "delivery_date"),
    )
    return [Row("purchase_orders", row)]


def map_purchase_order_line(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A purchase order line keyed by its Zoho line item id."""
    row = base_row(record, stream, require(record, "line_item_id"), LINE_MODIFIED)
    row["purchase_order_zoho_id"] = require(record, "purchaseorder_id")
    row.update(line_columns(record))
    row.update(
        quantity_received=as_number(record, "quantity_received"),
        quantity_billed=as_number(record, "quantity_billed"),
    )
    return [Row("purchase_order_lines", row)]
