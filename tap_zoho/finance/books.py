"""Zoho Books v3 streams: declarations only; behaviour lives in `tap_zoho.finance` bases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import override

from tap_zoho.finance.base import OrganizationsStream
from tap_zoho.finance.details import DetailChildStream, HeaderStream, LineItemStream
from tap_zoho.finance.listing import ListStream

if TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context


class BooksOrganizations(OrganizationsStream):
    """`GET /organizations` filtered to the organizations being synced."""

    name = "books_organizations"
    product = "books"


class BooksContacts(HeaderStream):
    """Customers and vendors, active and inactive (`filter_by=Status.All`)."""

    name = "books_contacts"
    product = "books"
    entity = "contacts"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "contact_id")


class BooksContactPersons(DetailChildStream):
    """`GET /contacts/{id}/contactpersons` for contacts changed since the bookmark."""

    name = "books_contact_persons"
    product = "books"
    entity = "contacts"
    parent_stream_type = BooksContacts
    parent_id_field = "contact_id"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "contact_person_id")

    @override
    def detail_records(self, context: Context) -> Iterator[dict[str, Any]]:
        path = f"/contacts/{context['contact_id']}/contactpersons"
        for page in self.client.paginate(
            self.product, path, "contact_persons",
            organization_id=context["organization_id"], label=self.name,
            on_fallback=self.fallback_hook(context["organization_id"]),
        ):  # fmt: skip
            yield from page.records


class BooksItems(ListStream):
    """Items, active and inactive."""

    name = "books_items"
    product = "books"
    entity = "items"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "item_id")


class BooksInvoices(HeaderStream):
    """Invoice headers (list rows)."""

    name = "books_invoices"
    product = "books"
    entity = "invoices"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "invoice_id")


class BooksInvoiceLineItems(LineItemStream):
    """Invoice lines from `/invoices/{id}`."""

    name = "books_invoice_line_items"
    product = "books"
    entity = detail_entity = "invoices"
    parent_stream_type = BooksInvoices
    parent_id_field = "invoice_id"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "invoice_id", "line_item_id")


class BooksEstimates(HeaderStream):
    """Estimate headers."""

    name = "books_estimates"
    product = "books"
    entity = "estimates"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "estimate_id")


class BooksEstimateLineItems(LineItemStream):
    """Estimate lines from `/estimates/{id}`."""

    name = "books_estimate_line_items"
    product = "books"
    entity = detail_entity = "estimates"
    parent_stream_type = BooksEstimates
    parent_id_field = "estimate_id"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "estimate_id", "line_item_id")


class BooksSalesOrders(HeaderStream):
    """Sales order headers."""

    name = "books_sales_orders"
    product = "books"
    entity = "salesorders"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "salesorder_id")


class BooksSalesOrderLineItems(LineItemStream):
    """Sales order lines from `/salesorders/{id}`."""

    name = "books_sales_order_line_items"
    product = "books"
    entity = detail_entity = "salesorders"
    parent_stream_type = BooksSalesOrders
    parent_id_field = "salesorder_id"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "salesorder_id", "line_item_id")


class BooksPurchaseOrders(HeaderStream):
    """Purchase order headers."""

    name = "books_purchase_orders"
    product = "books"
    entity = "purchaseorders"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "purchaseorder_id")


class BooksPurchaseOrderLineItems(LineItemStream):
    """Purchase order lines from `/purchaseorders/{id}`."""

    name = "books_purchase_order_line_items"
    product = "books"
    entity = detail_entity = "purchaseorders"
    parent_stream_type = BooksPurchaseOrders
    parent_id_field = "purchaseorder_id"
    primary_keys: ClassVar[tuple[str, ...]] = (
        "organization_id",
        "purchaseorder_id",
        "line_item_id",
    )


class BooksBills(HeaderStream):
    """Bill headers."""

    name = "books_bills"
    product = "books"
    entity = "bills"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "bill_id")


class BooksBillLineItems(LineItemStream):
    """Bill lines from `/bills/{id}`."""

    name = "books_bill_line_items"
    product = "books"
    entity = detail_entity = "bills"
    parent_stream_type = BooksBills
    parent_id_field = "bill_id"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "bill_id", "line_item_id")


class BooksCreditNotes(HeaderStream):
    """Credit note headers."""

    name = "books_credit_notes"
    product = "books"
    entity = "creditnotes"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "creditnote_id")


class BooksCreditNoteLineItems(LineItemStream):
    """Credit note lines from `/creditnotes/{id}`."""

    name = "books_credit_note_line_items"
    product = "books"
    entity = detail_entity = "creditnotes"
    parent_stream_type = BooksCreditNotes
    parent_id_field = "creditnote_id"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "creditnote_id", "line_item_id")


class BooksCustomerPayments(ListStream):
    """Customer payments, every payment mode."""

    name = "books_customer_payments"
    product = "books"
    entity = "customerpayments"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "payment_id")


class BooksVendorPayments(ListStream):
    """Vendor payments, every payment mode."""

    name = "books_vendor_payments"
    product = "books"
    entity = "vendorpayments"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "payment_id")


class BooksExpenses(ListStream):
    """Expenses."""

    name = "books_expenses"
    product = "books"
    entity = "expenses"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "expense_id")


class BooksJournals(ListStream):
    """Manual journals, full-table (see `api.entities`: Zoho's journals filter is a date)."""

    name = "books_journals"
    product = "books"
    entity = "journals"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "journal_id")


class BooksChartOfAccounts(ListStream):
    """Chart of accounts (`filter_by=AccountType.All`)."""

    name = "books_chart_of_accounts"
    product = "books"
    entity = "chartofaccounts"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "account_id")


class BooksTaxes(ListStream):
    """Taxes (`/settings/taxes`)."""

    name = "books_taxes"
    product = "books"
    entity = "taxes"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "tax_id")


class BooksUsers(ListStream):
    """Users of the organization."""

    name = "books_users"
    product = "books"
    entity = "users"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "user_id")


STREAMS: tuple[type[OrganizationsStream | ListStream | DetailChildStream], ...] = (
    BooksOrganizations, BooksContacts, BooksContactPersons, BooksItems, BooksInvoices,
    BooksInvoiceLineItems, BooksEstimates, BooksEstimateLineItems, BooksSalesOrders,
    BooksSalesOrderLineItems, BooksPurchaseOrders, BooksPurchaseOrderLineItems, BooksBills,
    BooksBillLineItems, BooksCreditNotes, BooksCreditNoteLineItems, BooksCustomerPayments,
    BooksVendorPayments, BooksExpenses, BooksJournals, BooksChartOfAccounts, BooksTaxes,
    BooksUsers,
)  # fmt: skip
