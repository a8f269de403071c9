"""One reconciliation: per organization, Zoho's aggregates against the ERP's live rows.

The ERP's bookmark per organization and table (the newest Zoho modification time it
holds, `erp.newest_change`) decides what is too recent to judge:
- Books invoices: Zoho lists the invoices changed at or after it (`response_option=1`);
  their ids are left out of Zoho's figures (subtracted) and of the ERP's (excluded), so
  a change the sync has not brought yet is never drift, and the line says how many
  were set apart;
- CRM: Zoho counts only the records created by it (`criteria` on `Created_Time`), so a
  record created since the last sync is not drift.
A deletion is not a change Zoho can count: a record deleted in Zoho and still live in
the ERP is drift until the job that sees deletions runs (CRM: `crm-deletions`, hourly;
Books: the weekly full refresh, or the webhook service).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tap_zoho.api.errors import ZohoAPIError
from target_tsh_erp.reconcile.erp import live_figures, newest_change
from target_tsh_erp.reconcile.others import other_lists
from target_tsh_erp.reconcile.plan import (
    BOOKS_INVOICES,
    CRM_MODULES,
    INVOICE_SUMS,
    NO_AGGREGATE,
    UNAGGREGATED,
)
from target_tsh_erp.reconcile.report import (
    NOT_COMPARED,
    NOT_IN_ANSWER,
    REFUSED,
    UNVERIFIED,
    Line,
    ReconcileReport,
    compared,
    when,
)
from target_tsh_erp.reconcile.zoho import MAX_CHANGED_PAGES, PER_PAGE, Changed, Organization

if TYPE_CHECKING:
    from collections.abc import Sequence

    import psycopg

    from tap_zoho.assumptions.findings import Findings
    from target_tsh_erp.reconcile.zoho import ZohoAggregates, ZohoFigures
    from target_tsh_erp.settings import WriterSettings

__all__ = ["NOT_IN_ANSWER", "reconcile"]


def reconcile(  # noqa: PLR0913 - the run's independent inputs
    connection: psycopg.Connection[Any],
    settings: WriterSettings,
    zoho: ZohoAggregates,
    *,
    products: Sequence[str],
    organization_ids: Sequence[str] | None = None,
    now: datetime | None = None,
    findings: Findings | None = None,
) -> ReconcileReport:
    """Compare every organization's aggregates; nothing is written (see `publish_report`).

    `findings` (the doctor's): the Books lists without a documented aggregate whose count
    the doctor saw Zoho give in an organization are compared there too.

    Raises:
        ZohoError: a failure that is not one list's (no token, the organizations listing).
    """
    report = ReconcileReport(started_at=now or datetime.now(UTC))
    if {"books", "inventory"} & set(products):
        organizations = zoho.organizations()
        if organization_ids:
            wanted = set(organization_ids)
            report.errors.extend(
                f"organization {org} is not one of the token's organizations"
                for org in sorted(wanted - {o.organization_id for o in organizations})
            )
            organizations = [o for o in organizations if o.organization_id in wanted]
        for organization in organizations:
            _books(connection, settings, zoho, organization, report,
                   books="books" in products, findings=findings)  # fmt: skip
    if "crm" in products:
        try:
            _crm(connection, settings, zoho, report)
        except ZohoAPIError as error:  # e.g. no CRM scope: the Books lines still count
            report.errors.append(f"CRM: {error}")
    report.calls = dict(sorted(zoho.calls.items()))
    report.finished_at = datetime.now(UTC)
    return report


def _books(  # noqa: PLR0913 - the organization's context
    connection: psycopg.Connection[Any],
    settings: WriterSettings,
    zoho: ZohoAggregates,
    organization: Organization,
    report: ReconcileReport,
    *,
    books: bool,
    findings: Findings | None,
) -> None:
    org = organization.organization_id
    if books:
        try:
            _invoices(connection, settings, zoho, organization, report)
        except ZohoAPIError as error:
            report.lines.append(Line(org, BOOKS_INVOICES, "count", None, None, REFUSED,
                                     f"code {error.code}: {error.zoho_message}"))  # fmt: skip
    else:
        erp = live_figures(connection, settings.erp_schema, BOOKS_INVOICES, org)
        report.lines.append(
            Line(org, BOOKS_INVOICES, "count", None, Decimal(erp.count), NO_AGGREGATE,
                 "Inventory's invoice list documents none")
        )  # fmt: skip
    if books:
        other_lists(connection, settings, zoho, organization, report, findings=findings)
        return
    for table in UNAGGREGATED:
        erp = live_figures(connection, settings.erp_schema, table.table, org)
        report.lines.append(
            Line(org, table.table, "count", None, Decimal(erp.count), NO_AGGREGATE,
                 f"{table.zoho_list} documents no count")
        )  # fmt: skip


def _invoices(
    connection: psycopg.Connection[Any],
    settings: WriterSettings,
    zoho: ZohoAggregates,
    organization: Organization,
    report: ReconcileReport,
) -> None:
    """Count and sums of the invoices, the ones changed since the bookmark set apart.

    All invoices first, then the changed ones: an invoice edited between the two calls is
    then in both (set apart); in the other order its new total would be compared.
    """
    org = organization.organization_id
    since = newest_change(connection, settings.erp_schema, BOOKS_INVOICES, org)
    totals = zoho.invoice_totals(org)
    changed = Changed() if since is None else zoho.invoices_changed(organization, since)
    if not changed.complete:
        report.lines.append(Line(
            org, BOOKS_INVOICES, "count", None, None, NOT_COMPARED,
            f"over {MAX_CHANGED_PAGES * PER_PAGE} invoices changed after {when(since)}: "
            "the ERP is far behind; sync first",
        ))  # fmt: skip
        return
    sums = [column for column, _ in INVOICE_SUMS]
    erp = live_figures(
        connection, settings.erp_schema, BOOKS_INVOICES, org, excluding=changed.ids, sums=sums
    )
    note = f"{len(changed.ids)} changed after {when(since)} set apart"
    doubt = _doubt(changed.figures, changed)
    if totals.count is None:
        report.lines.append(Line(org, BOOKS_INVOICES, "count", None, Decimal(erp.count),
                                 NOT_IN_ANSWER, f"page_context keys: {totals.keys}"))  # fmt: skip
    else:
        line = compared(org, BOOKS_INVOICES, "count", Decimal(totals.count - len(changed.ids)),
                        Decimal(erp.count), note=doubt or note)  # fmt: skip
        report.lines.append(_unverified(line) if doubt else line)
    for column, _ in INVOICE_SUMS:
        zoho_sum = totals.sums.get(column)
        if zoho_sum is None:
            report.lines.append(Line(org, BOOKS_INVOICES, f"sum of {column}", None,
                                     erp.sums[column], NOT_IN_ANSWER,
                                     f"page_context keys: {totals.keys}"))  # fmt: skip
            continue
        line = compared(org, BOOKS_INVOICES, f"sum of {column}",
                        zoho_sum - changed.row_sums.get(column, Decimal(0)), erp.sums[column],
                        note=doubt or note)  # fmt: skip
        report.lines.append(_unverified(line) if doubt else line)


def _doubt(figures: ZohoFigures | None, changed: Changed) -> str:
    """Why Zoho's figures cannot be trusted, or "": a one-page listing must count its rows.

    This checks, on every run and on the very answer, that `page_context.total` means
    what this command reads it as (Zoho does not document the key).
    """
    if figures is None or figures.count is None or len(changed.ids) >= PER_PAGE:
        return ""
    if figures.count != len(changed.ids):
        return (
            f"Zoho counted {figures.count} changed invoices but listed {len(changed.ids)}: "
            "its count is not read as documented"
        )
    return ""


def _unverified(line: Line) -> Line:
    line.verdict = UNVERIFIED
    return line


def _crm(
    connection: psycopg.Connection[Any],
    settings: WriterSettings,
    zoho: ZohoAggregates,
    report: ReconcileReport,
) -> None:
    crm_org = zoho.crm_organization()
    for subject in CRM_MODULES:
        since = newest_change(connection, settings.erp_schema, subject.table, crm_org)
        erp = live_figures(connection, settings.erp_schema, subject.table, crm_org)
        try:
            count = zoho.crm_count(crm_org, subject.module, since)
        except ZohoAPIError as error:
            report.lines.append(Line(crm_org, subject.table, "count", None, Decimal(erp.count),
                                     REFUSED, f"{subject.module}: code {error.code}: "
                                     f"{error.zoho_message}"))  # fmt: skip
            continue
        if count is None:
            report.lines.append(Line(crm_org, subject.table, "count", None, Decimal(erp.count),
                                     NOT_IN_ANSWER, f"{subject.module}: no count"))  # fmt: skip
            continue
        note = f"{subject.module}; created after {when(since)} not counted"
        report.lines.append(
            compared(crm_org, subject.table, "count", Decimal(count), Decimal(erp.count), note=note)
        )
