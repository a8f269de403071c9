"""The Zoho side of a reconciliation: a few aggregate calls per organization.

Books invoices (`GET /books/v3/invoices`, `filter_by=Status.All` as the tap lists them):
- `response_option=3`: the number of invoices and the sums of `total` and `balance`,
  without the invoices (one call whatever the organization's size);
- `response_option=1` with `last_modified_time` = the ERP's bookmark: the invoices
  changed since then, with their figures (one page of 200 per call; usually one call).
  Their ids are left out of both sides, so a change not yet synced is never drift.

Zoho's OAS documents `response_option` but not the keys of the figures in the answer.
They are read from `page_context.total` (the number) and `page_context.sum_total` /
`sum_balance` (UNCONFIRMED names, served so by the emulator). An answer without them is
reported as such ("not in Zoho's answer", with the keys it did carry), never guessed.
A one-page listing is checked against itself: its count must equal its rows.

Other Books lists (only where `tap-zoho doctor` found Zoho honouring it there, register
entry `list.aggregate-other-lists`): `response_option=2` (the count only, read from
`page_context.total` as on invoices), and for the lists that take `last_modified_time`
one plain listing of the rows changed since the ERP's bookmark (ids only; no parameter
the doctor has not seen work); contacts, which sort by it instead, are listed newest
first up to the bookmark, the sort's echo checked on every page.

CRM: `GET /crm/v8/{module}/actions/count?criteria=(Created_Time:less_equal:<bookmark>)`:
the records that existed by the ERP's bookmark and still exist. One credit per module,
plus `GET /crm/v8/org` once for the CRM organization's id.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tap_zoho.api.entities import ENTITIES
from target_tsh_erp.reconcile.plan import INVOICE_SUMS

if TYPE_CHECKING:
    from tap_zoho.api.client import UnifiedZohoClient
    from tap_zoho.api.entities import EntityRoute

__all__ = ["Changed", "Organization", "ZohoAggregates", "ZohoFigures"]

LABEL = "reconcile"
"""The label of every call in the client's ledger (and the tap's API events)."""
BOOKS_ALL = "Status.All"
LAST_MODIFIED = "last_modified_time"
PER_PAGE = 200
MAX_CHANGED_PAGES = 5
"""At most 1,000 changed invoices are set apart; more means the ERP is far behind (a
sync failing for hours): the invoices are then reported as not compared, not as drift."""
WIDEST_OFFSET = timedelta(hours=14)
"""When an organization's zone is unknown, the bound moves this far back: Zoho may read
`last_modified_time` as the organization's wall time (docs/assumptions.md), and an
earlier bound only sets more invoices apart, never fewer."""


@dataclass(frozen=True, slots=True)
class Organization:
    """A Books organization and its time zone (as `/organizations` gives them)."""

    organization_id: str
    time_zone: str


@dataclass(slots=True)
class ZohoFigures:
    """What one aggregate answer said: a count and sums, each None when absent."""

    count: int | None
    sums: dict[str, Decimal | None]
    keys: list[str]
    """The `page_context` keys seen, named when a figure is missing."""


@dataclass(slots=True)
class Changed:
    """Invoices Zoho changed since the ERP's bookmark."""

    ids: list[str] = field(default_factory=list)
    figures: ZohoFigures | None = None
    complete: bool = True
    """False: more than `MAX_CHANGED_PAGES` pages changed; not set apart."""
    row_sums: dict[str, Decimal] = field(default_factory=dict)


