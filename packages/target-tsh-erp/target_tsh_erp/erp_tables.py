"""The ERP tables as data: columns, natural key, links to parent tables.

Every ERP table has the same skeleton (surrogate `id`, natural key `organization_id` +
`zoho_id`, `source_modified_at` for the stale-update guard, `is_placeholder`,
`deleted_at`), so one merge statement shape serves them all. Migration 1 creates these
tables from this module; a later change to a table is a new migration, never an edit here
that changes what version 1 means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["TABLES", "TABLES_BY_NAME", "ParentRef", "TableSpec"]

TEXT = "text"
NUM = "numeric"
TS = "timestamptz"
DATE = "date"
BOOL = "boolean"
INT = "integer"


@dataclass(frozen=True, slots=True)
class ParentRef:
    """A foreign key resolved at write time from a Zoho id carried by the child row.

    Attributes:
        fk_column: the child's surrogate foreign key column (`bigint`).
        parent: the parent table.
        zoho_id_column: the child column holding the parent's Zoho id.
        placeholder: insert a placeholder parent when it has not arrived yet (children
            may arrive before parents); False links only to a parent that exists.
        same_organization: the parent lives in the child's organization.
        placeholder_columns: child column -> parent column copied into a placeholder.
        fills: a child column set to the parent's Zoho id when the parent exists, NULL
            otherwise. For a child that names its parent by an id several parent tables
            share: a contact person's record says which contact it belongs to, not
            whether that contact is a customer or a vendor, so both links are resolved
            from the stored contacts (and filled in later if the contact arrives later).
    """

    fk_column: str
    parent: str
    zoho_id_column: str
    placeholder: bool = True
    placeholder_columns: tuple[tuple[str, str], ...] = ()
    fills: str | None = None


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One ERP table: mapped columns (beyond the shared skeleton) and parent links.

    `enrich_columns` keep their stored value when an incoming row has NULL there: Books
    items carry no stock, Inventory items do; one must not erase the other.

    `document_column` marks a table of lines delivered as a document's complete current
    set, each dated with the document's modification time (`source_modified_at`): the
    column holding the document's Zoho id. A stored line dated before the newest stored
    line of its document is no longer in the document and is soft-deleted.
    """

    name: str
    columns: tuple[tuple[str, str], ...]
    refs: tuple[ParentRef, ...] = ()
    enrich_columns: frozenset[str] = field(default_factory=frozenset)
    document_column: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        """Mapped column names in staging order (natural key first)."""
        return ("organization_id", "zoho_id", "source_stream", "source_modified_at",
                "deleted_at", *(name for name, _ in self.columns))


_STOCK = (
    ("stock_on_hand", NUM),
    ("available_stock", NUM),
    ("actual_available_stock", NUM),
    ("committed_stock", NUM),
    ("actual_committed_stock", NUM),
    ("available_for_sale_stock", NUM),
    ("actual_available_for_sale_stock", NUM),
)

_DOCUMENT = (
    ("number", TEXT),
    ("status", TEXT),
    ("date", DATE),
    ("reference_number", TEXT),
    ("currency_code", TEXT),
    ("exchange_rate", NUM),
    ("sub_total", NUM),
    ("tax_total", NUM),
    ("total", NUM),
    ("created_at", TS),
)

_LINE = (
    ("item_zoho_id", TEXT),
    ("name", TEXT),
    ("sku", TEXT),
    ("description", TEXT),
    ("item_order", INT),
    ("quantity", NUM),
    ("unit", TEXT),
    ("rate", NUM),
    ("discount", NUM),
    ("tax_name", TEXT),
    ("tax_percentage", NUM),
    ("item_total", NUM),
)

