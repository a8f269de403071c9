# ruff: noqa: E501 - one table row per line reads better than wrapped rows
"""Where each Books/Inventory entity lives and what its list call supports (Zoho's docs).

`modified_filter`: the list accepts `last_modified_time` (server-side incremental).
`sort_modified`: the list accepts `sort_column=last_modified_time` (newest first lets a
client stop paging at its bookmark). `all_filter`: the `filter_by` value that lists
every record (several lists default to active records only).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EntityRoute:
    """One entity in one product."""

    path: str
    list_key: str
    detail_key: str | None
    id_field: str
    modified_filter: bool = False
    sort_modified: bool = False
    all_filter: str | None = None
    paginated: bool = True
    other_filters: tuple[str, ...] = ()
    detail_alternates: tuple[str, ...] = ()


DETAIL_ALTERNATES: dict[str, tuple[str, ...]] = {
    "purchaseorder": ("purchase_order",),
    "salesorder": ("sales_order",),
    "creditnote": ("credit_note",),
    "vendorpayment": ("vendor_payment",),
    "shipment_order": ("shipmentorder",),
    "composite_item": ("compositeitem",),
    "transfer_order": ("transferorder",),
    "inventory_adjustment": ("inventoryadjustment",),
}
"""The same record under the other spelling (with or without the underscore)."""
ONLY_ACTIVE_BY_DEFAULT = ("Status.Inactive",)


def _route(  # noqa: PLR0913 - a table row
    path: str,
    list_key: str,
    detail_key: str | None,
    id_field: str,
    *,
    modified: bool = False,
    sort_modified: bool = False,
    all_filter: str | None = None,
    paginated: bool = True,
    other_filters: tuple[str, ...] = (),
) -> EntityRoute:
    alternates = DETAIL_ALTERNATES.get(detail_key or "", ())
    return EntityRoute(
        path, list_key, detail_key, id_field, modified, sort_modified, all_filter, paginated,
        other_filters, alternates,
    )  # fmt: skip


BOOKS: dict[str, EntityRoute] = {
    "organizations": _route("/organizations", "organizations", "organization", "organization_id", paginated=False),
    "contacts": _route("/contacts", "contacts", "contact", "contact_id", sort_modified=True, all_filter="Status.All", other_filters=ONLY_ACTIVE_BY_DEFAULT),
    "items": _route("/items", "items", "item", "item_id", all_filter="Status.All", other_filters=ONLY_ACTIVE_BY_DEFAULT),
    "invoices": _route("/invoices", "invoices", "invoice", "invoice_id", modified=True, all_filter="Status.All"),
    "estimates": _route("/estimates", "estimates", "estimate", "estimate_id", all_filter="Status.All"),
    "salesorders": _route("/salesorders", "salesorders", "salesorder", "salesorder_id", modified=True, all_filter="Status.All"),
    "purchaseorders": _route("/purchaseorders", "purchaseorders", "purchaseorder", "purchaseorder_id", modified=True, all_filter="Status.All"),
    "bills": _route("/bills", "bills", "bill", "bill_id", modified=True, all_filter="Status.All"),
    "creditnotes": _route("/creditnotes", "creditnotes", "creditnote", "creditnote_id", all_filter="Status.All"),
    "customerpayments": _route("/customerpayments", "customerpayments", "payment", "payment_id", all_filter="PaymentMode.All"),
    "vendorpayments": _route("/vendorpayments", "vendorpayments", "vendorpayment", "payment_id", modified=True, all_filter="PaymentMode.All"),
    "expenses": _route("/expenses", "expenses", "expense", "expense_id", all_filter="Status.All"),
    # Zoho's /journals reads last_modified_time as "journal_date equal to that day", not
    # "modified after": a filter would miss every edit to an older journal, and
    # date_after (hotglue's fix) filters by journal date too. Full list every run.
    "journals": _route("/journals", "journals", "journal", "journal_id", all_filter="JournalDate.All"),
    "chartofaccounts": _route("/chartofaccounts", "chartofaccounts", None, "account_id", modified=True, all_filter="AccountType.All"),
    "taxes": _route("/settings/taxes", "taxes", "tax", "tax_id"),
    "users": _route("/users", "users", "user", "user_id", all_filter="Status.All"),
    "locations": _route("/locations", "locations", "location", "location_id", paginated=False),
}  # fmt: skip

INVENTORY: dict[str, EntityRoute] = {
    "organizations": _route("/organizations", "organizations", "organization", "organization_id", paginated=False),
    "contacts": _route("/contacts", "contacts", "contact", "contact_id", sort_modified=True, all_filter="Status.All", other_filters=ONLY_ACTIVE_BY_DEFAULT),
    "items": _route("/items", "items", "item", "item_id", modified=True, all_filter="Status.All", other_filters=ONLY_ACTIVE_BY_DEFAULT),
    "itemgroups": _route("/itemgroups", "itemgroups", None, "group_id"),
    "compositeitems": _route("/compositeitems", "composite_items", "composite_item", "composite_item_id", modified=True, all_filter="Status.All", other_filters=ONLY_ACTIVE_BY_DEFAULT),
    "warehouses": _route("/settings/warehouses", "warehouses", "warehouse", "warehouse_id", paginated=False),
    "locations": _route("/locations", "locations", "location", "location_id", paginated=False),
    "salesorders": _route("/salesorders", "salesorders", "salesorder", "salesorder_id", modified=True, all_filter="Status.All"),
    "purchaseorders": _route("/purchaseorders", "purchaseorders", "purchaseorder", "purchaseorder_id"),
    "invoices": _route("/invoices", "invoices", "invoice", "invoice_id", all_filter="Status.All"),
    "packages": _route("/packages", "packages", "package", "package_id", sort_modified=True, all_filter="Status.All"),
    "shipmentorders": _route("/shipmentorders", "shipmentorders", "shipment_order", "shipment_id"),
    "transferorders": _route("/transferorders", "transfer_orders", "transfer_order", "transfer_order_id", sort_modified=True, all_filter="TransferDate.All"),
    "inventoryadjustments": _route("/inventoryadjustments", "inventory_adjustments", "inventory_adjustment", "inventory_adjustment_id"),
    "taxes": _route("/settings/taxes", "taxes", "tax", "tax_id"),
    "users": _route("/users", "users", "user", "user_id", all_filter="Status.All"),
}  # fmt: skip

ENTITIES: dict[str, dict[str, EntityRoute]] = {"books": BOOKS, "inventory": INVENTORY}
