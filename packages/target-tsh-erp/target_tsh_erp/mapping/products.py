"""Products, warehouses and stock levels (the seed's ProductProcessor/InventoryProcessor).

Books and Inventory items of one organization share item ids: both map to the same
`products` row. The newer `last_modified_time` wins (guard in the writer); Inventory's
stock columns are enrichment columns, so a Books item (no stock) never erases them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_tsh_erp.mapping.common import (
    LINE_MODIFIED,
    MODIFIED,
    MappingError,
    Row,
    as_bool,
    as_number,
    as_text,
    as_timestamp,
    base_row,
    require,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["map_item", "map_item_stock", "map_warehouse"]

STOCK_FIELDS = (
    "stock_on_hand",
    "available_stock",
    "actual_available_stock",
    "committed_stock",
    "actual_committed_stock",
    "available_for_sale_stock",
    "actual_available_for_sale_stock",
)
ITEM_STATUSES = frozenset({"active", "inactive"})
LOCATION_TYPES = frozenset({"warehouse", "location"})


def map_item(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A Books or Inventory item -> one product row."""
    row = base_row(record, stream, require(record, "item_id"), MODIFIED)
    status = as_text(record, "status")
    if status is not None and status not in ITEM_STATUSES:
        msg = f"unknown item status {status!r}"
        raise MappingError(msg)
    row.update(
        name=as_text(record, "name") or as_text(record, "item_name"),
        sku=as_text(record, "sku"),
        unit=as_text(record, "unit"),
        status=status,
        description=as_text(record, "description"),
        rate=as_number(record, "rate"),
        purchase_rate=as_number(record, "purchase_rate"),
        product_type=as_text(record, "product_type"),
        item_type=as_text(record, "item_type"),
        track_inventory=as_bool(record, "track_inventory"),
        reorder_level=as_number(record, "reorder_level"),
        tax_name=as_text(record, "tax_name"),
        tax_percentage=as_number(record, "tax_percentage"),
        hsn_or_sac=as_text(record, "hsn_or_sac"),
        zcrm_product_id=as_text(record, "zcrm_product_id"),
        created_at=as_timestamp(record, "created_time"),
    )
    for field in STOCK_FIELDS:
        row[field] = as_number(record, field)
    return [Row("products", row)]


def map_item_stock(record: Mapping[str, Any], stream: str) -> list[Row]:
    """One `inventory_item_stock` record -> one inventory level (product x warehouse)."""
    item_id = require(record, "item_id")
    warehouse_id = require(record, "warehouse_id")
    location_type = as_text(record, "location_type")
    if location_type is not None and location_type not in LOCATION_TYPES:
        msg = f"unknown location_type {location_type!r}"
        raise MappingError(msg)
    row = base_row(record, stream, f"{item_id}:{warehouse_id}", LINE_MODIFIED)
    row.update(
        item_zoho_id=item_id,
        warehouse_zoho_id=warehouse_id,
        warehouse_name=as_text(record, "warehouse_name"),
    )
    for field in STOCK_FIELDS:
        row[field] = as_number(record, field)
    return [Row("inventory_levels", row)]


def map_warehouse(record: Mapping[str, Any], stream: str) -> list[Row]:
    """An Inventory warehouse or location -> one warehouse row."""
    zoho_id = as_text(record, "warehouse_id") or require(record, "location_id")
    row = base_row(record, stream, zoho_id, MODIFIED)
    location_type = "location" if "location_id" in record else "warehouse"
    row.update(
        name=as_text(record, "warehouse_name") or as_text(record, "location_name"),
        location_type=location_type,
        status=as_text(record, "status"),
        is_primary=as_bool(record, "is_primary"),
    )
    return [Row("warehouses", row)]
