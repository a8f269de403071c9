"""Every emulated Books/Inventory entity: paths, keys, documented parameters, builders.

Each entry says what each product documents for the entity, how its records are
classified (status, type) and which functions build its records.

Strictness lives here as data: a `sort_column` is accepted only where Zoho documents it,
`last_modified_time` filters only where Zoho documents it (elsewhere it is ignored, as
Zoho ignores unknown parameters), `filter_by` values map to record predicates, and
defaults (active-only contacts and items) are Zoho's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zoho_emulator.finance.generators import documents, logistics, parties, products
from zoho_emulator.finance.generators.common import (
    CustomField,
    GenContext,
    Record,
    custom_fields_for,
)

RowBuilder = Callable[[GenContext, int, int, int], Record]
DetailBuilder = Callable[[GenContext, int, int, int, str], Record]
Predicate = Mapping[str, frozenset[Any]]
"""Field name -> allowed values; empty mapping matches every record."""

ALL: Predicate = {}


def _is(field_name: str, *values: Any) -> Predicate:  # noqa: ANN401
    return {field_name: frozenset(values)}


def _flag(field_name: str, *, value: bool) -> Predicate:
    return {field_name: frozenset({value})}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What one product documents for one entity's list and detail calls."""

    list_key: str
    detail_key: str | None
    """None: the detail's fields sit at the top level of the response (as Zoho does)."""
    sort_columns: frozenset[str] = frozenset()
    filters: Mapping[str, Predicate] = field(default_factory=dict)
    default_filter: str | None = None
    modified_filter: bool = False
    modified_means_same_date: bool = False
    """Zoho's journals quirk: `last_modified_time` selects records whose date equals the
    given time's date, not records modified at or after it (reference 2.5, hotglue)."""
    paginated: bool = True
    report_name: str = ""
    extra_filters: Mapping[str, str] = field(default_factory=dict)
    """Other documented equality filters: query parameter -> record field."""
    extra_values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Allowed values of those filters, where Zoho documents a fixed set."""
    aggregates: bool = False
    """The list takes `response_option` (0-4: rows, count, sums of `total` and `balance`),
    as Zoho's OAS documents for the Books invoice list only."""


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """One entity, shared by Books and Inventory where both serve it (same ids)."""

    name: str
    path: str
    id_field: str
    code: int
    label: str
    """Used in "<label> does not exist." errors."""
    row: RowBuilder
    detail: DetailBuilder
    books: Endpoint | None
    inventory: Endpoint | None
    classes: tuple[tuple[int, dict[str, Any]], ...] = ((100, {}),)
    """(weight per 100, attributes) of the periodic class pattern."""
    scale_divisor: int = 1
    fixed_count: int | None = None
    custom_fields: tuple[CustomField, ...] = ()
    inventory_row: RowBuilder | None = None
    listable: bool = True
    mutable: bool = True
    exists: Callable[[GenContext, int], bool] | None = None
    """Whether generated record `index` exists (shipments exist for shipped packages)."""

    def endpoint(self, product: str) -> Endpoint | None:
        """The product's endpoint for this entity, if it serves one."""
        return self.books if product == "books" else self.inventory


def _statuses(prefix: str, mapping: dict[str, tuple[str, ...]]) -> dict[str, Predicate]:
    filters: dict[str, Predicate] = {f"{prefix}.All": ALL}
    for name, values in mapping.items():
        filters[f"{prefix}.{name}"] = _is("status", *values)
    return filters


