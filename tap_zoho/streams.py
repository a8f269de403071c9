"""Base classes of every Books/Inventory stream; the product modules only declare.

Replication follows what Zoho can do server-side for each list (see docs/tap.md):
- `server`: `last_modified_time` filter (with `+` encoded and `lookback_seconds` overlap);
- `sorted`: no filter, but `sort_column=last_modified_time` newest first, so paging stops
  at the bookmark (one request when nothing changed);
- `full`: neither; every run lists everything (FULL_TABLE, with ACTIVATE_VERSION).

Detail data (line items, contact persons, shipments, per-warehouse stock) comes from
child streams that fetch it only for headers changed since their own bookmark, and only
when they are selected.

Where a mode relies on behaviour Zoho does not document, the answer that carries it is
checked and the stream falls back to reading more (docs/assumptions.md): an early stop
needs the page to echo the sort and be newest first; a server-side filter is trusted only
while no row older than it comes back; a refused all-records filter is read without it.
An error confined to one organization fails that stream's partition only (its bookmark
kept); the tap reports it at the end of the run.
"""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL
from typing_extensions import override

from tap_zoho.api.errors import (
    ZohoAPIError,
    ZohoAuthError,
    ZohoQuotaExhaustedError,
    ZohoUnexpectedAnswerError,
)
from tap_zoho.api.pages import echoes_sort, refuses_filter
from tap_zoho.normalize import RecordNormalizer, utc_instant, zoho_timestamp
from tap_zoho.progress import StreamProgress
from tap_zoho.schemas import load_schema
from tap_zoho.table_version import VersionAfterCompleteSync

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_zoho.api.client import Page, UnifiedZohoClient
    from tap_zoho.api.entities import EntityRoute
    from tap_zoho.api.pages import FallbackHook
    from tap_zoho.run import ZohoRun

logger = logging.getLogger("tap_zoho.streams")

LAST_MODIFIED = "last_modified_time"
PARENT_MODIFIED = "parent_last_modified_time"
RECENT_KEY = "zoho_recent_details"
"""Partition-state key of a detail child: {record id: last_modified_time} of headers whose
detail was fetched within `lookback_seconds` of the bookmark (so the overlap window does
not cost a detail call per run)."""
UNFINISHED_KEY = "zoho_unfinished_details"
"""Partition-state key of a detail child after a pass stopped early (daily quota):
{record id: last_modified_time} of headers whose detail was emitted in that pass, so the
next run skips exactly those (same id, same modification time) and goes further."""
PROGRESS_MARKERS = "progress_markers"


