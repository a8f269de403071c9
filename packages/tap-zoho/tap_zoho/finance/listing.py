"""Books/Inventory list streams: one list call per organization, paged, in one of three modes.

- `server`: `last_modified_time` filter (with `+` encoded and `lookback_seconds` overlap);
- `sorted`: no filter, but `sort_column=last_modified_time` newest first, so paging stops
  at the bookmark (one request when nothing changed);
- `full`: neither; every run lists everything (FULL_TABLE, with ACTIVATE_VERSION).

An early stop needs the page to echo the sort and be newest first; a server-side filter
is trusted only while no row older than it comes back; a refused all-records filter is
read without it (docs/assumptions.md).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, cast

from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL
from typing_extensions import override

from tap_zoho.api.errors import (
    ZohoAPIError,
    ZohoUnexpectedAnswerError,
)
from tap_zoho.api.pages import echoes_sort, refuses_filter
from tap_zoho.finance.base import LAST_MODIFIED, ZohoStream
from tap_zoho.timefmt import utc_instant, zoho_timestamp

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from singer_sdk.helpers.types import Context

    from tap_zoho.api.client import Page
    from tap_zoho.progress import StreamProgress


class ListStream(ZohoStream):
    """A Zoho list endpoint, one partition per organization, keyed by the route's id."""

    def __init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 - the SDK's kwargs
        """Key a declared list stream by (organization, the route's id field)."""
        super().__init_subclass__(**kwargs)
        if cls.declares_entity() and "primary_keys" not in cls.__dict__:
            cls.primary_keys = ("organization_id", cls.entity_route().id_field)

    @property
    def mode(self) -> str:
        """`server`, `sorted` or `full` (see the module docstring)."""
        route = self.route
        if route.modified_filter:
            return "server"
        if route.sort_modified:
            return "sorted"
        return "full"

    @override
    @property
    def replication_key(self) -> str | None:
        return None if self.mode == "full" else LAST_MODIFIED

    @replication_key.setter
    def replication_key(self, value: str | None) -> None:
        """The SDK may set it from a catalog; the mode decides."""

    @override
    def open_table_version(self) -> None:
        """Reconcile deletions when this run lists every row of every organization.

        Zoho has no deleted-records feed for Books/Inventory, so the only proof that a
        row is gone is a complete listing without it. That holds when no bookmark (and
        no `start_date`) narrows the listing: a first run, or Meltano's full refresh
        (`--full-refresh`, `MELTANO_RUN_FULL_REFRESH`), which starts without state. A
        listing from `start_date` proves nothing about older rows and takes no version.
        """
        if (
            self.selected
            and self.replication_method == REPLICATION_INCREMENTAL
            and self.emit_activate_version_messages
            and all(self.since(org) is None for org in self.organization_ids())
        ):
            self.take_table_version()

    def organization_ids(self) -> list[str]:
        """The organizations (partitions) this run syncs."""
        return [str(partition["organization_id"]) for partition in self.partitions or []]

    def list_params(self) -> dict[str, Any]:
        """Parameters of every list call (the filter that includes inactive records)."""
        params: dict[str, Any] = {}
        if self.route.all_filter:
            params["filter_by"] = self.route.all_filter
        return params

    def since(self, organization_id: str) -> datetime | None:
        """Where listing starts: the oldest bookmark of this stream and its children.

        Selected children count because their details come from headers listed here;
        the lookback is subtracted; None lists everything.
        """
        if self.mode == "full":
            return None
        marks: list[datetime | None] = [self.bookmark(organization_id)]
        marks.extend(
            child.bookmark(organization_id)
            for child in self.child_streams
            if child.selected or child.has_selected_descendents
            if isinstance(child, ZohoStream)
        )
        if any(mark is None for mark in marks):
            start = self.start_date()
            return None if start is None else start - self.lookback
        return min(cast("list[datetime]", marks)) - self.lookback

    @override
    def zoho_records(self, context: Context, progress: StreamProgress) -> Iterator[dict[str, Any]]:
        organization_id = context["organization_id"]
        since = self.since(organization_id)
        params = self.list_params()
        if self.mode == "server" and since is not None:
            zone = self.run.organization_zone(self.product, organization_id, self.name)
            params[LAST_MODIFIED] = zoho_timestamp(since, zone)
        if self.mode == "sorted":
            params |= {"sort_column": LAST_MODIFIED, "sort_order": "D"}
        listings = [params]
        seen: set[str] | None = None
        if "filter_by" in params and self.run.fallbacks.known_other(
            "list.filter-all", f"{self.product}:{organization_id}", self.entity
        ):
            listings = self._without_all_filter(organization_id, params, None)
            seen = set()
        while listings:
            listing = _Listing(self, organization_id, listings.pop(0), since, progress)
            try:
                for row in listing.rows():
                    if seen is not None:
                        row_id = str(row.get(self.route.id_field))
                        if row_id in seen:
                            continue
                        seen.add(row_id)
                    yield row
            except ZohoAPIError as error:
                all_filter = self.route.all_filter
                refused_all = (
                    not listing.pages
                    and all_filter is not None
                    and listing.params.get("filter_by") == all_filter
                    and refuses_filter(error)
                )
                if not refused_all:
                    raise  # including a refused Status.Inactive: no second fallback
                listings = self._without_all_filter(organization_id, listing.params, error)
                seen = set()

    def _without_all_filter(
        self, organization_id: str, params: dict[str, Any], error: ZohoAPIError | None
    ) -> list[dict[str, Any]]:
        """The listings that replace a refused `filter_by=<...>.All` (`list.filter-all`).

        Zoho's default (no `filter_by`), plus each documented filter for the records the
        default leaves out (inactive contacts and items), deduplicated by id. Without an
        error, the doctor's findings said Zoho refuses it here: the refused call is saved.
        """
        refused = (
            f"(Zoho code {error.code}: {error.zoho_message})" if error is not None
            else "(as the doctor found; the call is not made)"
        )  # fmt: skip
        self.fell_back(
            "list.filter-all",
            f"GET {self.route.path} refused filter_by={params['filter_by']} {refused}",
            organization_id,
        )
        without = {key: value for key, value in params.items() if key != "filter_by"}
        return [without, *({**without, "filter_by": name} for name in self.route.other_filters)]


