"""Books/Inventory checks of the register on one live organization (about 20 calls each).

Each check asks Zoho the question the tap's fast path relies on, in the smallest number
of calls that can tell the two answers apart, and records a `Finding`. List samples are
shared between checks: the page fetched to test `page_context` also tests the
all-records filter, the rows' modification times, date ranges and undeclared fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tap_zoho.api.entities import ENTITIES
from tap_zoho.api.errors import ZohoAPIError, ZohoNotFoundError
from tap_zoho.normalize import utc_datetime
from tap_zoho.schemas import load_schema
from tap_zoho.timefmt import OutOfRangeError, utc_instant, zoho_timestamp

if TYPE_CHECKING:
    from datetime import datetime, tzinfo

    from tap_zoho.api.entities import EntityRoute
    from tap_zoho.doctor.probe import Probe

LAST_MODIFIED = "last_modified_time"
SAMPLE_SIZE = 200
FILTER_BY_REFUSED = 2
"""Zoho's code for 'Invalid value passed for filter_by' (and other bad parameters)."""
PAGE_CONTEXT_DOUBTFUL = frozenset(
    {"chartofaccounts", "salesorders", "purchaseorders", "journals", "vendorpayments"}
)
"""Lists whose OAS answer has no `page_context` (register entry list.page-context)."""
AGGREGATE_KEYS = ("total", "sum_total", "sum_balance")
"""Where `tsh-erp reconcile` reads `response_option=3`'s figures in `page_context`."""
OTHER_AGGREGATE_LISTS = ("contacts", "items", "salesorders", "purchaseorders", "customerpayments")
"""Books lists `tsh-erp reconcile` maps besides invoices, whose OAS has no
`response_option` (register entry list.aggregate-other-lists): one call each."""
COUNT_ONLY = 2
"""`response_option=2`: the count and no rows, the cheapest answer that tells."""
CUSTOM_FIELD_PREFIX = "cf_"
"""Custom fields are typed from each organization's definitions at discovery."""
NOT_SCHEMA_KEYS = frozenset({"organization_id", "zoho_extra", "zoho_unparsed"})


@dataclass
class ListSample:
    """The first page of one list, as the tap would ask for it."""

    entity: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    page_context: Any = None
    error: ZohoAPIError | None = None