class ZohoStream(VersionAfterCompleteSync):
    """Schema, client, partitions, normalization and clean quota stops.

    Table versions (ACTIVATE_VERSION only after a complete sync; incremental streams
    take one when they list every row) come from `VersionAfterCompleteSync`, shared with
    the CRM streams.
    """

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    """`RecordNormalizer` conforms every record to the schema already."""

    product: ClassVar[str]
    entity: ClassVar[str]

    def __init__(self, tap: Tap, run: ZohoRun) -> None:
        """Load the stream's schema from `tap_zoho/schemas/<name>.json`."""
        super().__init__(tap=tap, schema=load_schema(self.name))
        self._run = run
        self._normalizing_org: str | None = None
        self.normalizer = RecordNormalizer(
            self.name, self.schema, on_fallback=self._normalizer_fell_back
        )
        self._progress: dict[str, StreamProgress] = {}
        self.failed_organizations: set[str] = set()
        """Organizations whose partition failed in this run (their bookmark is kept)."""

    @override
    @property
    def run(self) -> ZohoRun:
        """The run this stream belongs to (settings, client, organizations, quota stops)."""
        return self._run

    def fell_back(self, assumption: str, detail: str, organization_id: str | None) -> None:
        """Record one use of a fallback in the run's ledger (warns once per stream)."""
        self.run.fallbacks.fell_back(
            assumption, stream=self.name, organization_id=organization_id, detail=detail
        )

    def fallback_hook(self, organization_id: str) -> FallbackHook:
        """A fallback reporter bound to this stream and organization (for the client)."""

        def hook(assumption: str, detail: str) -> None:
            self.fell_back(assumption, detail, organization_id)

        return hook

    def _normalizer_fell_back(self, assumption: str, detail: str) -> None:
        self.fell_back(assumption, detail, self._normalizing_org)

    def normalize(self, row: dict[str, Any], organization_id: str | None) -> dict[str, Any]:
        """Conform a row to the schema, reporting fallbacks under its organization."""
        self._normalizing_org = organization_id
        return self.normalizer(row)

    @property
    def client(self) -> UnifiedZohoClient:
        """The run's one client (one token manager, one limiter per org)."""
        return self.run.client

    @property
    def route(self) -> EntityRoute:
        """Where the entity lives in this product."""
        return self.client.entity(self.product, self.entity)

    @property
    def lookback(self) -> timedelta:
        """Overlap applied to every incremental filter."""
        return timedelta(seconds=int(self.config.get("lookback_seconds", 300)))

    @override
    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        return [{"organization_id": org} for org in self.run.organization_ids(self.product)]

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
        if context is not None:
            row["organization_id"] = context["organization_id"]
        return self.normalize(row, row.get("organization_id"))

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, Any], *, context: Context | None = None
    ) -> None:
        """Move the bookmark only for a row with a usable replication value.

        Zoho's OAS does not mark `last_modified_time` required (`row.modified-time`): a
        row without it (or with one no UTC datetime can hold) is emitted but takes no
        part in the bookmark, where the SDK would stop the stream with a KeyError.
        """
        key = self.replication_key
        if key and self.replication_method == REPLICATION_INCREMENTAL:
            value = latest_record.get(key)
            if utc_instant(value) is None:
                why = "missing" if value is None else "unparseable"
                self.fell_back(
                    "row.modified-time",
                    f"a record without a usable {key} ({why})",
                    latest_record.get("organization_id"),
                )
                return
        super()._increment_stream_state(latest_record, context=context)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        organization_id = str((context or {}).get("organization_id", "-"))
        if organization_id in self.failed_organizations:
            return  # a detail child whose organization already failed in this run
        progress = self.progress(organization_id)
        listed_everything = failed = False
        try:
            for record in self.zoho_records(context or {}, progress):
                progress.record()
                yield record
            listed_everything = True
        except ZohoQuotaExhaustedError as exhausted:
            self.run.quota_stopped(self.name, exhausted)
        except (ZohoAuthError, BrokenPipeError):
            raise  # every stream shares the token and the output: nothing else could run
        except Exception as error:  # noqa: BLE001 - confined to this organization; reported
            failed = True
            self.failed_organizations.add(organization_id)
            self.run.stream_failed(self.name, organization_id, error)
        finally:
            quota_gone = self.run.quota_gone(self.product, organization_id)
            if quota_gone or failed:
                self.forget_partition_progress(context)
            completed = listed_everything and not quota_gone
            self._incomplete = self._incomplete or not completed
            self.partition_ended(organization_id, completed=completed)
        if self.partition_ends_with_call:
            progress.finish()
            del self._progress[organization_id]

    partition_ends_with_call: ClassVar[bool] = True
    """False for detail children: one call per header, progress reported per stream."""

    def progress(self, organization_id: str) -> StreamProgress:
        """The progress counter of one organization's partition."""
        progress = self._progress.get(organization_id)
        if progress is None:
            progress = StreamProgress(self.client, self.name, self.product, organization_id)
            self._progress[organization_id] = progress
        return progress

    @override
    def log_sync_costs(self) -> None:
        super().log_sync_costs()
        self.finish_progress()

    def finish_progress(self) -> None:
        """Report partitions still open at the end of the run (detail children)."""
        for progress in self._progress.values():
            progress.finish()
        self._progress.clear()

    def zoho_records(self, context: Context, progress: StreamProgress) -> Iterator[dict[str, Any]]:
        """The stream's raw records for one partition (subclasses implement)."""
        raise NotImplementedError

    def partition_ended(self, organization_id: str, *, completed: bool) -> None:
        """A hook: one organization's partition ended, complete or stopped early.

        Headers tell their detail children here whether the pass over the listing
        finished, which decides whether the children's unfinished-pass memory becomes a
        bookmark or is kept for the next run.
        """

    def forget_partition_progress(self, context: Context | None) -> None:
        """A partition stopped early: keep its old bookmark so the next run redoes it."""
        state = self.get_context_state(self._state_context(context))
        state.pop("progress_markers", None)

    def _state_context(self, context: Context | None) -> Context | None:
        if context is None or self.state_partitioning_keys is None:
            return context
        return {key: context[key] for key in self.state_partitioning_keys if key in context}

    def bookmark(self, organization_id: str) -> datetime | None:
        """This stream's bookmark for an organization, from the state the run started with."""
        state = self.get_context_state({"organization_id": organization_id})
        value = state.get("replication_key_value")
        return _parse_utc(value) if isinstance(value, str) else None

    def start_date(self) -> datetime | None:
        """`start_date` from the config, as an aware UTC datetime."""
        raw = self.config.get("start_date")
        return _parse_utc(str(raw)) if raw else None


