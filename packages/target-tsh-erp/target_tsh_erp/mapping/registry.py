"""Which mapper handles which stream, and which field dates each stream's records.

Books and Inventory serve the same entities with the same ids; both products' streams
map to the same ERP tables and the stale-update guard keeps the newer version. Both
spellings of multi-word entities (`sales_orders` / `salesorders`) are accepted because
Zoho itself names them both ways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_tsh_erp.mapping.common import CRM_MODIFIED, LINE_MODIFIED, MODIFIED
from target_tsh_erp.mapping.customers import (
    map_contact,
    map_contact_person,
    map_crm_account,
    map_crm_contact,
)
from target_tsh_erp.mapping.invoices import map_invoice, map_invoice_line
from target_tsh_erp.mapping.opportunities import map_deal
from target_tsh_erp.mapping.payments import map_customer_payment
from target_tsh_erp.mapping.products import map_item, map_item_stock, map_warehouse
from target_tsh_erp.mapping.purchase_orders import map_purchase_order, map_purchase_order_line
from target_tsh_erp.mapping.sales_orders import map_sales_order, map_sales_order_line

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from target_tsh_erp.mapping.common import Row

    Mapper = Callable[[Mapping[str, Any], str], list[Row]]

__all__ = [
    "DELETED_RECORDS_STREAM",
    "LINE_MANIFEST_SUFFIX",
    "MAPPERS",
    "known_key_properties",
    "line_stream_of_manifest",
    "line_table",
    "mapper_for",
    "modification_field",
]

LINE_MANIFEST_SUFFIX = "_line_manifests"
"""The tap's per-document line manifests (`books_invoice_line_manifests`): see
docs/DESIGN.md; each names the line ids its document has now."""

DELETED_RECORDS_STREAM = "crm_deleted_records"

_BY_ENTITY: dict[str, Mapper] = {
    "items": map_item,
    "item_stock": map_item_stock,
    "warehouses": map_warehouse,
    "locations": map_warehouse,
    "contacts": map_contact,
    "contact_persons": map_contact_person,
    "sales_orders": map_sales_order,
    "salesorders": map_sales_order,
    "sales_order_line_items": map_sales_order_line,
    "salesorder_line_items": map_sales_order_line,
    "purchase_orders": map_purchase_order,
    "purchaseorders": map_purchase_order,
    "purchase_order_line_items": map_purchase_order_line,
    "purchaseorder_line_items": map_purchase_order_line,
    "invoices": map_invoice,
    "invoice_line_items": map_invoice_line,
    "customer_payments": map_customer_payment,
    "customerpayments": map_customer_payment,
}

MAPPERS: dict[str, Mapper] = {
    f"{product}_{entity}": mapper
    for product in ("books", "inventory")
    for entity, mapper in _BY_ENTITY.items()
}
MAPPERS.update(
    crm_accounts=map_crm_account,
    crm_contacts=map_crm_contact,
    crm_deals=map_deal,
)


def mapper_for(stream: str) -> Mapper | None:
    """The mapper of a stream, or None for a stream that lands raw only."""
    return MAPPERS.get(stream)


def modification_field(stream: str, bookmark_properties: list[str] | None = None) -> str | None:
    """The record field that says when Zoho last changed the record.

    Known streams follow the tap contract; for others the SCHEMA message's bookmark
    property is used, else None (the newest delivery wins).
    """
    if stream == DELETED_RECORDS_STREAM:
        return "deleted_time"
    if stream.endswith(("_line_items", LINE_MANIFEST_SUFFIX, "_item_stock", "_contact_persons")):
        return LINE_MODIFIED
    if stream.startswith("crm_"):
        return CRM_MODIFIED
    if stream.startswith(("books_", "inventory_")):
        return MODIFIED
    if bookmark_properties:
        return bookmark_properties[0]
    return None


_LINE_PARENTS = {
    "invoice": "invoice_id",
    "estimate": "estimate_id",
    "sales_order": "salesorder_id",
    "salesorder": "salesorder_id",
    "purchase_order": "purchaseorder_id",
    "purchaseorder": "purchaseorder_id",
    "bill": "bill_id",
    "credit_note": "creditnote_id",
}
_LINE_TABLES = {
    "invoice": "invoice_lines",
    "sales_order": "sales_order_lines",
    "salesorder": "sales_order_lines",
    "purchase_order": "purchase_order_lines",
    "purchaseorder": "purchase_order_lines",
}
"""ERP line table per document type (the `_line_items` mappers' tables)."""
_ENTITY_IDS = {
    "items": "item_id",
    "warehouses": "warehouse_id",
    "locations": "location_id",
    "contacts": "contact_id",
    "contact_persons": "contact_person_id",
    "sales_orders": "salesorder_id",
    "salesorders": "salesorder_id",
    "purchase_orders": "purchaseorder_id",
    "purchaseorders": "purchaseorder_id",
    "invoices": "invoice_id",
    "customer_payments": "payment_id",
    "customerpayments": "payment_id",
}


def known_key_properties(stream: str) -> tuple[str, ...] | None:
    """The tap contract's key of a mapped stream (for callers without a SCHEMA message)."""
    product, _, entity = stream.partition("_")
    if stream == DELETED_RECORDS_STREAM:
        return ("organization_id", "module", "id")
    if product == "crm" and entity:
        return ("organization_id", "id")
    if product not in {"books", "inventory"}:
        return None
    if entity == "item_stock":
        return ("organization_id", "item_id", "warehouse_id")
    if entity.endswith(("_line_items", LINE_MANIFEST_SUFFIX)):
        line_key = ("line_item_id",) if entity.endswith("_line_items") else ()  # else a manifest
        document = entity.removesuffix("_line_items").removesuffix(LINE_MANIFEST_SUFFIX)
        parent = _LINE_PARENTS.get(document)
        return ("organization_id", parent, *line_key) if parent else None
    identifier = _ENTITY_IDS.get(entity)
    return ("organization_id", identifier) if identifier else None


def line_stream_of_manifest(stream: str) -> str | None:
    """The line stream a Books/Inventory line manifest describes, or None if not one.

    A manifest of another tap (or of a document type we do not know) is only landed raw.
    """
    product, _, entity = stream.partition("_")
    if product not in {"books", "inventory"} or not entity.endswith(LINE_MANIFEST_SUFFIX):
        return None
    document = entity.removesuffix(LINE_MANIFEST_SUFFIX)
    return f"{product}_{document}_line_items" if document in _LINE_PARENTS else None


def line_table(line_stream: str) -> str | None:
    """The ERP table a line stream maps into, or None for lines that land raw only."""
    _, _, entity = line_stream.partition("_")
    return _LINE_TABLES.get(entity.removesuffix("_line_items"))
