"""What "the scale-out works" means, checked against the emulator's ground truth.

Shared by the orchestration tests (plain `meltano run` jobs and the Dagster jobs) and the
benchmark, so all three hold the runs to the same rules: the ERP holds exactly Zoho's
documents of every organization, each job's state holds only its organization, and the
second round reads only what changed. Each check returns the differences it found (an
empty list when all is well), so a failure names the organization, the table and the ids.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import psycopg

# (emulator entity, id field, ERP table): documents whose ids the ERP must hold exactly.
DOCUMENTS = (
    ("invoices", "invoice_id", "invoices"),
    ("salesorders", "salesorder_id", "sales_orders"),
    ("customerpayments", "payment_id", "payments"),
    ("items", "item_id", "products"),
)
INVOICE_FIELDS = (
    ("total", lambda value: Decimal(str(value))),
    ("balance", lambda value: Decimal(str(value))),
    ("status", str),
)
"""Invoice columns compared with Zoho's values, each with how the ERP stores it."""
SELECTED_STREAMS = (
    "books_contacts.*",
    "books_items.*",
    "books_invoices.*",
    "books_invoice_line_items.*",
    "books_invoice_line_manifests.*",
    "books_sales_orders.*",
    "books_sales_order_line_items.*",
    "books_sales_order_line_manifests.*",
    "books_customer_payments.*",
)
"""The Books streams behind DOCUMENTS (and the contacts they point at): small runs that
still exercise headers, details and line items. Each line stream comes with its line
manifest, as a production selection should: without it a document emptied of its lines
in Zoho keeps them in the ERP (the manifest shares the detail request: no extra call)."""


class EmulatorControl(Protocol):
    """The emulator's control API (`scripts.emulator_process.EmulatorProcess` has it)."""

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:  # noqa: ANN401 - JSON
        """Call `/__emulator/<path>` and decode the JSON answer."""


def ground_truth(emulator: EmulatorControl, organization: str, entity: str) -> list[dict[str, Any]]:
    """Zoho's current records of one Books entity, as the emulator holds them."""
    body = emulator.control("GET", f"finance/{organization}/{entity}/records?product=books")
    records: list[dict[str, Any]] = body["records"]
    return records


def erp_rows(
    erp: psycopg.Connection[Any], erp_schema: str, table: str, organization: str
) -> dict[str, dict[str, Any]]:
    """Live, non-placeholder ERP rows of one organization, by Zoho id."""
    cursor = erp.execute(
        f"SELECT * FROM {erp_schema}.{table} WHERE organization_id = %s"  # noqa: S608 - fixed names
        " AND deleted_at IS NULL AND NOT is_placeholder",
        (organization,),
    )
    names = [column.name for column in cursor.description or ()]
    return {row[names.index("zoho_id")]: dict(zip(names, row, strict=True)) for row in cursor}


def erp_differences(
    emulator: EmulatorControl,
    erp: psycopg.Connection[Any],
    organizations: Iterable[str],
    *,
    erp_schema: str = "erp",
) -> list[str]:
    """Where the ERP differs from Zoho: missing or extra ids, invoice amounts and statuses."""
    differences: list[str] = []
    for organization in organizations:
        for entity, id_field, table in DOCUMENTS:
            truth = {record[id_field] for record in ground_truth(emulator, organization, entity)}
            rows = set(erp_rows(erp, erp_schema, table, organization))
            if rows != truth:
                differences.append(
                    f"{table} of {organization}: missing {sorted(truth - rows)[:5]}"
                    f" ({len(truth - rows)}), extra {sorted(rows - truth)[:5]}"
                    f" ({len(rows - truth)})"
                )
        invoices = {r["invoice_id"]: r for r in ground_truth(emulator, organization, "invoices")}
        for zoho_id, row in erp_rows(erp, erp_schema, "invoices", organization).items():
            zoho = invoices.get(zoho_id)
            if zoho is None:
                continue
            differences.extend(
                f"invoice {zoho_id} of {organization}: {column} {row[column]!r} in the ERP,"
                f" {zoho[column]!r} in Zoho"
                for column, as_stored in INVOICE_FIELDS
                if row[column] != as_stored(zoho[column])
            )
    return differences


def foreign_organizations(
    state: Mapping[str, Any], organization: str, organizations: Iterable[str]
) -> list[str]:
    """The other organizations a job's state mentions (none, if bookmarks do not mix)."""
    text = json.dumps(state)
    return [other for other in organizations if other != organization and other in text]


def requests_of(requests_by_org: Mapping[str, int], organization: str) -> int:
    """API requests counted against one organization (keys are `<product>:<org>`)."""
    return sum(
        count for key, count in requests_by_org.items() if key.rsplit(":", 1)[-1] == organization
    )