class OrganizationsStream(ZohoStream):
    """The organizations the tap syncs (from the same call that discovers them)."""

    entity = "organizations"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id",)
    replication_key = None

    @override
    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        return None

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
        return self.normalizer(row)

    @override
    def zoho_records(self, context: Context, progress: StreamProgress) -> Iterator[dict[str, Any]]:
        wanted = set(self.run.organization_ids(self.product))
        for organization in self.run.visible_organizations(self.product):
            if str(organization.get("organization_id")) in wanted:
                yield dict(organization)


class ListStream(ZohoStream):
    """A Zoho list endpoint, one partition per organization."""

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


class DetailChildStream(ZohoStream):
    """Detail data of changed headers, fetched only when this stream is selected.

    The parent yields one child context per header; this stream decides whether the
    header changed since its own bookmark and fetches the detail only then.
    """

    parent_id_field: ClassVar[str]
    """The header's id field, kept on each child record (`invoice_id`, ...)."""
    context_fields: ClassVar[tuple[str, ...]] = ()
    """More header fields the detail call needs (shipments need `shipment_id`)."""
    replication_key = PARENT_MODIFIED
    partition_ends_with_call = False
    state_partitioning_keys: ClassVar[list[str]] = ["organization_id"]

    def __init__(self, tap: Tap, run: ZohoRun) -> None:
        """Start with no remembered overlap."""
        super().__init__(tap, run)
        self._previous_recent: dict[str, dict[str, str]] = {}
        self._floor: dict[str, tuple[str | None, str | None]] = {}
        self._pass: dict[str, dict[str, str]] = {}

    def accepts(self, record: dict[str, Any]) -> bool:  # noqa: ARG002 - a hook
        """Whether a header has detail for this stream at all (shipments need one)."""
        return True

    def wants(self, organization_id: str, record_id: str, modified: str | None) -> bool:
        """Whether a header changed since this stream last emitted its detail.

        A header whose detail an earlier, unfinished pass already emitted at this very
        modification time is skipped (and counted as done in this pass): that is what
        lets a run stopped by the daily quota resume after the headers it finished
        instead of spending the next day's quota on the same ones.
        """
        if not self._changed(organization_id, record_id, modified):
            return False
        if modified is not None and self._unfinished(organization_id).get(record_id) == modified:
            self.remember(organization_id, record_id, modified)
            return False
        return True

    def _changed(self, organization_id: str, record_id: str, modified: str | None) -> bool:
        bookmark, overlap_start = self._bounds(organization_id)
        if bookmark is None or modified is None or overlap_start is None:
            return True
        if modified > bookmark:
            return True
        if modified < overlap_start:
            return False
        return self._previous_recent[organization_id].get(record_id) != modified

    def _unfinished(self, organization_id: str) -> dict[str, str]:
        """This run's pass memory for an organization, seeded from an unfinished pass.

        It is taken out of the state while the run works, so the STATE messages the SDK
        writes after every header stay small; `partition_ended` puts it back (stopped
        early) or folds it into the bookmark (complete). A run killed outright resumes
        from the pass memory of the last clean stop: some details are fetched again,
        none is skipped.
        """
        memory = self._pass.get(organization_id)
        if memory is None:
            state = self.get_context_state({"organization_id": organization_id})
            memory = dict(state.pop(UNFINISHED_KEY, None) or {})
            self._pass[organization_id] = memory
        return memory

    def _bounds(self, organization_id: str) -> tuple[str | None, str | None]:
        bounds = self._floor.get(organization_id)
        if bounds is None:
            state = self.get_context_state({"organization_id": organization_id})
            self._previous_recent[organization_id] = dict(state.get(RECENT_KEY) or {})
            mark = self.bookmark(organization_id)
            bounds = (
                (None, None) if mark is None
                else (mark.isoformat(), (mark - self.lookback).isoformat())
            )  # fmt: skip
            self._floor[organization_id] = bounds
        return bounds

    def remember(self, organization_id: str, record_id: str, modified: str | None) -> None:
        """The detail of a header was emitted: note it for this pass and for the overlap."""
        if modified is None:
            return
        self._unfinished(organization_id)[record_id] = modified
        state = self.get_context_state({"organization_id": organization_id})
        recent: dict[str, str] = state.setdefault(RECENT_KEY, {})
        recent[record_id] = modified
        newest = max(recent.values())
        floor = (_parse_utc(newest) - self.lookback).isoformat()
        if len(recent) > 1 and min(recent.values()) < floor:
            for key in [key for key, value in recent.items() if value < floor]:
                del recent[key]

    @override
    def forget_partition_progress(self, context: Context | None) -> None:
        super().forget_partition_progress(context)
        if context is not None:
            state = self.get_context_state(self._state_context(context))
            state[RECENT_KEY] = self._previous_recent.get(context["organization_id"], {})

    def open_child_version(self, organization_ids: list[str]) -> None:
        """Take a version when this run emits the detail of every current header.

        True only if nothing narrows it: no `start_date`, no bookmark of this stream and
        no unfinished pass (whose finished headers this run would skip) in any
        organization. Then every header the parent lists is fetched, and a line whose
        version is older than this one belongs to a deleted header (or was removed from
        its document).
        """
        if not (self.selected and self.emit_activate_version_messages) or self.start_date():
            return
        for organization_id in organization_ids:
            state = self.get_context_state({"organization_id": organization_id})
            if self.bookmark(organization_id) is not None or state.get(UNFINISHED_KEY):
                return
        self.take_table_version()

    def end_pass(self, organization_id: str, *, completed: bool) -> None:
        """The parent finished listing an organization (or stopped): settle the pass.

        Complete: every listed header was offered, so every header up to the newest one
        whose detail this pass emitted is done; the bookmark moves there even if the
        detail was emitted by an earlier, stopped run (the SDK's own marker only sees
        this run's records). Stopped: keep what was emitted for the next run. Never
        skips a header: the memory only holds headers whose detail records were all
        written, keyed by the modification time they had.
        """
        completed = completed and organization_id not in self.failed_organizations
        state = self.get_context_state({"organization_id": organization_id})
        if not completed:
            # The SDK's marker holds the newest header this pass reached, not proof that
            # every older one was offered: the pass memory below carries the progress.
            state.pop(PROGRESS_MARKERS, None)
        memory = self._pass.pop(organization_id, None)
        if memory is None:
            return
        if completed:
            if memory:
                markers = state.setdefault(
                    PROGRESS_MARKERS, {"Note": "Progress is not resumable if interrupted."}
                )
                newest = max(memory.values())
                current = markers.get("replication_key_value")
                if current is None or str(current) < newest:
                    markers["replication_key"] = PARENT_MODIFIED
                    markers["replication_key_value"] = newest
        else:
            _, overlap_start = self._bounds(organization_id)
            kept = {
                record_id: modified
                for record_id, modified in memory.items()
                if overlap_start is None or modified >= overlap_start
            }
            if kept:
                state[UNFINISHED_KEY] = kept
        self.state_manager.is_flushed = False

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
        if context is not None:
            row["organization_id"] = context["organization_id"]
            row[self.parent_id_field] = context[self.parent_id_field]
            row[PARENT_MODIFIED] = context[PARENT_MODIFIED]
        return self.normalize(row, row.get("organization_id"))

    @override
    def zoho_records(self, context: Context, progress: StreamProgress) -> Iterator[dict[str, Any]]:
        organization_id = context["organization_id"]
        record_id = context[self.parent_id_field]
        modified = context[PARENT_MODIFIED]
        yield from self.detail_records(context)
        self.remember(organization_id, record_id, modified)

    def detail_records(self, context: Context) -> Iterator[dict[str, Any]]:
        """Fetch and split the header's detail (subclasses implement)."""
        raise NotImplementedError


