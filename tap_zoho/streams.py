"""Base classes of every Books/Inventory stream; the product modules only declare.

Replication follows what Zoho can do server-side for each list (see docs/tap.md):
- `server`: `last_modified_time` filter (with `+` encoded and `lookback_seconds` overlap);
- `sorted`: no filter, but `sort_column=last_modified_time` newest first, so paging stops
  at the bookmark (one request when nothing changed);
- `full`: neither; every run lists everything (FULL_TABLE, with ACTIVATE_VERSION).

Detail data (line items, contact persons, shipments, per-warehouse stock) comes from
child streams that fetch it only for headers changed since their own bookmark, and only
when they are selected.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL
from typing_extensions import override

from tap_zoho.api.errors import ZohoQuotaExhaustedError
from tap_zoho.crm.full_table import VersionAfterCompleteSync
from tap_zoho.normalize import RecordNormalizer, utc_datetime, zoho_timestamp
from tap_zoho.progress import StreamProgress
from tap_zoho.schemas import load_schema

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context

    from tap_zoho.api.client import UnifiedZohoClient
    from tap_zoho.api.entities import EntityRoute
    from tap_zoho.tap import TapZoho

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

    def __init__(self, tap: TapZoho) -> None:
        """Load the stream's schema from `tap_zoho/schemas/<name>.json`."""
        super().__init__(tap=tap, schema=load_schema(self.name))
        self.zoho_tap = tap
        self.normalizer = RecordNormalizer(self.name, self.schema)
        self._progress: dict[str, StreamProgress] = {}

    @property
    def client(self) -> UnifiedZohoClient:
        """The tap's one client (one token manager, one limiter per org)."""
        return self.zoho_tap.client

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
        return [{"organization_id": org} for org in self.zoho_tap.organization_ids(self.product)]

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
        if context is not None:
            row["organization_id"] = context["organization_id"]
        return self.normalizer(row)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        organization_id = str((context or {}).get("organization_id", "-"))
        progress = self.progress(organization_id)
        listed_everything = False
        try:
            for record in self.zoho_records(context or {}, progress):
                progress.record()
                yield record
            listed_everything = True
        except ZohoQuotaExhaustedError as exhausted:
            self.zoho_tap.quota_stopped(self.name, exhausted)
        finally:
            quota_gone = self.client.governor.quota(self.product, organization_id).exhausted
            if quota_gone:
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
        wanted = set(self.zoho_tap.organization_ids(self.product))
        for organization in self.zoho_tap.visible_organizations(self.product):
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
        route = self.route
        params = self.list_params()
        since = self.since(organization_id)
        mode = self.mode
        if mode == "server" and since is not None:
            params[LAST_MODIFIED] = zoho_timestamp(since)
        if mode == "sorted":
            params |= {"sort_column": LAST_MODIFIED, "sort_order": "D"}
        floor = None if since is None else since.isoformat()
        for page in self.client.paginate(
            self.product, route.path, route.list_key, organization_id=organization_id,
            params=params, label=self.name, paginated=route.paginated, prefetch=mode != "sorted",
        ):  # fmt: skip
            progress.page()
            for row in page.records:
                if mode == "sorted" and floor is not None:
                    modified = utc_datetime(row.get(LAST_MODIFIED))
                    if modified is not None and modified < floor:
                        return
                yield row


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

    def __init__(self, tap: TapZoho) -> None:
        """Start with no remembered overlap."""
        super().__init__(tap)
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
        memory = self._pass.pop(organization_id, None)
        if memory is None:
            return
        state = self.get_context_state({"organization_id": organization_id})
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
        return self.normalizer(row)

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
