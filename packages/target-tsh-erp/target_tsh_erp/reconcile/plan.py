"""What `tsh-erp reconcile` compares, and why the rest is listed without a Zoho figure.

Zoho documents a cheap aggregate for few lists: the Books invoice list's
`response_option` (the number of invoices and the sums of `total` and `balance`, OAS of
`GET /invoices`) and CRM's `GET /crm/v8/{module}/actions/count`. Every other ERP table
is listed with its own count and the verdict "no documented aggregate": counting it in
Zoho would mean listing it (a full refresh's calls), which is what this command avoids.
Whether `response_option` also works on other Books lists of a given organization is a
question for `tap-zoho doctor` (register entry `list.aggregate-other-lists`): where its
findings say Zoho gave the count there, that list's count is compared (`others`), never
assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOOKS_INVOICES",
    "CRM_MODULES",
    "EXIT_DRIFT",
    "OTHER_LISTS",
    "UNAGGREGATED",
    "CrmSubject",
    "OtherList",
    "Unaggregated",
]

BOOKS_INVOICES = "invoices"
"""The ERP table fed by the Books invoice list (Inventory's invoices share its ids)."""
INVOICE_SUMS = (("total", "sum_total"), ("balance", "sum_balance"))
"""ERP column -> the `page_context` key of Zoho's sum of that field."""


@dataclass(frozen=True, slots=True)
class CrmSubject:
    """A CRM module Zoho counts (`/actions/count`) and the ERP table it maps to."""

    module: str
    table: str


CRM_MODULES = (
    CrmSubject("Accounts", "crm_accounts"),
    CrmSubject("Contacts", "crm_contacts"),
    CrmSubject("Deals", "opportunities"),
)


@dataclass(frozen=True, slots=True)
class Unaggregated:
    """An ERP table of a Books/Inventory organization with no documented Zoho aggregate."""

    table: str
    zoho_list: str


UNAGGREGATED = (
    Unaggregated("customers", "GET /contacts"),
    Unaggregated("vendors", "GET /contacts"),
    Unaggregated("products", "GET /items"),
    Unaggregated("sales_orders", "GET /salesorders"),
    Unaggregated("purchase_orders", "GET /purchaseorders"),
    Unaggregated("payments", "GET /customerpayments"),
)


@dataclass(frozen=True, slots=True)
class OtherList:
    """A Books list without a documented aggregate and the ERP tables it feeds.

    `entity` is the tap's (`tap_zoho.api.entities`) and the doctor's finding subject.
    Contacts feed two tables (by `contact_type`): Zoho's count is of both together.
    """

    entity: str
    tables: tuple[str, ...]

    @property
    def label(self) -> str:
        """The line's entity: the ERP table(s) compared with this list's count."""
        return "+".join(self.tables)


OTHER_LISTS = (
    OtherList("contacts", ("customers", "vendors")),
    OtherList("items", ("products",)),
    OtherList("salesorders", ("sales_orders",)),
    OtherList("purchaseorders", ("purchase_orders",)),
    OtherList("customerpayments", ("payments",)),
)
"""Every `UNAGGREGATED` table by the Books list that feeds it; the doctor checks these."""
OTHER_AGGREGATE = "list.aggregate-other-lists"
"""The register entry whose finding (other answer: the count came back) enables a list."""
NO_AGGREGATE = "no documented aggregate"
EXIT_DRIFT = 3
"""`tsh-erp reconcile --fail-on-drift`: drift found (1 stays "the command failed", 2 "schema
too new"). Here, not in `command`, so that the CLI names it without loading the client."""