class HeaderStream(ListStream):
    """A list stream whose headers have detail children (line items, persons, ...)."""

    @override
    def partition_ended(self, organization_id: str, *, completed: bool) -> None:
        for child in self.child_streams:
            if isinstance(child, DetailChildStream):
                child.end_pass(organization_id, completed=completed)

    @override
    def open_table_version(self) -> None:
        super().open_table_version()
        for child in self.detail_children():
            child.open_child_version(self.organization_ids())

    @override
    def close_table_version(self, *, complete: bool, write_messages: bool) -> None:
        """Settle the children's versions too: their records came through this sync."""
        super().close_table_version(complete=complete, write_messages=write_messages)
        for child in self.detail_children():
            child.close_table_version(
                complete=complete and child.synced_completely(), write_messages=write_messages
            )

    def detail_children(self) -> list[DetailChildStream]:
        """The detail child streams under this header stream."""
        return [child for child in self.child_streams if isinstance(child, DetailChildStream)]

    @override
    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        organization_id = record["organization_id"]
        record_id = str(record[self.route.id_field])
        modified = record.get(LAST_MODIFIED)
        wanting = [
            child
            for child in self.child_streams
            if isinstance(child, DetailChildStream) and child.selected
            if child.accepts(record) and child.wants(organization_id, record_id, modified)
        ]
        if wanting:
            context_fields = {name for child in wanting for name in child.context_fields}
            yield {
                "organization_id": organization_id,
                self.route.id_field: record_id,
                PARENT_MODIFIED: modified,
                **{name: record.get(name) for name in sorted(context_fields)},
            }


class LineItemStream(DetailChildStream):
    """`line_items` of a document's detail, keyed by (organization, document, line)."""

    detail_entity: ClassVar[str]
    lines_key: ClassVar[str] = "line_items"

    @override
    def detail_records(self, context: Context) -> Iterator[dict[str, Any]]:
        detail = self.client.get_record(
            self.product, context["organization_id"], self.detail_entity,
            context[self.parent_id_field], label=self.name,
            on_fallback=self.fallback_hook(context["organization_id"]),
        )  # fmt: skip
        if detail is None:
            return
        for line in detail.get(self.lines_key) or []:
            yield dict(line)


def _parse_utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