_PRODUCT_REF = ParentRef("product_id", "products", "item_zoho_id",
                         placeholder_columns=(("name", "name"), ("sku", "sku")))

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "crm_accounts",
        (("name", TEXT), ("account_type", TEXT), ("industry", TEXT), ("phone", TEXT),
         ("website", TEXT), ("owner_name", TEXT), ("created_at", TS)),
    ),
    TableSpec(
        "crm_contacts",
        (("crm_account_zoho_id", TEXT), ("first_name", TEXT), ("last_name", TEXT),
         ("email", TEXT), ("phone", TEXT), ("mobile", TEXT), ("created_at", TS)),
        refs=(ParentRef("crm_account_id", "crm_accounts", "crm_account_zoho_id"),),
    ),
    TableSpec(
        "customers",
        (("name", TEXT), ("company_name", TEXT), ("email", TEXT), ("phone", TEXT),
         ("mobile", TEXT), ("status", TEXT), ("currency_code", TEXT),
         ("payment_terms", INT), ("credit_limit", NUM), ("outstanding_receivable", NUM),
         ("zcrm_account_id", TEXT), ("zcrm_contact_id", TEXT), ("created_at", TS)),
    ),
    TableSpec(
        "vendors",
        (("name", TEXT), ("company_name", TEXT), ("email", TEXT), ("phone", TEXT),
         ("mobile", TEXT), ("status", TEXT), ("currency_code", TEXT),
         ("payment_terms", INT), ("outstanding_payable", NUM), ("created_at", TS)),
    ),
    TableSpec(
        "contact_persons",
        (("contact_zoho_id", TEXT), ("customer_zoho_id", TEXT), ("vendor_zoho_id", TEXT),
         ("salutation", TEXT), ("first_name", TEXT), ("last_name", TEXT), ("email", TEXT),
         ("phone", TEXT), ("mobile", TEXT), ("is_primary", BOOL)),
        refs=(ParentRef("customer_id", "customers", "contact_zoho_id", placeholder=False,
                        fills="customer_zoho_id"),
              ParentRef("vendor_id", "vendors", "contact_zoho_id", placeholder=False,
                        fills="vendor_zoho_id")),
        document_column="contact_zoho_id",
    ),
    TableSpec(
        "warehouses",
        (("name", TEXT), ("location_type", TEXT), ("status", TEXT), ("is_primary", BOOL)),
    ),
    TableSpec(
        "products",
        (("name", TEXT), ("sku", TEXT), ("unit", TEXT), ("status", TEXT),
         ("description", TEXT), ("rate", NUM), ("purchase_rate", NUM),
         ("product_type", TEXT), ("item_type", TEXT), ("track_inventory", BOOL),
         ("reorder_level", NUM), ("tax_name", TEXT), ("tax_percentage", NUM),
         ("hsn_or_sac", TEXT), ("zcrm_product_id", TEXT), ("created_at", TS), *_STOCK),
        enrich_columns=frozenset(name for name, _ in _STOCK),
    ),
    TableSpec(
        "inventory_levels",
        (("item_zoho_id", TEXT), ("warehouse_zoho_id", TEXT), ("warehouse_name", TEXT),
         *_STOCK),
        refs=(ParentRef("product_id", "products", "item_zoho_id"),
              ParentRef("warehouse_id", "warehouses", "warehouse_zoho_id",
                        placeholder_columns=(("warehouse_name", "name"),))),
    ),
    TableSpec(
        "sales_orders",
        (*_DOCUMENT, ("customer_zoho_id", TEXT), ("shipment_date", DATE)),
        refs=(ParentRef("customer_id", "customers", "customer_zoho_id"),),
    ),
    TableSpec(
        "sales_order_lines",
        (("sales_order_zoho_id", TEXT), *_LINE, ("quantity_invoiced", NUM),
         ("quantity_shipped", NUM)),
        refs=(ParentRef("sales_order_id", "sales_orders", "sales_order_zoho_id"),
              _PRODUCT_REF),
        document_column="sales_order_zoho_id",
    ),
    TableSpec(
        "purchase_orders",
        (*_DOCUMENT, ("vendor_zoho_id", TEXT), ("delivery_date", DATE)),
        refs=(ParentRef("vendor_id", "vendors", "vendor_zoho_id"),),
    ),
    TableSpec(
        "purchase_order_lines",
        (("purchase_order_zoho_id", TEXT), *_LINE, ("quantity_received", NUM),
         ("quantity_billed", NUM)),
        refs=(ParentRef("purchase_order_id", "purchase_orders", "purchase_order_zoho_id"),
              _PRODUCT_REF),
        document_column="purchase_order_zoho_id",
    ),
    TableSpec(
        "invoices",
        (*_DOCUMENT, ("customer_zoho_id", TEXT), ("due_date", DATE), ("balance", NUM)),
        refs=(ParentRef("customer_id", "customers", "customer_zoho_id"),),
    ),
    TableSpec(
        "invoice_lines",
        (("invoice_zoho_id", TEXT), *_LINE),
        refs=(ParentRef("invoice_id", "invoices", "invoice_zoho_id"), _PRODUCT_REF),
        document_column="invoice_zoho_id",
    ),
    TableSpec(
        "payments",
        (("number", TEXT), ("customer_zoho_id", TEXT), ("date", DATE),
         ("payment_mode", TEXT), ("amount", NUM), ("unused_amount", NUM),
         ("currency_code", TEXT), ("exchange_rate", NUM), ("reference_number", TEXT),
         ("invoice_numbers", TEXT), ("created_at", TS)),
        refs=(ParentRef("customer_id", "customers", "customer_zoho_id"),),
    ),
    TableSpec(
        "opportunities",
        (("name", TEXT), ("crm_account_zoho_id", TEXT), ("crm_contact_zoho_id", TEXT),
         ("amount", NUM), ("stage", TEXT), ("probability", NUM), ("expected_revenue", NUM),
         ("closing_date", DATE), ("deal_type", TEXT), ("lead_source", TEXT),
         ("owner_name", TEXT), ("created_at", TS)),
        refs=(ParentRef("crm_account_id", "crm_accounts", "crm_account_zoho_id"),
              ParentRef("crm_contact_id", "crm_contacts", "crm_contact_zoho_id")),
    ),
)
"""In dependency order: a table's parents come before it."""

TABLES_BY_NAME = {table.name: table for table in TABLES}