ACTIVE_FILTERS = _statuses("Status", {"Active": ("active",), "Inactive": ("inactive",)})
CONTACT_SORT = frozenset(
    {
        "contact_name",
        "first_name",
        "last_name",
        "email",
        "outstanding_receivable_amount",
        "created_time",
        "last_modified_time",
    }
)
SALESORDER_SORT = frozenset(
    {
        "customer_name",
        "salesorder_number",
        "shipment_date",
        "last_modified_time",
        "reference_number",
        "total",
        "date",
        "created_time",
    }
)
PAYMENT_FILTERS: dict[str, Predicate] = {
    "PaymentMode.All": ALL,
    "PaymentMode.Check": _is("payment_mode", "check"),
    "PaymentMode.Cash": _is("payment_mode", "cash"),
    "PaymentMode.BankTransfer": _is("payment_mode", "banktransfer"),
    "PaymentMode.Paypal": _is("payment_mode", "paypal"),
    "PaymentMode.CreditCard": _is("payment_mode", "creditcard"),
    "PaymentMode.GoogleCheckout": _is("payment_mode", "googlecheckout"),
}
PAYMENT_CLASSES = (
    (40, {"payment_mode": "banktransfer"}),
    (25, {"payment_mode": "check"}),
    (15, {"payment_mode": "cash"}),
    (15, {"payment_mode": "creditcard"}),
    (5, {"payment_mode": "paypal"}),
)
ACTIVE_CLASSES = ((92, {"status": "active"}), (8, {"status": "inactive"}))


def _contact_classes() -> tuple[tuple[int, dict[str, Any]], ...]:
    # The contact pattern is built position by position (see store.pattern_for) so that
    # every fifth contact is a vendor; weights here only list the classes.
    return (
        (0, {"contact_type": "customer", "status": "active"}),
        (0, {"contact_type": "customer", "status": "inactive"}),
        (0, {"contact_type": "vendor", "status": "active"}),
        (0, {"contact_type": "vendor", "status": "inactive"}),
    )