@dataclass
class FinanceDoctor:
    """The checks for one product and organization."""

    probe: Probe
    product: str
    organization_id: str
    zone: tzinfo | None
    """The organization's time zone (None if Zoho names one Python does not know)."""
    stream_names: dict[str, str]
    """Entity -> the tap's stream name, for the schema comparison."""
    header_entities: tuple[str, ...]
    """Entities whose details the tap fetches (line items, persons, packages)."""
    samples: dict[str, ListSample] = field(default_factory=dict)
    refused_filter: set[str] = field(default_factory=set)
    """Entities whose all-records filter Zoho refused (later samples go without it)."""

    @property
    def scope(self) -> str:
        """`<product>:<organization>` as the findings file names it."""
        return f"{self.product}:{self.organization_id}"

    def route(self, entity: str) -> EntityRoute:
        """The tap's route of an entity in this product."""
        return ENTITIES[self.product][entity]

    def run(self) -> None:
        """Every check, in an order that lets later checks reuse earlier samples."""
        for entity, route in ENTITIES[self.product].items():
            if route.sort_modified:
                self.check_sort(entity)
        for entity, route in ENTITIES[self.product].items():
            if route.modified_filter:
                self.check_modified_filter(entity)
        filtered = {e for e, r in ENTITIES[self.product].items() if r.all_filter}
        for entity in sorted(
            PAGE_CONTEXT_DOUBTFUL | set(self.header_entities) | (filtered & set(self.stream_names))
        ):
            if entity in ENTITIES[self.product] and entity not in self.samples:
                self.sample(entity)
        self.check_zone()
        for entity in self.header_entities:
            self.check_detail_key(entity)
        if self.product == "inventory":
            self.check_warehouses()
        if self.product == "books":
            self.check_aggregates()
            self.check_other_aggregates()
        self.check_page_context()
        self.check_rows()

    # -- samples ------------------------------------------------------------------------

    def sample(self, entity: str, extra: dict[str, Any] | None = None) -> ListSample:
        """Page 1 of a list with the tap's parameters; a refused filter_by is retried."""
        route = self.route(entity)
        params: dict[str, Any] = {"page": 1, "per_page": SAMPLE_SIZE} if route.paginated else {}
        first = entity not in self.samples
        if route.all_filter and entity not in self.refused_filter:
            params["filter_by"] = route.all_filter
        params |= extra or {}
        sample = ListSample(entity)
        try:
            body = self._list(route, params)
        except ZohoAPIError as error:
            if "filter_by" in params and error.code == FILTER_BY_REFUSED:
                self.refused_filter.add(entity)
                self.probe.record(
                    self.scope, "list.filter-all", entity, holds=False,
                    observed=f"filter_by={route.all_filter} refused (code {error.code}: "
                    f"{error.zoho_message})",
                    tap_will="list without filter_by (Zoho's default set), with a warning",
                )  # fmt: skip
                params.pop("filter_by")
                try:
                    body = self._list(route, params)
                except ZohoAPIError as again:
                    sample.error = again
                    body = {}
            else:
                sample.error = error
                body = {}
        else:
            if "filter_by" in params and first:
                self.probe.record(
                    self.scope, "list.filter-all", entity, holds=True,
                    observed=f"filter_by={route.all_filter} accepted",
                    tap_will="list with the all-records filter",
                )  # fmt: skip
        rows = body.get(route.list_key)
        listed = rows if isinstance(rows, list) else []
        sample.rows = [row for row in listed if isinstance(row, dict)]
        sample.page_context = body.get("page_context")
        if first:
            self.samples[entity] = sample
        return sample

    def _list(self, route: EntityRoute, params: dict[str, Any]) -> dict[str, Any]:
        return self.probe.get(
            self.scope, self.product, route.path,
            organization_id=self.organization_id, params=params,
        )  # fmt: skip

    # -- checks -------------------------------------------------------------------------

    def check_sort(self, entity: str) -> None:
        """`list.sort-echo`: does asking newest-first give newest-first, and say so?"""
        sample = self.sample(entity, {"sort_column": LAST_MODIFIED, "sort_order": "D"})
        self.samples[entity] = sample
        if sample.error is not None:
            self._unreadable("list.sort-echo", entity, sample.error)
            return
        context = sample.page_context if isinstance(sample.page_context, dict) else {}
        echoed = (context.get("sort_column"), context.get("sort_order"))
        times = [t for t in (utc_instant(row.get(LAST_MODIFIED)) for row in sample.rows) if t]
        newest_first = all(a >= b for a, b in pairwise(times))
        holds = echoed == (LAST_MODIFIED, "D") and newest_first
        self.probe.record(
            self.scope, "list.sort-echo", entity, holds=holds,
            observed=f"page_context sort_column={echoed[0]!r} sort_order={echoed[1]!r}; "
            f"{len(times)} rows {'newest first' if newest_first else 'NOT newest first'}",
            tap_will="stop paging at the bookmark" if holds
            else "read the whole list every run and filter client-side",
        )  # fmt: skip

    def check_modified_filter(self, entity: str) -> None:
        """`list.modified-filter`: does `last_modified_time` leave out older rows?"""
        whole = self.sample(entity)
        if whole.error is not None:
            self._unreadable("list.modified-filter", entity, whole.error)
            return
        times = sorted(t for t in (utc_instant(r.get(LAST_MODIFIED)) for r in whole.rows) if t)
        if len(set(times)) < 2:  # noqa: PLR2004 - two distinct times tell the answers apart
            self.probe.record(
                self.scope, "list.modified-filter", entity, holds=None,
                observed=f"{len(times)} rows with a modification time: too few to tell",
                tap_will="check every filtered answer at run time",
            )  # fmt: skip
            return
        cut = times[len(times) // 2]
        older = sum(1 for moment in times if moment < cut)
        since = zoho_timestamp(cut, self.zone or UTC)
        filtered = self.sample(entity, {LAST_MODIFIED: since})
        if filtered.error is not None:
            self._unreadable("list.modified-filter", entity, filtered.error)
            return
        back = [t for t in (utc_instant(r.get(LAST_MODIFIED)) for r in filtered.rows) if t]
        stale = sum(1 for moment in back if moment < cut - timedelta(seconds=1))
        holds = stale == 0 and (older == 0 or len(filtered.rows) < len(whole.rows))
        self.probe.record(
            self.scope, "list.modified-filter", entity, holds=holds,
            observed=f"filter at the median time: {len(filtered.rows)} of {len(whole.rows)} "
            f"rows back, {stale} older than the filter",
            tap_will="trust the filter (and check each answer)" if holds
            else "read the whole list every run and filter client-side",
        )  # fmt: skip

    def check_zone(self) -> None:
        """`list.modified-filter-zone`: is the filter's offset honoured, or the wall time?

        One call: a filter one second past the newest row, written in UTC. Read with its
        offset it leaves that row out; read as wall time in a zone ahead of UTC it lets
        the row in. For zones behind UTC the filter is one second before, mirrored.
        """
        entity, newest = self._newest_filtered_row()
        if entity is None or newest is None or self.zone is None:
            self.probe.record(
                self.scope, "list.modified-filter-zone", "last_modified_time", holds=None,
                observed="no filtered list with rows, or an unknown organization time zone",
                tap_will="send filters in the organization's own zone (right either way)",
            )  # fmt: skip
            return
        offset = newest.astimezone(self.zone).utcoffset() or timedelta(0)
        if not offset:
            self.probe.record(
                self.scope, "list.modified-filter-zone", entity, holds=None,
                observed="the organization's zone is UTC: both readings agree",
                tap_will="send filters in the organization's own zone (right either way)",
            )  # fmt: skip
            return
        step = timedelta(seconds=1) if offset > timedelta(0) else -timedelta(seconds=1)
        probe_at = zoho_timestamp(newest + step)  # written in UTC, +0000
        sample = self.sample(entity, {LAST_MODIFIED: probe_at})
        ids = {str(row.get(self.route(entity).id_field)) for row in sample.rows}
        newest_ids = {
            str(row.get(self.route(entity).id_field))
            for row in self.samples[entity].rows
            if utc_instant(row.get(LAST_MODIFIED)) == newest
        }
        came_back = bool(newest_ids & ids)
        honoured = not came_back if offset > timedelta(0) else came_back
        self.probe.record(
            self.scope, "list.modified-filter-zone", entity, holds=honoured,
            observed=f"a UTC filter {step.total_seconds():+.0f} s from the newest row "
            f"{'returned' if came_back else 'left out'} that row (zone offset {offset})",
            tap_will="send filters in the organization's own zone (right either way)",
        )  # fmt: skip

    def _newest_filtered_row(self) -> tuple[str | None, datetime | None]:
        for entity, route in ENTITIES[self.product].items():
            sample = self.samples.get(entity)
            if not route.modified_filter or sample is None or sample.error is not None:
                continue
            times = [t for t in (utc_instant(r.get(LAST_MODIFIED)) for r in sample.rows) if t]
            if times:
                return entity, max(times)
        return None, None

    def check_detail_key(self, entity: str) -> None:
        """`detail.key`: does one detail answer under the key the tap reads?"""
        route = self.route(entity)
        sample = self.samples.get(entity)
        if route.detail_key is None or sample is None or not sample.rows:
            return
        record_id = sample.rows[0].get(route.id_field)
        try:
            body = self.probe.get(
                self.scope, self.product, f"{route.path}/{record_id}",
                organization_id=self.organization_id,
            )  # fmt: skip
        except ZohoNotFoundError:
            return
        except ZohoAPIError as error:
            self._unreadable("detail.key", entity, error)
            return
        holds = isinstance(body.get(route.detail_key), dict)
        keys = sorted(key for key in body if key not in {"code", "message"})
        self.probe.record(
            self.scope, "detail.key", entity, holds=holds,
            observed=f"detail keys {keys}",
            tap_will=f"read the detail under {route.detail_key!r}" if holds
            else "try the documented alternate keys; fail the stream if none is there",
        )  # fmt: skip

    def check_warehouses(self) -> None:
        """`inventory.warehouses`: warehouses, or locations?"""
        try:
            body = self.probe.get(
                self.scope, self.product, "/settings/warehouses",
                organization_id=self.organization_id,
            )  # fmt: skip
        except ZohoAPIError as error:
            self.probe.record(
                self.scope, "inventory.warehouses", "/settings/warehouses", holds=False,
                observed=f"refused: HTTP {error.status}, code {error.code}: {error.zoho_message}",
                tap_will="read stock locations from /locations",
            )  # fmt: skip
            return
        warehouses = body.get("warehouses")
        count = len(warehouses) if isinstance(warehouses, list) else 0
        self.probe.record(
            self.scope, "inventory.warehouses", "/settings/warehouses", holds=count > 0,
            observed=f"{count} warehouses",
            tap_will="read stock per warehouse" if count else "read stock locations from "
            "/locations",
        )  # fmt: skip

    def check_aggregates(self) -> None:
        """`list.aggregate-keys`: where does `response_option=3` put the figures?"""
        route = self.route("invoices")
        try:
            body = self._list(route, {"response_option": 3})
        except ZohoAPIError as error:
            self._unreadable("list.aggregate-keys", "invoices", error)
            return
        context = body.get("page_context")
        context = context if isinstance(context, dict) else {}
        missing = [
            key for key in AGGREGATE_KEYS
            if isinstance(context.get(key), bool) or not isinstance(context.get(key), int | float)
        ]  # fmt: skip
        self.probe.record(
            self.scope, "list.aggregate-keys", "invoices", holds=not missing,
            observed="count and sums in page_context" if not missing
            else f"not found: {missing}; page_context keys {sorted(context)}",
            tap_will="tsh-erp reconcile compares invoice counts and sums" if not missing
            else "tsh-erp reconcile says 'not in Zoho's answer' for invoices",
        )  # fmt: skip

    def check_other_aggregates(self) -> None:
        """`list.aggregate-other-lists` on each list reconcile maps besides invoices."""
        for entity in OTHER_AGGREGATE_LISTS:
            self.check_other_aggregate(entity)

    def check_other_aggregate(self, entity: str) -> None:
        """`list.aggregate-other-lists`: does a list without a documented count give one?

        Asked as reconcile would ask (the all-records filter, `response_option=2`); the
        count is looked for where the invoice list puts it. A refusal of the parameter
        (code 2) is Zoho not honouring it, the assumed answer.
        """
        route = self.route(entity)
        params: dict[str, Any] = {"response_option": COUNT_ONLY}
        if route.all_filter and entity not in self.refused_filter:
            params["filter_by"] = route.all_filter
        try:
            body = self._list(route, params)
        except ZohoAPIError as error:
            if error.code != FILTER_BY_REFUSED:
                self._unreadable("list.aggregate-other-lists", entity, error)
                return
            body, refused = {}, f"refused (code {error.code}: {error.zoho_message})"
        else:
            refused = ""
        context = body.get("page_context")
        context = context if isinstance(context, dict) else {}
        count = context.get("total")
        honoured = isinstance(count, int) and not isinstance(count, bool)
        rows = body.get(route.list_key)
        listed = f"{len(rows)} rows" if isinstance(rows, list) else "no rows"
        self.probe.record(
            self.scope, "list.aggregate-other-lists", entity, holds=not honoured,
            observed=f"response_option=2 honoured: page_context.total={count} ({listed})"
            if honoured else refused or f"response_option=2 ignored: {listed}, no count in "
            f"page_context (keys {sorted(context)})",
            tap_will=f"tsh-erp reconcile compares the {entity} count" if honoured
            else f"tsh-erp reconcile says 'no documented aggregate' for {entity}",
        )  # fmt: skip

    def check_page_context(self) -> None:
        """`list.page-context`, on every list sampled."""
        for entity, sample in sorted(self.samples.items()):
            if sample.error is not None or not self.route(entity).paginated:
                continue
            context = sample.page_context
            holds = isinstance(context, dict) and isinstance(context.get("has_more_page"), bool)
            self.probe.record(
                self.scope, "list.page-context", entity, holds=holds,
                observed="page_context.has_more_page present" if holds
                else f"page_context {'missing' if context is None else 'without has_more_page'}",
                tap_will="page until has_more_page is false" if holds
                else "ask for the next page after every full page",
            )  # fmt: skip

    def check_rows(self) -> None:
        """`row.modified-time`, `value.datetime-range`, `record.declared-fields` on rows."""
        missing: dict[str, int] = {}
        out_of_range: dict[str, set[str]] = {}
        for entity, sample in self.samples.items():
            incremental = self.route(entity).modified_filter or self.route(entity).sort_modified
            for row in sample.rows:
                if incremental and utc_instant(row.get(LAST_MODIFIED)) is None:
                    missing[entity] = missing.get(entity, 0) + 1
                for name, value in row.items():
                    if _out_of_range(value):
                        out_of_range.setdefault(entity, set()).add(name)
            self._undeclared(entity, sample.rows)
        self.probe.record(
            self.scope, "row.modified-time", "incremental lists", holds=not missing,
            observed="every row has last_modified_time" if not missing
            else f"rows without it: {missing}",
            tap_will="emit such rows without moving the bookmark, counted",
        )  # fmt: skip
        self.probe.record(
            self.scope, "value.datetime-range", "sampled rows", holds=not out_of_range,
            observed="every datetime within years 1-9999" if not out_of_range
            else f"out of range: { {k: sorted(v) for k, v in out_of_range.items()} }",
            tap_will="emit such values as null, the original kept in zoho_unparsed",
        )  # fmt: skip

    def _undeclared(self, entity: str, rows: list[dict[str, Any]]) -> None:
        """List rows against the stream's fixed schema (custom fields are typed per org)."""
        stream = self.stream_names.get(entity)
        if stream is None or not rows:
            return
        declared = set(load_schema(stream).get("properties", {}))
        keys = {key for row in rows for key in row if not key.startswith(CUSTOM_FIELD_PREFIX)}
        extra = sorted(keys - declared - NOT_SCHEMA_KEYS)
        self.probe.record(
            self.scope, "record.declared-fields", entity, holds=not extra,
            observed="every key declared" if not extra else f"undeclared keys {extra[:12]}"
            + (f" and {len(extra) - 12} more" if len(extra) > 12 else ""),  # noqa: PLR2004
            tap_will="emit undeclared keys inside zoho_extra (kept in the raw layer)",
        )  # fmt: skip

    def _unreadable(self, assumption: str, entity: str, error: ZohoAPIError) -> None:
        self.probe.record(
            self.scope, assumption, entity, holds=None,
            observed=f"could not read: HTTP {error.status}, code {error.code}: "
            f"{error.zoho_message}",
            tap_will="fail this stream for this organization with Zoho's code, others go on",
        )  # fmt: skip


def organization_zone(organization: dict[str, Any]) -> tzinfo | None:
    """The organization's time zone from its `/organizations` entry, if Python knows it."""
    name = organization.get("time_zone")
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _out_of_range(value: Any) -> bool:  # noqa: ANN401 - any JSON value
    if not isinstance(value, str) or len(value) < 19 or value[4:5] != "-" or "T" not in value:  # noqa: PLR2004
        return False
    try:
        utc_datetime(value)
    except OutOfRangeError:
        return True
    except ValueError:
        return False
    return False
