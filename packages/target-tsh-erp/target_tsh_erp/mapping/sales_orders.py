"""Sales orders and their lines."""

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

__all__ = ["map_sales_order", "map_sales_order_line"]


def map_sales_order(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A sales order header (nested line items are mapped from their child stream)."""
    row = base_row(record, stream, require(record, "salesorder_id"), MODIFIED)
    row.update(document_columns(record, "salesorder_number"))
    row.update(
        customer_zoho_id=as_text(record, "customer_id"),
        shipment_date=as_date(record, "shipment_date"),
    )
    return [Row("sales_orders", row)]


def map_sales_order_line(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A sales order line keyed by its Zoho line item id."""
    row = base_row(record, stream, require(record, "line_item_id"), LINE_MODIFIED)
    row["sales_order_zoho_id"] = require(record, "salesorder_id")
    row.update(line_columns(record))
    row.update(
        quantity_invoiced=as_number(record, "quantity_invoiced"),
        quantity_shipped=as_number(record, "quantity_shipped"),
    )
    return [Row("sales_order_lines", row)]
