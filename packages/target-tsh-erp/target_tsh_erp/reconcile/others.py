"""Books lists without a documented aggregate: compared only where the doctor saw a count.

Zoho documents `response_option` on the invoice list alone. `tap-zoho doctor` asks each
other list reconcile maps once (register entry `list.aggregate-other-lists`); its finding
is per organization and list, and only "the count came back" (the other answer) makes
this module spend a call there. Everywhere else the line stays "no documented aggregate".

The last sync, as for invoices: for a list that takes `last_modified_time` (sales and
purchase orders), the records changed at or after the ERP's bookmark are listed (one
page of ids, usually one call) and left out of both sides. Contacts take no such filter
but sort by it: listed newest first until the first record older than the bookmark
(usually one page), trusted only when the answer echoes that sort (`list.sort-echo`).
A list that does neither (items, customer payments) cannot set them apart: a record
created since the last sync would look like drift, so both counts are shown and not
judged ("information, not judged"). A deletion in Zoho still live in the ERP is drift
on the lists that are judged, as for invoices.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tap_zoho.api.entities import ENTITIES
from tap_zoho.api.errors import ZohoAPIError
from target_tsh_erp.reconcile.erp import live_figures, newest_change
from target_tsh_erp.reconcile.plan import NO_AGGREGATE, OTHER_AGGREGATE, OTHER_LISTS
from target_tsh_erp.reconcile.report import (
    INFORMATION,
    NOT_COMPARED,
    NOT_IN_ANSWER,
    REFUSED,
    Line,
    compared,
    when,
)
from target_tsh_erp.reconcile.zoho import MAX_CHANGED_PAGES, PER_PAGE, Changed

if TYPE_CHECKING:
    from datetime import datetime

    import psycopg

    from tap_zoho.assumptions.findings import Findings
    from target_tsh_erp.reconcile.plan import OtherList
    from target_tsh_erp.reconcile.report import ReconcileReport
    from target_tsh_erp.reconcile.zoho import Organization, ZohoAggregates
    from target_tsh_erp.settings import WriterSettings

__all__ = ["other_lists"]


def _doctor_says(findings: Findings | None, scope: str, entity: str) -> str:
    """Why a list is not counted: what the doctor saw there, or that it has not looked."""
    finding = None if findings is None else findings.observed(OTHER_AGGREGATE, scope, entity)
    if finding is None:
        return "not checked by tap-zoho doctor here"
    if finding.holds is None:
        return "tap-zoho doctor could not tell here"
    return "tap-zoho doctor found response_option ignored here"


def other_lists(  # noqa: PLR0913 - the organization's context
    connection: psycopg.Connection[Any],
    settings: WriterSettings,
    zoho: ZohoAggregates,
    organization: Organization,
    report: ReconcileReport,
    *,
    findings: Findings | None,
) -> None:
    """One line per list the doctor found counted, else one per ERP table as before."""
    org = organization.organization_id
    scope = f"books:{org}"
    for other in OTHER_LISTS:
        path = ENTITIES["books"][other.entity].path
        if findings is None or not findings.known_other(OTHER_AGGREGATE, scope, other.entity):
            why = _doctor_says(findings, scope, other.entity)
            for table in other.tables:
                erp = live_figures(connection, settings.erp_schema, table, org)
                report.lines.append(Line(org, table, "count", None, Decimal(erp.count),
                                         NO_AGGREGATE, f"GET {path} documents no count; "
                                         f"{why}"))  # fmt: skip
            continue
        try:
            _counted(connection, settings, zoho, organization, report, other=other)
        except ZohoAPIError as error:
            refused = f"GET {path}: code {error.code}: {error.zoho_message}"
            report.lines.append(Line(org, other.label, "count", None, None, REFUSED, refused))


def _counted(  # noqa: PLR0913 - the organization's context
    connection: psycopg.Connection[Any],
    settings: WriterSettings,
    zoho: ZohoAggregates,
    organization: Organization,
    report: ReconcileReport,
    *,
    other: OtherList,
) -> None:
    """Zoho's count of one list against the ERP's live rows of its table(s)."""
    org = organization.organization_id
    route = ENTITIES["books"][other.entity]
    schema = settings.erp_schema
    judged = route.modified_filter or route.sort_modified
    since = _newest(connection, schema, other.tables, org) if judged else None
    figures = zoho.list_count(org, other.entity)  # before the changed ones, as for invoices
    source = f"GET {route.path}?response_option=2 (as tap-zoho doctor found)"
    if figures.count is None:
        erp = sum(live_figures(connection, schema, table, org).count for table in other.tables)
        report.lines.append(Line(org, other.label, "count", None, Decimal(erp), NOT_IN_ANSWER,
                                 f"{source}: page_context keys: {figures.keys}"))  # fmt: skip
        return
    changed: Changed | None = Changed()
    if since is not None and route.modified_filter:
        changed = zoho.changed(organization, other.entity, since)
    elif since is not None:
        changed = zoho.changed_newest_first(organization, other.entity, since)
    if changed is None:
        erp = sum(live_figures(connection, schema, table, org).count for table in other.tables)
        report.lines.append(Line(
            org, other.label, "count", Decimal(figures.count), Decimal(erp), INFORMATION,
            f"{source}; GET {route.path} did not echo sort_column=last_modified_time "
            "sort_order=D: records changed since the last sync cannot be set apart",
        ))  # fmt: skip
        return
    if not changed.complete:
        report.lines.append(Line(
            org, other.label, "count", None, None, NOT_COMPARED,
            f"over {MAX_CHANGED_PAGES * PER_PAGE} changed after {when(since)}: "
            "the ERP is far behind; sync first",
        ))  # fmt: skip
        return
    erp = sum(
        live_figures(connection, schema, table, org, excluding=changed.ids).count
        for table in other.tables
    )
    if not judged:
        report.lines.append(Line(
            org, other.label, "count", Decimal(figures.count), Decimal(erp), INFORMATION,
            f"{source}; GET {route.path} neither filters nor sorts by last_modified_time: "
            "records changed since the last sync cannot be set apart",
        ))  # fmt: skip
        return
    note = f"{source}; {len(changed.ids)} changed after {when(since)} set apart"
    report.lines.append(compared(org, other.label, "count",
                                 Decimal(figures.count - len(changed.ids)), Decimal(erp),
                                 note=note))  # fmt: skip


def _newest(
    connection: psycopg.Connection[Any], schema: str, tables: tuple[str, ...], org: str
) -> datetime | None:
    moments = [m for t in tables if (m := newest_change(connection, schema, t, org)) is not None]
    return max(moments, default=None)