def _items_classes() -> tuple[tuple[int, dict[str, Any]], ...]:
    return (
        (80, {"status": "active", "track_inventory": True}),
        (12, {"status": "active", "track_inventory": False}),
        (6, {"status": "inactive", "track_inventory": True}),
        (2, {"status": "inactive", "track_inventory": False}),
    )


ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec(
        "contacts",
        "/contacts",
        "contact_id",
        11,
        "Contact",
        parties.contact_row,
        parties.contact_detail,
        books=Endpoint(
            "contacts",
            "contact",
            CONTACT_SORT,
            {
                **ACTIVE_FILTERS,
                "Status.Duplicate": _is("status", "duplicate"),
                "Status.PortalEnabled": _is("portal_status", "enabled"),
                "Status.PortalDisabled": _is("portal_status", "disabled"),
                "Status.Crm": _flag("is_linked_with_zohocrm", value=True),
            },
            "Status.Active",
            report_name="Contacts",
            extra_filters={"contact_type": "contact_type"},
            extra_values={"contact_type": frozenset({"customer", "vendor"})},
        ),
        inventory=Endpoint(
            "contacts",
            "contact",
            CONTACT_SORT,
            {
                **ACTIVE_FILTERS,
                "Status.Duplicate": _is("status", "duplicate"),
                "Status.PortalEnabled": _is("portal_status", "enabled"),
                "Status.PortalDisabled": _is("portal_status", "disabled"),
            },
            "Status.Active",
            report_name="Contacts",
        ),
        classes=_contact_classes(),
        custom_fields=custom_fields_for(
            "contacts",
            ("Region", "cf_region", "dropdown", ("North", "South", "East", "West")),
            ("Loyalty Tier", "cf_loyalty_tier", "dropdown", ("Bronze", "Silver", "Gold")),
        ),
    ),
    EntitySpec(
        "items",
        "/items",
        "item_id",
        12,
        "Item",
        products.item_row,
        products.item_detail,
        books=Endpoint(
            "items",
            "item",
            frozenset({"name", "rate", "tax_name"}),
            ACTIVE_FILTERS,
            "Status.Active",
            report_name="Items",
        ),
        inventory=Endpoint(
            "items",
            "item",
            frozenset(
                {
                    "name",
                    "sku",
                    "rate",
                    "purchase_rate",
                    "created_time",
                    "last_modified_time",
                    "reorder_level",
                    "stock_on_hand",
                }
            ),
            {
                **ACTIVE_FILTERS,
                "ItemType.All": ALL,
                "ItemType.Inventory": _is("item_type", "inventory"),
                "ItemType.Sales": _is("item_type", "sales_and_purchases"),
            },
            "Status.Active",
            modified_filter=True,
            report_name="Items",
        ),
        classes=_items_classes(),
        custom_fields=custom_fields_for(
            "items",
            ("Brand Family", "cf_brand_family", "dropdown", ("Everyday", "Pro", "Outdoor")),
            ("Shelf Life Days", "cf_shelf_life_days", "number", 720),
        ),
        inventory_row=products.inventory_item_row,
    ),
    EntitySpec(
        "itemgroups",
        "/itemgroups",
        "group_id",
        13,
        "Item group",
        products.itemgroup_row,
        products.itemgroup_detail,
        books=None,
        inventory=Endpoint("itemgroups", None, report_name="Item Groups"),
        classes=((95, {"status": "active"}), (5, {"status": "inactive"})),
        scale_divisor=10,
        custom_fields=custom_fields_for(
            "itemgroups",
            ("Season", "cf_season", "dropdown", ("Spring", "Summer", "Autumn", "Winter")),
        ),
    ),
    EntitySpec(
        "compositeitems",
        "/compositeitems",
        "composite_item_id",
        14,
        "Composite item",
        products.composite_row,
        products.composite_detail,
        books=None,
        inventory=Endpoint(
            "composite_items",
            "composite_item",
            frozenset(
                {
                    "name",
                    "sku",
                    "rate",
                    "tax_name",
                    "purchase_rate",
                    "created_time",
                    "last_modified_time",
                    "reorder_level",
                }
            ),
            {
                **ACTIVE_FILTERS,
                "ComboType.Assembly": _is("combo_type", "assembly"),
                "ComboType.Kit": _is("combo_type", "kit"),
            },
            "Status.Active",
            modified_filter=True,
            report_name="Composite Items",
        ),
        classes=(
            (46, {"status": "active", "combo_type": "assembly"}),
            (47, {"status": "active", "combo_type": "kit"}),
            (7, {"status": "inactive", "combo_type": "kit"}),
        ),
        scale_divisor=10,
        custom_fields=custom_fields_for(
            "compositeitems",
            ("Kit Theme", "cf_kit_theme", "dropdown", ("Starter", "Holiday", "Office")),
        ),
    ),
    EntitySpec(
        "invoices",
        "/invoices",
        "invoice_id",
        21,
        "Invoice",
        documents.document_row,
        documents.document_detail,
        books=Endpoint(
            "invoices",
            "invoice",
            frozenset(
                {
                    "customer_name",
                    "invoice_number",
                    "date",
                    "due_date",
                    "total",
                    "balance",
                    "created_time",
                }
            ),
            {
                **_statuses(
                    "Status",
                    {
                        "Sent": ("sent",),
                        "Draft": ("draft",),
                        "OverDue": ("overdue",),
                        "Paid": ("paid",),
                        "Void": ("void",),
                        "PartiallyPaid": ("partially_paid",),
                        "Viewed": ("viewed",),
                        "Unpaid": ("sent", "overdue", "partially_paid", "viewed"),
                    },
                )
            },
            modified_filter=True,
            report_name="Invoices",
            aggregates=True,
            extra_filters={"customer_id": "customer_id", "status": "status"},
            extra_values={
                "status": frozenset(
                    {"sent", "draft", "overdue", "paid", "void", "partially_paid", "viewed"}
                )
            },
        ),
        inventory=Endpoint(
            "invoices",
            "invoice",
            frozenset(
                {
                    "customer_name",
                    "invoice_number",
                    "date",
                    "due_date",
                    "total",
                    "balance",
                    "created_time",
                }
            ),
            _statuses(
                "Status",
                {
                    "Sent": ("sent",),
                    "Draft": ("draft",),
                    "OverDue": ("overdue",),
                    "Paid": ("paid",),
                    "Void": ("void",),
                    "PartiallyPaid": ("partially_paid",),
                    "Unpaid": ("sent", "overdue", "partially_paid", "viewed"),
                },
            ),
            report_name="Invoices",
        ),
        classes=(
            (45, {"status": "paid"}),
            (15, {"status": "sent"}),
            (10, {"status": "overdue"}),
            (8, {"status": "partially_paid"}),
            (10, {"status": "draft"}),
            (4, {"status": "void"}),
            (8, {"status": "viewed"}),
        ),
        custom_fields=custom_fields_for(
            "invoices",
            ("Sales Channel", "cf_sales_channel", "dropdown", ("Online", "Retail", "Wholesale")),
            ("Delivery Slot", "cf_delivery_date", "date", 0),
        ),
    ),
    EntitySpec(
        "estimates",
        "/estimates",
        "estimate_id",
        22,
        "Estimate",
        documents.document_row,
        documents.document_detail,
        books=Endpoint(
            "estimates",
            "estimate",
            frozenset({"customer_name", "estimate_number", "date", "total", "created_time"}),
            _statuses(
                "Status",
                {
                    "Sent": ("sent",),
                    "Draft": ("draft",),
                    "Invoiced": ("invoiced",),
                    "Accepted": ("accepted",),
                    "Declined": ("declined",),
                    "Expired": ("expired",),
                },
            ),
            report_name="Estimates",
        ),
        inventory=None,
        classes=(
            (15, {"status": "draft"}),
            (25, {"status": "sent"}),
            (25, {"status": "accepted"}),
            (25, {"status": "invoiced"}),
            (5, {"status": "declined"}),
            (5, {"status": "expired"}),
        ),
        custom_fields=custom_fields_for(
            "estimates",
            ("Sales Channel", "cf_sales_channel", "dropdown", ("Online", "Retail", "Wholesale")),
        ),
    ),
    EntitySpec(
        "salesorders",
        "/salesorders",
        "salesorder_id",
        23,
        "Sales order",
        documents.document_row,
        documents.document_detail,
        books=Endpoint(
            "salesorders",
            "salesorder",
            SALESORDER_SORT,
            _statuses(
                "Status",
                {
                    "Open": ("open",),
                    "Draft": ("draft",),
                    "OverDue": ("overdue",),
                    "PartiallyInvoiced": ("partially_invoiced",),
                    "Invoiced": ("invoiced",),
                    "Void": ("void",),
                    "Closed": ("closed",),
                },
            ),
            modified_filter=True,
            report_name="Sales Orders",
        ),
        inventory=Endpoint(
            "salesorders",
            "salesorder",
            SALESORDER_SORT,
            _statuses(
                "Status",
                {
                    "Open": ("open",),
                    "Draft": ("draft",),
                    "OverDue": ("overdue",),
                    "PartiallyInvoiced": ("partially_invoiced",),
                    "Invoiced": ("invoiced",),
                    "Void": ("void",),
                    "Closed": ("closed",),
                },
            ),
            modified_filter=True,
            report_name="Sales Orders",
        ),
        classes=(
            (30, {"status": "open", "shipped": "pending", "invoiced": "not_invoiced"}),
            (30, {"status": "invoiced", "shipped": "shipped", "invoiced": "invoiced"}),
            (
                10,
                {
                    "status": "partially_invoiced",
                    "shipped": "partially_shipped",
                    "invoiced": "partially_invoiced",
                },
            ),
            (10, {"status": "draft", "shipped": "", "invoiced": ""}),
            (10, {"status": "closed", "shipped": "fulfilled", "invoiced": "invoiced"}),
            (5, {"status": "void", "shipped": "", "invoiced": ""}),
            (5, {"status": "overdue", "shipped": "pending", "invoiced": "not_invoiced"}),
        ),
        custom_fields=custom_fields_for(
            "salesorders",
            ("Sales Channel", "cf_sales_channel", "dropdown", ("Online", "Retail", "Wholesale")),
        ),
    ),
    EntitySpec(
        "purchaseorders",
        "/purchaseorders",
        "purchaseorder_id",
        24,
        "Purchase order",
        documents.document_row,
        documents.document_detail,
        books=Endpoint(
            "purchaseorders",
            "purchaseorder",
            frozenset(
                {
                    "vendor_name",
                    "purchaseorder_number",
                    "date",
                    "delivery_date",
                    "total",
                    "created_time",
                }
            ),
            _statuses(
                "Status",
                {
                    "Draft": ("draft",),
                    "Open": ("open",),
                    "Billed": ("billed",),
                    "Cancelled": ("cancelled",),
                },
            ),
            modified_filter=True,
            report_name="Purchase Orders",
        ),
        inventory=Endpoint("purchaseorders", "purchaseorder", report_name="Purchase Orders"),
        classes=(
            (10, {"status": "draft", "billed": ""}),
            (35, {"status": "open", "billed": ""}),
            (50, {"status": "billed", "billed": "billed"}),
            (5, {"status": "cancelled", "billed": ""}),
        ),
        custom_fields=custom_fields_for(
            "purchaseorders", ("Buyer", "cf_buyer", "dropdown", ("Central", "Regional"))
        ),
    ),
    EntitySpec(
        "bills",
        "/bills",
        "bill_id",
        25,
        "Bill",
        documents.document_row,
        documents.document_detail,
        books=Endpoint(
            "bills",
            "bill",
            frozenset(
                {
                    "vendor_name",
                    "bill_number",
                    "date",
                    "due_date",
                    "total",
                    "balance",
                    "created_time",
                }
            ),
            _statuses(
                "Status",
                {
                    "PartiallyPaid": ("partially_paid",),
                    "Paid": ("paid",),
                    "OverDue": ("overdue",),
                    "Void": ("void",),
                    "Open": ("open",),
                },
            ),
            modified_filter=True,
            report_name="Bills",
        ),
        inventory=None,
        classes=(
            (25, {"status": "open"}),
            (50, {"status": "paid"}),
            (10, {"status": "overdue"}),
            (10, {"status": "partially_paid"}),
            (5, {"status": "void"}),
        ),
        custom_fields=custom_fields_for(
            "bills",
            ("Cost Centre", "cf_cost_centre", "dropdown", ("Operations", "Marketing", "R&D")),
        ),
    ),
    EntitySpec(
        "creditnotes",
        "/creditnotes",
        "creditnote_id",
        26,
        "Credit note",
        documents.document_row,
        documents.document_detail,
        books=Endpoint(
            "creditnotes",
            "creditnote",
            frozenset(
                {"customer_name", "creditnote_number", "balance", "total", "date", "created_time"}
            ),
            _statuses(
                "Status",
                {"Open": ("open",), "Draft": ("draft",), "Closed": ("closed",), "Void": ("void",)},
            ),
            report_name="Credit Notes",
        ),
        inventory=None,
        classes=(
            (30, {"status": "open"}),
            (55, {"status": "closed"}),
            (10, {"status": "draft"}),
            (5, {"status": "void"}),
        ),
        scale_divisor=4,
        custom_fields=custom_fields_for(
            "creditnotes",
            ("Return Reason", "cf_return_reason", "dropdown", ("Damaged", "Wrong item", "Late")),
        ),
    ),
    EntitySpec(
        "customerpayments",
        "/customerpayments",
        "payment_id",
        27,
        "Payment",
        documents.payment_row,
        documents.payment_detail,
        books=Endpoint(
            "customerpayments",
            "payment",
            frozenset(
                {
                    "customer_name",
                    "payment_number",
                    "payment_mode",
                    "date",
                    "amount",
                    "created_time",
                }
            ),
            PAYMENT_FILTERS,
            report_name="Customer Payments",
        ),
        inventory=None,
        classes=PAYMENT_CLASSES,
        custom_fields=custom_fields_for(
            "customerpayments",
            ("Collected By", "cf_collected_by", "dropdown", ("Front desk", "Online")),
        ),
    ),
    EntitySpec(
        "vendorpayments",
        "/vendorpayments",
        "payment_id",
        28,
        "Payment",
        documents.payment_row,
        documents.payment_detail,
        books=Endpoint(
            "vendorpayments",
            "vendorpayment",
            frozenset({"vendor_name", "date", "reference_number", "amount", "balance"}),
            PAYMENT_FILTERS,
            modified_filter=True,
            report_name="Vendor Payments",
        ),
        inventory=None,
        classes=PAYMENT_CLASSES,
        custom_fields=custom_fields_for(
            "vendorpayments", ("Approved By", "cf_approved_by", "dropdown", ("Finance", "Owner"))
        ),
    ),
    EntitySpec(
        "expenses",
        "/expenses",
        "expense_id",
        29,
        "Expense",
        documents.expense_row,
        documents.expense_detail,
        books=Endpoint(
            "expenses",
            "expense",
            frozenset(
                {
                    "date",
                    "account_name",
                    "total",
                    "bcy_total",
                    "reference_number",
                    "customer_name",
                    "created_time",
                }
            ),
            {
                "Status.All": ALL,
                "Status.Billable": _flag("is_billable", value=True),
                "Status.Nonbillable": _flag("is_billable", value=False),
                "Status.Reimbursed": _is("status", "reimbursed"),
                "Status.Invoiced": _is("status", "invoiced"),
                "Status.Unbilled": _is("status", "unbilled"),
            },
            report_name="Expenses",
        ),
        inventory=None,
        classes=(
            (40, {"status": "nonbillable", "is_billable": False}),
            (25, {"status": "unbilled", "is_billable": True}),
            (25, {"status": "invoiced", "is_billable": True}),
            (10, {"status": "reimbursed", "is_billable": False}),
        ),
        scale_divisor=2,
        custom_fields=custom_fields_for(
            "expenses", ("Project Code", "cf_project_code", "dropdown", ("P-100", "P-200", "P-300"))
        ),
    ),
    EntitySpec(
        "journals",
        "/journals",
        "journal_id",
        30,
        "Journal",
        documents.journal_row,
        documents.journal_detail,
        books=Endpoint(
            "journals",
            "journal",
            frozenset({"journal_date", "entry_number", "reference_number", "total"}),
            {"JournalDate.All": ALL},
            modified_filter=True,
            modified_means_same_date=True,
            report_name="Journals",
        ),
        inventory=None,
        classes=((95, {"status": "published"}), (5, {"status": "draft"})),
        scale_divisor=10,
        custom_fields=custom_fields_for(
            "journals", ("Approver", "cf_approver", "dropdown", ("CFO", "Controller"))
        ),
    ),
    EntitySpec(
        "chartofaccounts",
        "/chartofaccounts",
        "account_id",
        31,
        "Account",
        products.account_row,
        products.account_detail,
        books=Endpoint(
            "chartofaccounts",
            None,
            frozenset({"account_name", "account_type"}),
            {
                "AccountType.All": ALL,
                "AccountType.Active": _flag("is_active", value=True),
                "AccountType.Inactive": _flag("is_active", value=False),
                "AccountType.Asset": _is("account_base_type", "Asset"),
                "AccountType.Liability": _is("account_base_type", "Liability"),
                "AccountType.Equity": _is("account_base_type", "Equity"),
                "AccountType.Income": _is("account_base_type", "Income"),
                "AccountType.Expense": _is("account_base_type", "Expense"),
            },
            modified_filter=True,
            report_name="Chart of Accounts",
        ),
        inventory=None,
        fixed_count=len(products.ACCOUNTS),
        classes=((100, {"is_active": True}),),
    ),
    EntitySpec(
        "taxes",
        "/settings/taxes",
        "tax_id",
        32,
        "Tax",
        products.tax_row,
        products.tax_detail,
        books=Endpoint("taxes", "tax", report_name="Taxes"),
        inventory=Endpoint("taxes", "tax", report_name="Taxes"),
        fixed_count=6,
        mutable=False,
    ),
    EntitySpec(
        "users",
        "/users",
        "user_id",
        33,
        "User",
        parties.user_row,
        parties.user_detail,
        books=Endpoint(
            "users",
            "user",
            frozenset({"name", "email", "user_role", "status"}),
            {
                **_statuses(
                    "Status",
                    {
                        "Active": ("active",),
                        "Inactive": ("inactive",),
                        "Invited": ("invited",),
                        "Deleted": ("deleted",),
                    },
                )
            },
            report_name="Users",
        ),
        inventory=Endpoint(
            "users",
            "user",
            frozenset({"name", "email", "user_role", "status"}),
            {
                **_statuses(
                    "Status",
                    {
                        "Active": ("active",),
                        "Inactive": ("inactive",),
                        "Invited": ("invited",),
                        "Deleted": ("deleted",),
                    },
                )
            },
            report_name="Users",
        ),
        fixed_count=8,
        classes=(
            (80, {"status": "active"}),
            (10, {"status": "inactive"}),
            (10, {"status": "invited"}),
        ),
    ),
    EntitySpec(
        "warehouses",
        "/settings/warehouses",
        "warehouse_id",
        34,
        "Warehouse",
        products.warehouse_row,
        products.warehouse_detail,
        books=None,
        inventory=Endpoint("warehouses", "warehouse", paginated=False),
        fixed_count=3,
        mutable=False,
        exists=products.warehouse_exists,
    ),
    EntitySpec(
        "locations",
        "/locations",
        "location_id",
        35,
        "Location",
        products.location_row,
        products.location_detail,
        books=Endpoint("locations", "location", paginated=False),
        inventory=Endpoint("locations", "location", paginated=False),
        fixed_count=4,
        mutable=False,
        exists=products.location_exists,
    ),
    EntitySpec(
        "packages",
        "/packages",
        "package_id",
        41,
        "Package",
        logistics.package_row,
        logistics.package_detail,
        books=None,
        inventory=Endpoint(
            "packages",
            "package",
            frozenset(
                {
                    "tracking_number",
                    "salesorder_number",
                    "package_number",
                    "date",
                    "created_time",
                    "last_modified_time",
                    "customer_name",
                    "customer_id",
                    "shipment_date",
                    "quantity",
                    "delivery_method",
                }
            ),
            _statuses(
                "Status",
                {
                    "NotShipped": ("not_shipped",),
                    "Shipped": ("shipped",),
                    "Delivered": ("delivered",),
                },
            ),
            report_name="Packages",
        ),
        classes=(
            (20, {"status": "not_shipped"}),
            (40, {"status": "shipped"}),
            (40, {"status": "delivered"}),
        ),
        custom_fields=custom_fields_for(
            "packages", ("Packed By", "cf_packed_by", "dropdown", ("Team A", "Team B"))
        ),
    ),
    EntitySpec(
        "shipmentorders",
        "/shipmentorders",
        "shipment_id",
        42,
        "Shipment order",
        logistics.shipment_row,
        logistics.shipment_detail,
        books=None,
        inventory=Endpoint("shipmentorders", "shipment_order"),
        listable=False,
        mutable=False,
        exists=logistics.shipment_exists,
    ),
    EntitySpec(
        "transferorders",
        "/transferorders",
        "transfer_order_id",
        43,
        "Transfer order",
        logistics.transfer_row,
        logistics.transfer_detail,
        books=None,
        inventory=Endpoint(
            "transfer_orders",
            "transfer_order",
            frozenset({"date", "created_time", "last_modified_time"}),
            {
                "TransferDate.All": ALL,
                "TransferStatus.Draft": _is("status", "draft"),
                "TransferStatus.InTransit": _is("status", "in_transit"),
                "TransferStatus.Transferred": _is("status", "transferred"),
            },
            report_name="Transfer Orders",
        ),
        classes=(
            (10, {"status": "draft"}),
            (20, {"status": "in_transit"}),
            (70, {"status": "transferred"}),
        ),
        scale_divisor=4,
        custom_fields=custom_fields_for(
            "transferorders", ("Vehicle", "cf_vehicle", "dropdown", ("Van", "Truck"))
        ),
    ),
    EntitySpec(
        "inventoryadjustments",
        "/inventoryadjustments",
        "inventory_adjustment_id",
        44,
        "Inventory adjustment",
        logistics.adjustment_row,
        logistics.adjustment_detail,
        books=None,
        inventory=Endpoint(
            "inventory_adjustments", "inventory_adjustment", report_name="Inventory Adjustments"
        ),
        classes=(
            (72, {"adjustment_type": "quantity", "status": "adjusted"}),
            (18, {"adjustment_type": "value", "status": "adjusted"}),
            (10, {"adjustment_type": "quantity", "status": "draft"}),
        ),
        scale_divisor=4,
        custom_fields=custom_fields_for(
            "inventoryadjustments",
            ("Approved By", "cf_approved_by", "dropdown", ("Manager", "Auditor")),
        ),
    ),
)
BY_NAME: dict[str, EntitySpec] = {spec.name: spec for spec in ENTITIES}
