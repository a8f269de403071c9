"""Zoho Books v3 streams: declarations only; behaviour lives in `tap_zoho.finance` bases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import override

from tap_zoho.finance.base import OrganizationsStream
from tap_zoho.finance.details import (
    DetailChildStream,
    HeaderStream,
    LineItemStream,
    LineManifestStream,
)
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


class BooksContactPersons(DetailChildStream):
    """`GET /contacts/{id}/contactpersons` for contacts changed since the bookmark."""

    name = "books_contact_persons"
    product = "books"
    entity = "contacts"
    parent_stream_type = BooksContacts
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


class BooksInvoices(HeaderStream):
    """Invoice headers (list rows)."""

    name = "books_invoices"
    product = "books"
    entity = "invoices"


class BooksInvoiceLineItems(LineItemStream):
    """Invoice lines from `/invoices/{id}`."""

    name = "books_invoice_line_items"
    product = "books"
    entity = "invoices"
    parent_stream_type = BooksInvoices


class BooksInvoiceLineManifests(LineManifestStream):
    """Current line ids of each document `BooksInvoiceLineItems` fetched."""

    line_stream = BooksInvoiceLineItems


class BooksEstimates(HeaderStream):
    """Estimate headers."""

    name = "books_estimates"
    product = "books"
    entity = "estimates"


class BooksEstimateLineItems(LineItemStream):
    """Estimate lines from `/estimates/{id}`."""

    name = "books_estimate_line_items"
    product = "books"
    entity = "estimates"
    parent_stream_type = BooksEstimates


class BooksEstimateLineManifests(LineManifestStream):
    """Current line ids of each document `BooksEstimateLineItems` fetched."""

    line_stream = BooksEstimateLineItems


class BooksSalesOrders(HeaderStream):
    """Sales order headers."""

    name = "books_sales_orders"
    product = "books"
    entity = "salesorders"


class BooksSalesOrderLineItems(LineItemStream):
    """Sales order lines from `/salesorders/{id}`."""

    name = "books_sales_order_line_items"
    product = "books"
    entity = "salesorders"
    parent_stream_type = BooksSalesOrders


class BooksSalesOrderLineManifests(LineManifestStream):
    """Current line ids of each document `BooksSalesOrderLineItems` fetched."""

    line_stream = BooksSalesOrderLineItems


class BooksPurchaseOrders(HeaderStream):
    """Purchase order headers."""

    name = "books_purchase_orders"
    product = "books"
    entity = "purchaseorders"


class BooksPurchaseOrderLineItems(LineItemStream):
    """Purchase order lines from `/purchaseorders/{id}`."""

    name = "books_purchase_order_line_items"
    product = "books"
    entity = "purchaseorders"
    parent_stream_type = BooksPurchaseOrders


class BooksPurchaseOrderLineManifests(LineManifestStream):
    """Current line ids of each document `BooksPurchaseOrderLineItems` fetched."""

    line_stream = BooksPurchaseOrderLineItems


class BooksBills(HeaderStream):
    """Bill headers."""

    name = "books_bills"
    product = "books"
    entity = "bills"


class BooksBillLineItems(LineItemStream):
    """Bill lines from `/bills/{id}`."""

    name = "books_bill_line_items"
    product = "books"
    entity = "bills"
    parent_stream_type = BooksBills


class BooksBillLineManifests(LineManifestStream):
    """Current line ids of each document `BooksBillLineItems` fetched."""

    line_stream = BooksBillLineItems


class BooksCreditNotes(HeaderStream):
    """Credit note headers."""

    name = "books_credit_notes"
    product = "books"
    entity = "creditnotes"


class BooksCreditNoteLineItems(LineItemStream):
    """Credit note lines from `/creditnotes/{id}`."""

    name = "books_credit_note_line_items"
    product = "books"
    entity = "creditnotes"
    parent_stream_type = BooksCreditNotes


class BooksCreditNoteLineManifests(LineManifestStream):
    """Current line ids of each document `BooksCreditNoteLineItems` fetched."""

    line_stream = BooksCreditNoteLineItems


class BooksCustomerPayments(ListStream):
    """Customer payments, every payment mode."""

    name = "books_customer_payments"
    product = "books"
    entity = "customerpayments"


class BooksVendorPayments(ListStream):
    """Vendor payments, every payment mode."""

    name = "books_vendor_payments"
    product = "books"
    entity = "vendorpayments"


class BooksExpenses(ListStream):
    """Expenses."""

    name = "books_expenses"
    product = "books"
    entity = "expenses"


class BooksJournals(ListStream):
    """Manual journals, full-table (see `api.entities`: Zoho's journals filter is a date)."""

    name = "books_journals"
    product = "books"
    entity = "journals"


class BooksChartOfAccounts(ListStream):
    """Chart of accounts (`filter_by=AccountType.All`)."""

    name = "books_chart_of_accounts"
    product = "books"
    entity = "chartofaccounts"


class BooksTaxes(ListStream):
    """Taxes (`/settings/taxes`)."""

    name = "books_taxes"
    product = "books"
    entity = "taxes"


class BooksUsers(ListStream):
    """Users of the organization."""

    name = "books_users"
    product = "books"
    entity = "users"


STREAMS: tuple[type[OrganizationsStream | ListStream | DetailChildStream], ...] = (
    BooksOrganizations, BooksContacts, BooksContactPersons, BooksItems, BooksInvoices,
    BooksInvoiceLineItems, BooksInvoiceLineManifests, BooksEstimates, BooksEstimateLineItems,
    BooksEstimateLineManifests, BooksSalesOrders, BooksSalesOrderLineItems,
    BooksSalesOrderLineManifests, BooksPurchaseOrders, BooksPurchaseOrderLineItems,
    BooksPurchaseOrderLineManifests, BooksBills, BooksBillLineItems, BooksBillLineManifests,
    BooksCreditNotes, BooksCreditNoteLineItems, BooksCreditNoteLineManifests,
    BooksCustomerPayments, BooksVendorPayments, BooksExpenses, BooksJournals, BooksChartOfAccounts,
    BooksTaxes, BooksUsers,
)  # fmt: skip