def _decimal(value: Any) -> Decimal | None:  # noqa: ANN401 - any JSON value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _moment(value: Any) -> datetime | None:  # noqa: ANN401 - any JSON value
    """A Zoho `last_modified_time` (`2026-06-17T15:03:36+0530`) as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _figures(body: dict[str, Any]) -> ZohoFigures:
    context = body.get("page_context")
    context = context if isinstance(context, dict) else {}
    count = context.get("total")
    return ZohoFigures(
        count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        sums={column: _decimal(context.get(key)) for column, key in INVOICE_SUMS},
        keys=sorted(context),
    )


def books_bound(moment: datetime, time_zone: str) -> str:
    """`last_modified_time` for a bookmark: in the organization's own offset.

    Then Zoho reads the same instant whether it honours the offset or reads the wall
    time in the organization's zone; with an unknown zone, 14 hours earlier in UTC.
    """
    try:
        local = moment.astimezone(ZoneInfo(time_zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = (moment - WIDEST_OFFSET).astimezone(UTC)
    return local.strftime("%Y-%m-%dT%H:%M:%S%z")


class ZohoAggregates:
    """Zoho's figures through the tap's client, counting the calls per organization."""

    def __init__(self, client: UnifiedZohoClient, product: str = "books") -> None:
        """Use `client` (auth, pacing, retries, errors: the tap's) for `product`'s lists."""
        self.client = client
        self.product = product
        self.calls: Counter[str] = Counter()

    def _books(self, organization_id: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls[organization_id] += 1
        return self.client.get_json(
            self.product, path, organization_id=organization_id, params=params, label=LABEL
        )

    def organizations(self) -> list[Organization]:
        """The token's organizations (`GET /organizations`: counts against no org's quota)."""
        self.calls["-"] += 1
        found = self.client.organizations(self.product, label=LABEL)
        return [
            Organization(str(org["organization_id"]), str(org.get("time_zone") or "UTC"))
            for org in found
            if org.get("organization_id")
        ]

    def invoice_totals(self, organization_id: str) -> ZohoFigures:
        """Every invoice's count and sums, without the invoices (`response_option=3`)."""
        body = self._books(
            organization_id, "/invoices", {"filter_by": BOOKS_ALL, "response_option": 3}
        )
        return _figures(body)

    def invoices_changed(self, organization: Organization, since: datetime) -> Changed:
        """Invoices modified at or after `since` (`response_option=1`), page by page."""
        params = {"filter_by": BOOKS_ALL, "response_option": 1}
        route = ENTITIES["books"]["invoices"]
        return self._changed(organization, route, since, params, summed=True)

    def list_count(self, organization_id: str, entity: str) -> ZohoFigures:
        """The number of a Books list's records (`response_option=2`), where honoured."""
        route = ENTITIES["books"][entity]
        params: dict[str, Any] = {"response_option": 2}
        if route.all_filter:
            params["filter_by"] = route.all_filter
        return _figures(self._books(organization_id, route.path, params))

    def changed(self, organization: Organization, entity: str, since: datetime) -> Changed:
        """A Books list's records modified at or after `since` (their ids), page by page."""
        route = ENTITIES["books"][entity]
        params = {"filter_by": route.all_filter} if route.all_filter else {}
        return self._changed(organization, route, since, params, summed=False)

    def changed_newest_first(
        self, organization: Organization, entity: str, since: datetime
    ) -> Changed | None:
        """A sorted list's records modified at or after `since`: newest first, page by page.

        For lists without `last_modified_time` but with `sort_column=last_modified_time`
        (contacts). None when an answer does not echo that sort in its `page_context`
        (register entry `list.sort-echo`): the order cannot be trusted to end the listing.
        A row without a readable time is set apart (never judged on a guess).
        """
        route = ENTITIES["books"][entity]
        params: dict[str, Any] = {
            "sort_column": LAST_MODIFIED, "sort_order": "D", "per_page": PER_PAGE,
        }  # fmt: skip
        if route.all_filter:
            params["filter_by"] = route.all_filter
        changed = Changed()
        for page in range(1, MAX_CHANGED_PAGES + 1):
            body = self._books(organization.organization_id, route.path, {**params, "page": page})
            context = body.get("page_context")
            context = context if isinstance(context, dict) else {}
            if (context.get("sort_column"), context.get("sort_order")) != (LAST_MODIFIED, "D"):
                return None
            rows = body.get(route.list_key)
            for row in rows if isinstance(rows, list) else []:
                if not isinstance(row, dict) or row.get(route.id_field) is None:
                    continue
                moment = _moment(row.get(LAST_MODIFIED))
                if moment is not None and moment < since:
                    return changed  # newest first: every later row is older still
                changed.ids.append(str(row[route.id_field]))
            if context.get("has_more_page") is not True:
                return changed
        changed.complete = False
        return changed

    def _changed(
        self,
        organization: Organization,
        route: EntityRoute,
        since: datetime,
        params: dict[str, Any],
        *,
        summed: bool,
    ) -> Changed:
        changed = Changed(row_sums={column: Decimal(0) for column, _ in INVOICE_SUMS})
        params = {
            **params, "per_page": PER_PAGE,
            "last_modified_time": books_bound(since, organization.time_zone),
        }  # fmt: skip
        for page in range(1, MAX_CHANGED_PAGES + 1):
            body = self._books(organization.organization_id, route.path, {**params, "page": page})
            if changed.figures is None and summed:
                changed.figures = _figures(body)
            rows = body.get(route.list_key)
            for row in rows if isinstance(rows, list) else []:
                if isinstance(row, dict) and row.get(route.id_field) is not None:
                    changed.ids.append(str(row[route.id_field]))
                    for column, _ in INVOICE_SUMS if summed else ():
                        changed.row_sums[column] += _decimal(row.get(column)) or Decimal(0)
            context = body.get("page_context")
            if not (isinstance(context, dict) and context.get("has_more_page") is True):
                return changed
        changed.complete = False
        return changed

    def crm_organization(self) -> str:
        """The CRM organization's id (`GET /crm/v8/org`): the ERP's CRM rows carry it."""
        body = self.client.request_json("crm", "/org", label=LABEL)
        orgs = body.get("org")
        if isinstance(orgs, list) and orgs and isinstance(orgs[0], dict) and orgs[0].get("id"):
            crm_org = str(orgs[0]["id"])
            self.calls[crm_org] += 1
            return crm_org
        self.calls["crm"] += 1
        msg = "GET /crm/v8/org gave no organization (scope ZohoCRM.org.READ?)"
        raise ValueError(msg)

    def crm_count(self, crm_org: str, module: str, created_until: datetime | None) -> int | None:
        """Records of `module` created by `created_until` that still exist (None: no count)."""
        params: dict[str, Any] = {}
        if created_until is not None:
            bound = created_until.astimezone(UTC).isoformat(timespec="seconds")
            params["criteria"] = f"(Created_Time:less_equal:{bound})"
        self.calls[crm_org] += 1
        body = self.client.request_json(
            "crm", f"/{module}/actions/count", params=params, label=LABEL, quota_key=crm_org
        )
        count = body.get("count")
        if isinstance(count, bool):
            return None
        if isinstance(count, int):
            return count
        if isinstance(count, str) and count.isdigit():
            return int(count)  # the v8 OAS types it as a string
        return None
