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

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL
from typing_extensions import override

from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.api.errors import (
    ZohoAuthError,
    ZohoQuotaExhaustedError,
)
from tap_zoho.normalize import RecordNormalizer
from tap_zoho.progress import StreamProgress
from tap_zoho.schemas import load_schema
from tap_zoho.table_version import VersionAfterCompleteSync
from tap_zoho.timefmt import to_utc, utc_instant

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_zoho.api.entities import EntityRoute
    from tap_zoho.api.pages import FallbackHook
    from tap_zoho.run import ZohoRun

LAST_MODIFIED = "last_modified_time"
PARENT_MODIFIED = "parent_last_modified_time"


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
    primary_keys: ClassVar[tuple[str, ...]]
    """Declared, or derived from the route (list streams, line items)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 - the SDK's kwargs
        """Check a declared stream's route: an unknown entity fails at import."""
        super().__init_subclass__(**kwargs)
        if cls.declares_entity():
            cls.entity_route()

    @classmethod
    def declares_entity(cls) -> bool:
        """Whether the class names its product and entity (a concrete stream)."""
        return getattr(cls, "product", None) is not None and hasattr(cls, "entity")

    @classmethod
    def entity_route(cls) -> EntityRoute:
        """Where the entity lives in this product (`tap_zoho.api.entities`).

        Path, list key, id field and what the list call supports. Keys and parent id
        fields derive from it (`ListStream`, `DetailChildStream`, `LineItemStream`).
        """
        return UnifiedZohoClient.entity(cls.product, cls.entity)

    @property
    def route(self) -> EntityRoute:
        """The stream's route, read from the table on each use."""
        return self.entity_route()

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
        return to_utc(value) if isinstance(value, str) else None

    def start_date(self) -> datetime | None:
        """`start_date` from the config, as an aware UTC datetime."""
        raw = self.config.get("start_date")
        return to_utc(str(raw)) if raw else None


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
