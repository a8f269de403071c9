"""What `tsh-erp reconcile` compares, and why the rest is listed without a Zoho figure.

Zoho documents a cheap aggregate for few lists: the Books invoice list's
`response_option` (the number of invoices and the sums of `total` and `balance`, OAS of
`GET /invoices`) and CRM's `GET /crm/v8/{module}/actions/count`. Every other ERP table
is listed with its own count and the verdict "no documented aggregate": counting it in
Zoho would mean listing it (a full refresh's calls), which is what this command avoids.
Whether `response_option` also works on other Books lists of a given organization is a
question for `tap-zoho doctor`, not a guess made here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOOKS_INVOICES",
    "CRM_MODULES",
    "EXIT_DRIFT",
    "UNAGGREGATED",
    "CrmSubject",
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
NO_AGGREGATE = "no documented aggregate"
EXIT_DRIFT = 3
"""`tsh-erp reconcile --fail-on-drift`: drift found (1 stays "the command failed", 2 "schema
too new"). Here, not in `command`, so that the CLI names it without loading the client."""