class _Listing:
    """One list call, paged, with the checks its mode relies on.

    `sorted`: stops at the first row older than `since` only while every page echoes
    the sort asked for and is newest first (`list.sort-echo`); otherwise reads to the end.
    `server`: drops rows older than `since`; the first such row means the filter was not
    applied as assumed (`list.modified-filter`) and is reported once per listing.
    """

    def __init__(
        self,
        stream: ListStream,
        organization_id: str,
        params: dict[str, Any],
        since: datetime | None,
        progress: StreamProgress,
    ) -> None:
        """Bind one list call of one organization."""
        self.stream = stream
        self.organization_id = organization_id
        self.params = params
        self.since = since
        self.progress = progress
        self.pages = 0
        self.trust_sort = stream.mode == "sorted" and since is not None
        self.filter_held = True
        self._last_seen: datetime | None = None

    def rows(self) -> Iterator[dict[str, Any]]:
        """The rows to emit, in Zoho's order."""
        stream = self.stream
        route = stream.route
        for page in stream.client.paginate(
            stream.product, route.path, route.list_key, organization_id=self.organization_id,
            params=self.params, label=stream.name, paginated=route.paginated,
            prefetch=not self.trust_sort, on_fallback=stream.fallback_hook(self.organization_id),
        ):  # fmt: skip
            self.pages += 1
            self.progress.page()
            if self.trust_sort:
                self._check_sort(page)
            for row in page.records:
                if row.get(route.id_field) in {None, ""}:
                    raise ZohoUnexpectedAnswerError(
                        path=route.path, stream=stream.name, organization_id=self.organization_id,
                        message=f"a row of page {page.number} has no {route.id_field!r} "
                        f"(keys: {', '.join(sorted(row)[:12])})",
                    )  # fmt: skip
                modified = utc_instant(row.get(LAST_MODIFIED))
                if self.since is not None and modified is not None and modified < self.since:
                    if self.trust_sort:
                        return
                    self._older_row(modified)
                    continue
                yield row

    def _check_sort(self, page: Page) -> None:
        """Keep the early stop only if this page proves the newest-first order."""
        times = [utc_instant(row.get(LAST_MODIFIED)) for row in page.records]
        known = [moment for moment in times if moment is not None]
        if self._last_seen is not None:
            known.insert(0, self._last_seen)
        ordered = all(later <= earlier for earlier, later in itertools.pairwise(known))
        echoed = echoes_sort({"page_context": page.context}, LAST_MODIFIED, "D")
        if known:
            self._last_seen = known[-1]
        if echoed and ordered:
            return
        self.trust_sort = False
        context = page.context or {}
        self.stream.fell_back(
            "list.sort-echo",
            f"page {page.number} of GET {self.stream.route.path} "
            + (
                f"echoes sort_column={context.get('sort_column')!r} "
                f"sort_order={context.get('sort_order')!r}"
                if not echoed
                else "is not newest first"
            ),
            self.organization_id,
        )

    def _older_row(self, modified: datetime) -> None:
        """A row older than the bookmark: dropped; on a filtered list, the filter failed."""
        if self.stream.mode != "server" or not self.filter_held:
            return
        self.filter_held = False
        self.stream.fell_back(
            "list.modified-filter",
            f"GET {self.stream.route.path}?last_modified_time={self.params.get(LAST_MODIFIED)} "
            f"returned a row modified at {modified.isoformat()}",
            self.organization_id,
        )
