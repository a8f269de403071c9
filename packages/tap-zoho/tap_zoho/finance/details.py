"""Detail data of Books/Inventory headers: line items, contact persons, shipments, stock.

Child streams fetch a header's detail only for headers changed since their own bookmark,
and only when they are selected. A pass stopped by the daily quota is remembered in the
state so the next run resumes after the headers it finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import override

from tap_zoho.finance.base import LAST_MODIFIED, PARENT_MODIFIED, ZohoStream
from tap_zoho.finance.listing import ListStream
from tap_zoho.timefmt import to_utc

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_zoho.progress import StreamProgress
    from tap_zoho.run import ZohoRun

RECENT_KEY = "zoho_recent_details"
"""Partition-state key of a detail child: {record id: last_modified_time} of headers whose
detail was fetched within `lookback_seconds` of the bookmark (so the overlap window does
not cost a detail call per run)."""
UNFINISHED_KEY = "zoho_unfinished_details"
"""Partition-state key of a detail child after a pass stopped early (daily quota):
{record id: last_modified_time} of headers whose detail was emitted in that pass, so the
next run skips exactly those (same id, same modification time) and goes further."""
PROGRESS_MARKERS = "progress_markers"


class DetailChildStream(ZohoStream):
    """Detail data of changed headers, fetched only when this stream is selected.

    The parent yields one child context per header; this stream decides whether the
    header changed since its own bookmark and fetches the detail only then.
    """

    parent_id_field: ClassVar[str]
    """The header's id field, kept on each child record (`invoice_id`, ...): the id field
    of the parent stream's route unless declared."""
    context_fields: ClassVar[tuple[str, ...]] = ()
    """More header fields the detail call needs (shipments need `shipment_id`)."""
    replication_key = PARENT_MODIFIED
    partition_ends_with_call = False
    state_partitioning_keys: ClassVar[list[str]] = ["organization_id"]

    def __init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 - the SDK's kwargs
        """Take the parent id field from the parent stream's route."""
        super().__init_subclass__(**kwargs)
        parent = cls.parent_stream_type
        if (
            "parent_id_field" not in cls.__dict__
            and parent is not None
            and issubclass(parent, ZohoStream)
            and parent.declares_entity()
        ):
            cls.parent_id_field = parent.entity_route().id_field

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
        floor = (to_utc(newest) - self.lookback).isoformat()
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
    """The entity whose detail holds the lines: the stream's own entity unless declared."""
    lines_key: ClassVar[str] = "line_items"

    def __init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 - the SDK's kwargs
        """Key the lines by (organization, document id, `line_item_id`)."""
        super().__init_subclass__(**kwargs)
        if hasattr(cls, "entity") and "detail_entity" not in cls.__dict__:
            cls.detail_entity = cls.entity
        if hasattr(cls, "parent_id_field") and "primary_keys" not in cls.__dict__:
            cls.primary_keys = ("organization_id", cls.parent_id_field, "line_item_id")

    @override
    def detail_records(self, context: Context) -> Iterator[dict[str, Any]]:
        detail = document_detail(self, self.detail_entity, context)
        if detail is None:
            return
        for line in detail.get(self.lines_key) or []:
            yield dict(line)


def document_detail(
    stream: DetailChildStream, detail_entity: str, context: Context
) -> dict[str, Any] | None:
    """The header's detail, shared by its line stream and line manifest (one request)."""
    organization_id = context["organization_id"]
    record_id = str(context[stream.parent_id_field])
    key = (
        stream.product, organization_id, detail_entity, record_id,
        str(context.get(PARENT_MODIFIED) or ""),
    )  # fmt: skip
    return stream.run.shared_detail(
        key,
        lambda: stream.client.get_record(
            stream.product, organization_id, detail_entity, record_id, label=stream.name,
            on_fallback=stream.fallback_hook(organization_id),
        ),
    )  # fmt: skip


class LineManifestStream(DetailChildStream):
    """Which lines a fetched document has now: one record per detail, also with no lines.

    Line records alone cannot say that a document lost ALL its lines (none is emitted),
    so the target could not sweep them. The manifest is a sibling of its line stream,
    declared once per line stream with `line_stream`; everything else (name, product,
    entity, parent, keys) derives from it. It reads the detail its line stream fetched
    for the same header (`ZohoRun.shared_detail`), fetching it only when the line stream
    did not, and keeps its own bookmark like any detail child.
    """

    line_stream: ClassVar[type[LineItemStream]]
    """The line stream this manifest describes."""
    line_stream_name: ClassVar[str]
    """Its name, kept on every manifest record (`line_stream`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 - the SDK's kwargs
        """Derive the stream's facts from its line stream before the bases check them."""
        line = cls.__dict__.get("line_stream")
        if line is not None:
            cls.line_stream_name = str(vars(line)["name"])
            cls.name = manifest_name(cls.line_stream_name)
            cls.product = line.product
            cls.entity = line.entity
            cls.parent_stream_type = line.parent_stream_type
            cls.parent_id_field = line.parent_id_field
            cls.primary_keys = ("organization_id", line.parent_id_field)
        super().__init_subclass__(**kwargs)

    @override
    def detail_records(self, context: Context) -> Iterator[dict[str, Any]]:
        line = self.line_stream
        detail = document_detail(self, line.detail_entity, context)
        if detail is None:
            return  # the document is gone: its deletion, not a manifest, removes the lines
        yield manifest_fields(self.line_stream_name, detail.get(line.lines_key) or [])


def manifest_fields(line_stream: str, lines: Iterable[Any]) -> dict[str, Any]:
    """A manifest's own fields for a document's current lines.

    One definition for the tap's manifest streams and the webhook service, which sends
    the manifest of a delivered document so its removed lines go without a batch sync.
    """
    return {
        "line_item_ids": [
            str(item["line_item_id"]) for item in lines
            if isinstance(item, dict) and item.get("line_item_id") not in (None, "")
        ],
        "line_stream": line_stream,
    }  # fmt: skip


def manifest_name(line_stream: str) -> str:
    """`books_invoice_line_items` has the manifest `books_invoice_line_manifests`."""
    return f"{line_stream.removesuffix('_line_items')}_line_manifests"
