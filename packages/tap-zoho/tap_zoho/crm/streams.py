"""The CRM Singer streams: one per module, one per subform, and `crm_deleted_records`.

Streams are built at run time from CRM metadata (or from the catalog that metadata was
saved in), so each module gets its own stream class: the SDK links parents and children
by class, and each subform stream's class names its module's class as its parent.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_zoho.api.errors import ZohoAPIError, ZohoQuotaExhaustedError, ZohoRetryExhaustedError
from tap_zoho.crm.bulk import STATE_KEY, BulkLoader
from tap_zoho.crm.discovery import module_refused
from tap_zoho.crm.extra import ASSUMPTION as UNDECLARED_KEYS
from tap_zoho.crm.extra import SUBFORM_ROW_KEYS, UndeclaredKeys
from tap_zoho.crm.reader import ModuleReader
from tap_zoho.crm.schema import CrmModule, keep_all_properties, module_schema
from tap_zoho.crm.settings import DEFAULT_BULK_THRESHOLD
from tap_zoho.normalize import RecordNormalizer
from tap_zoho.table_version import VersionAfterCompleteSync
from tap_zoho.timefmt import utc

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context, Record

    from tap_zoho.crm.api import CrmApi
    from tap_zoho.crm.schema import CrmField
    from tap_zoho.run import ZohoRun

logger = logging.getLogger("tap_zoho.crm.streams")

MODIFIED_TIME = "Modified_Time"
FORMULA_STATE_KEY = "crm_formulas_refreshed_at"
PARENT_MODIFIED = "parent_modified_time"
SUBFORMS_READ_KEY = "crm_subforms_read"
"""Partition-state key: {record id: Modified_Time} of records whose subform rows were read
and that are still inside the lookback overlap. The overlap re-emits them every run;
their rows are only read again when the record changed (a subform edit changes the
record's Modified_Time), so an unchanged run costs no record call."""
SUBFORMS_READ_MAX = 1_000
HTTP_NOT_FOUND = 404
MIN_LOOKBACK = timedelta(seconds=1)
"""Zoho does not say whether `If-Modified-Since` lets the records of its own second
through (`crm.modified-since-inclusive`): a header at least one second before the
bookmark reads them again under either reading."""


class CrmStream(VersionAfterCompleteSync):
    """What every CRM stream shares: the org partition, the credit report, UTC values.

    A module without `Modified_Time` is full-table: its version is announced only after
    it synced completely, never when spent credits stopped CRM (`full_table.py`).
    """

    product: ClassVar[str] = "crm"

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    """`conform_records` does our normalizer's job again, recursively, at ~40% of a bulk
    load's CPU: records are shaped in `conform` instead (schema keys, coerced values)."""
    STATE_MSG_FREQUENCY = 1_000
    """Bulk loads checkpoint their row count in state; a STATE per 1,000 rows bounds the
    rows an interrupted load emits twice."""

    expected_undeclared: ClassVar[frozenset[str]] = frozenset()
    """Keys besides `$` keys that Zoho sends on this stream's records by design."""
    organization_id: str | None = None
    """The CRM org the stream reads (named when a fallback is reported)."""

    def __init__(
        self, tap: Tap, run: ZohoRun, api: CrmApi, schema: dict[str, Any], name: str
    ) -> None:
        """Normalize records to the schema like every other tap-zoho stream.

        `tap` is for the SDK alone; the stream reads the run's parts from `run`.
        """
        super().__init__(tap=tap, schema=schema, name=name)
        self._run = run
        self.api = api
        self.normalizer = RecordNormalizer(name, self.schema, on_fallback=self.fell_back)
        self.undeclared = UndeclaredKeys(
            name, self.schema.get("properties", {}), expected=self.expected_undeclared,
            report=lambda detail: self.fell_back(UNDECLARED_KEYS, detail),
        )  # fmt: skip

    def fell_back(self, assumption_id: str, detail: str) -> None:
        """Report a fallback of this stream to the run's ledger (warned once, counted)."""
        self.run.fallbacks.fell_back(
            assumption_id, stream=self.name, organization_id=self.organization_id,
            detail=detail,
        )  # fmt: skip

    def conform(self, row: Record) -> Record:
        """Undeclared keys into `zoho_extra` (nothing dropped), values coerced to their types."""
        return self.normalizer(self.undeclared(row))

    @property
    def lookback(self) -> timedelta:
        """Overlap applied to every `If-Modified-Since` (at least one second)."""
        return max(timedelta(seconds=int(self.config.get("lookback_seconds", 300))), MIN_LOOKBACK)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Records of `crm_records`; spent credits end the stream cleanly.

        Records come in bookmark order, so the SDK's state after a stop resumes where
        the stream stopped (a Bulk Read load keeps its job checkpoint in state).
        """
        try:
            yield from self.crm_records(context)
        except ZohoQuotaExhaustedError as exhausted:
            self.run.quota_stopped(self.name, exhausted)

    def crm_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """What the stream reads from Zoho (each CRM stream says how)."""
        raise NotImplementedError

    def report_credits(self) -> None:
        """Credits of this stream and its selected children (they sync per record)."""
        self.api.credits.report(self.name, self.organization_id)
        for child in self.child_streams:
            if child.selected:
                org = child.organization_id if isinstance(child, CrmStream) else None
                self.api.credits.report(child.name, org)

    def since(self, context: Context | None) -> datetime | None:
        """Bookmark (or `start_date`) minus the lookback; None on a first full load."""
        start = self.get_starting_timestamp(context)
        if start is None:
            return None
        return start.astimezone(UTC) - self.lookback

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        # Records inside the lookback overlap (or re-read out of order) are older than
        # the bookmark: they are emitted, but never move the bookmark backwards.
        if self.replication_key is None:
            return
        state = self.get_context_state(context)
        current = state.get("replication_key_value")
        value = latest_record.get(self.replication_key)
        if current is not None and (value is None or str(value) < str(current)):
            return
        super()._increment_stream_state(latest_record, context=context)


class CrmModuleStream(CrmStream):
    """`crm_<module>`: a module's records, incremental on `Modified_Time`."""

    is_sorted = True
    module: CrmModule

    def __init__(self, tap: Tap, run: ZohoRun, api: CrmApi, module: CrmModule) -> None:
        """Schema and replication key from the module's fields."""
        self.organization_id = module.organization_id
        super().__init__(tap, run, api, module_schema(module), module.stream_name)
        self.module = module
        self.primary_keys = ["organization_id", "id"]
        self.replication_key = MODIFIED_TIME if MODIFIED_TIME in module.by_name else None
        self._bulk_running = False
        self.last_read: ModuleReader | None = None
        self.last_bulk: BulkLoader | None = None

    @override
    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        return [{"organization_id": self.module.organization_id}]

    def selected_fields(self) -> list[CrmField]:
        """Fields selected in the catalog (all by default): unselected ones cost nothing."""
        return [
            spec
            for spec in self.module.fields
            if spec.api_name in {MODIFIED_TIME, "id"}
            or self.mask.get(("properties", spec.api_name), True)
        ]

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        row["organization_id"] = self.module.organization_id
        return self.conform(row)

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        if self._bulk_running:
            return  # bulk rows come in id order; the bookmark becomes the job cut-off
        if self.api.stopped is not None:
            # The SDK syncs a record's subform rows before it bookmarks the record: once
            # credits stopped CRM, this record's rows were not read, so the bookmark stays
            # before it and the next run reads the record (and its rows) again.
            return
        if self.subforms_selected:
            self._remember_subforms_read(latest_record, context)
        super()._increment_stream_state(latest_record, context=context)

    @property
    def subforms_selected(self) -> bool:
        """Whether any subform stream of this module is read in this run."""
        return any(child.selected or child.has_selected_descendents for child in self.child_streams)

    def _remember_subforms_read(self, record: Record, context: Context | None) -> None:
        modified = utc(record.get(MODIFIED_TIME))
        if modified is None or not self.replication_key:
            return
        state = self.get_context_state(context)
        read: dict[str, str] = state.setdefault(SUBFORMS_READ_KEY, {})
        record_id = str(record["id"])
        read.pop(record_id, None)  # re-inserted last: the map stays in Modified_Time order
        read[record_id] = str(record[MODIFIED_TIME])
        # Rows come in Modified_Time order: only the lookback window can be re-emitted,
        # so the oldest entries go first, and a mass edit inside one window cannot grow
        # the map (and every STATE message) past SUBFORMS_READ_MAX: beyond it an
        # overlap record costs its call again, never its rows.
        oldest = modified - self.lookback
        while read:
            first = next(iter(read))
            moment = utc(read[first])
            if moment is not None and moment >= oldest and len(read) <= SUBFORMS_READ_MAX:
                break
            del read[first]

    @override
    def crm_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        state = self.get_context_state(context)
        since = self.since(context)
        fields = self.selected_fields()
        if self.wants_bulk(state, since):
            checkpoint: dict[str, Any] = state.setdefault(STATE_KEY, {})
            yield from self._bulk(checkpoint, fields)
            cutoff = utc(checkpoint.get("cutoff"))
            state.pop(STATE_KEY, None)
            if cutoff is not None and self.replication_key:
                state["replication_key"] = self.replication_key
                state["replication_key_value"] = cutoff.isoformat()
                since = cutoff - self.lookback
            state[FORMULA_STATE_KEY] = datetime.now(UTC).isoformat()
        elif self.formulas_due(state) and since is not None:
            logger.info("stream %s: refreshing formula fields (full re-read)", self.name)
            since = None
        full_read = since is None
        reader = ModuleReader(
            self.api, self.module, stream=self.name, fields=fields,
            replication_key=self.replication_key, fallbacks=self.run.fallbacks,
        )  # fmt: skip
        self.last_read = reader
        yield from reader.read(since)
        if full_read:
            state[FORMULA_STATE_KEY] = datetime.now(UTC).isoformat()
        stats = reader.stats
        logger.info(
            "stream %s: %d records in %d pages, %d calls; %d re-read after changing "
            "between field batches, %d left for the next run",
            self.name, stats.records, stats.pages, stats.calls, stats.reread,
            len(stats.deferred),
        )  # fmt: skip
        self._hold_bookmark_below(state, stats.deferred)
        self.report_credits()

    def _bulk(self, checkpoint: dict[str, Any], fields: list[CrmField]) -> Iterator[dict[str, Any]]:
        start = self.config.get("start_date")
        loader = BulkLoader(
            self.api, self.module, stream=self.name, fields=fields, checkpoint=checkpoint,
            since=utc(str(start)) if start else None,
            poll_max_seconds=float(self.config.get("crm_bulk_poll_max_seconds", 3600)),
            fallbacks=self.run.fallbacks,
        )  # fmt: skip
        self.last_bulk = loader
        self._bulk_running = True
        try:
            yield from loader.records()
        finally:
            self._bulk_running = False
        logger.info(
            "stream %s: Bulk Read load done: %d rows from %d jobs; incremental from %s",
            self.name, loader.rows, loader.jobs, loader.cutoff,
        )  # fmt: skip

    def wants_bulk(self, state: dict[str, Any], since: datetime | None) -> bool:
        """A load in progress resumes; a first load of a big module starts one."""
        if STATE_KEY in state:
            return True
        threshold = int(self.config.get("crm_bulk_threshold", DEFAULT_BULK_THRESHOLD) or 0)
        if threshold <= 0 or state.get("replication_key_value") or not self.replication_key:
            return False
        count = self.record_count()
        if count is None:
            return False
        bulk = count >= threshold
        logger.info(
            "stream %s: first load of %d records (since %s): %s",
            self.name, count, since, "Bulk Read" if bulk else "REST paging",
        )  # fmt: skip
        return bulk

    def record_count(self) -> int | None:
        """`/actions/count`, or None (with a loud fallback) when Zoho will not give it.

        The count only chooses Bulk Read over REST for a first load; REST reads any size,
        so a refused, failed or malformed count never stops the module
        (register entry `crm.record-count`).
        """
        params = {"converted": "both"} if self.module.convertable else None
        path = f"/{self.module.api_name}/actions/count"
        try:
            body = self.api.get(path, stream=self.name, params=params, call="count")
            return int(body["count"]) if body else 0  # {}: 204, no records
        except ZohoQuotaExhaustedError:
            raise
        except ZohoAPIError as error:
            detail = f"GET /crm/v8{path} answered HTTP {error.status}, Zoho code {error.code}"
        except ZohoRetryExhaustedError as error:
            detail = f"GET /crm/v8{path} kept failing ({error})"
        except (KeyError, TypeError, ValueError):
            detail = f"GET /crm/v8{path} answered without a numeric `count`"
        self.run.fallbacks.fell_back(
            "crm.record-count", stream=self.name,
            organization_id=self.module.organization_id, detail=detail,
        )  # fmt: skip
        return None

    def formulas_due(self, state: dict[str, Any]) -> bool:
        """`crm_formula_refresh_hours` have passed since the last full read."""
        hours = int(self.config.get("crm_formula_refresh_hours", 0) or 0)
        if hours <= 0 or not any(s.data_type == "formula" for s in self.module.fields):
            return False
        last = utc(state.get(FORMULA_STATE_KEY))
        return last is None or datetime.now(UTC) - last >= timedelta(hours=hours)

    def _hold_bookmark_below(self, state: dict[str, Any], deferred: list[str]) -> None:
        moments = [moment for value in deferred if (moment := utc(value)) is not None]
        if not moments or not state.get("replication_key_value"):
            return
        floor = (min(moments) - timedelta(seconds=1)).isoformat()
        if floor < str(state["replication_key_value"]):
            state["replication_key_value"] = floor

    @override
    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> Iterable[Context | None]:
        if not self.subforms_selected:
            return
        read = self.get_context_state(context).get(SUBFORMS_READ_KEY) or {}
        modified = record.get(MODIFIED_TIME)
        if modified is not None and read.get(str(record["id"])) == str(modified):
            return  # re-emitted from the overlap, unchanged: its rows are already out
        yield {
            "organization_id": self.module.organization_id,
            "parent_id": str(record["id"]),
            PARENT_MODIFIED: modified,
        }


class CrmSubformStream(CrmStream):
    """`crm_<module>_<subform>`: subform rows of records changed in this run.

    Zoho returns subform rows only with a single-record GET, so each changed parent
    costs one call (one credit); the stream is only read when selected.
    """

    replication_key = PARENT_MODIFIED
    state_partitioning_keys: ClassVar[list[str]] = ["organization_id"]
    expected_undeclared = SUBFORM_ROW_KEYS
    module: CrmModule

    def __init__(self, tap: Tap, run: ZohoRun, api: CrmApi, module: CrmModule) -> None:
        """Key: organization, parent record, row id."""
        self.organization_id = module.organization_id
        super().__init__(tap, run, api, module_schema(module), module.stream_name)
        self.module = module
        self.primary_keys = ["organization_id", "parent_id", "id"]
        self.field_name = module.api_name

    @override
    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        return None

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        if context is not None:
            row["organization_id"] = context["organization_id"]
            row["parent_id"] = context["parent_id"]
            row[PARENT_MODIFIED] = context.get(PARENT_MODIFIED)
        return self.conform(row)

    @override
    def crm_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if context is None:
            return
        parent = str(self.module.parent)
        record_id = context["parent_id"]
        try:
            body = self.api.get(f"/{parent}/{record_id}", stream=self.name, call="record")
        except ZohoAPIError as error:
            if not _record_gone(error):
                raise
            # Deleted between the list and this call: its rows went with it, and
            # crm_deleted_records reports the deletion. One record must not stop the run.
            logger.warning(
                "stream %s: %s record %s is gone since it was listed (HTTP %s, Zoho code %s); "
                "no subform rows read for it", self.name, parent, record_id, error.status,
                error.code,
            )  # fmt: skip
            return
        for record in body.get("data") or []:
            for field_name, value in record.items():
                if isinstance(value, list) and _names_subform(field_name, self.module.api_name):
                    # Rows keep every key (`Parent_Id`, their own times: into zoho_extra).
                    yield from (dict(row) for row in value if isinstance(row, dict))


def _record_gone(error: ZohoAPIError) -> bool:
    """A single-record GET of a record deleted meanwhile: 404, or 400 naming the id."""
    return error.status == HTTP_NOT_FOUND or error.code in {"INVALID_DATA", "NOT_FOUND"}


def _names_subform(field_name: str, subform: str) -> bool:
    return field_name.lower() == subform.lower()


DELETED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "organization_id": {"type": ["string"]},
        "module": {"type": ["string"]},
        "id": {"type": ["string"]},
        "deleted_time": {"type": ["string", "null"], "format": "date-time"},
        "type": {"type": ["string", "null"]},
        "display_name": {"type": ["string", "null"]},
        "deleted_by": {
            "type": ["object", "null"],
            "properties": {
                "id": {"type": ["string", "null"]},
                "name": {"type": ["string", "null"]},
            },
            "additionalProperties": True,
        },
        "created_by": {
            "type": ["object", "null"],
            "properties": {
                "id": {"type": ["string", "null"]},
                "name": {"type": ["string", "null"]},
            },
            "additionalProperties": True,
        },
        **keep_all_properties(),
    },
}
"""Zoho's `Deleted_Record` (v8 OAS): six keys; anything else goes into `zoho_extra`."""


class CrmDeletedRecordsStream(CrmStream):
    """`crm_deleted_records`: `/{module}/deleted`, one bookmark per module.

    Zoho keeps recycle-bin entries 60 days (permanent deletions 120): a tap that does
    not run within 60 days misses deletions, which only a full reload reconciles.
    """

    is_sorted = True

    def __init__(self, tap: Tap, run: ZohoRun, api: CrmApi, modules: list[CrmModule]) -> None:
        """One partition per (non-subform) module."""
        self.organization_id = modules[0].organization_id if modules else None
        super().__init__(tap, run, api, DELETED_SCHEMA, "crm_deleted_records")
        self.modules = [module for module in modules if not module.parent]
        self.primary_keys = ["organization_id", "module", "id"]
        self.replication_key = "deleted_time"

    @override
    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        return [
            {"organization_id": module.organization_id, "module": module.api_name}
            for module in self.modules
        ]

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        if context is not None:
            row["organization_id"] = context["organization_id"]
            row["module"] = context["module"]
        return self.conform(row)

    @override
    def crm_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if context is None:
            return
        module = context["module"]
        since = self.since(context)
        entries: list[dict[str, Any]] = []
        page = 1
        while True:
            try:
                body = self.api.get(
                    f"/{module}/deleted", stream=self.name, since=since, call="deleted",
                    params={"type": "all", "page": page, "per_page": 200},
                )  # fmt: skip
            except ZohoAPIError as error:
                if not module_refused(error):
                    raise
                logger.warning(
                    "crm_deleted_records: module %s skipped (HTTP %s, Zoho code %s: %s)",
                    module, error.status, error.code, error.zoho_message,
                )  # fmt: skip
                break
            entries.extend(body.get("data") or [])
            if not (body.get("info") or {}).get("more_records"):
                break
            page += 1
        # Zoho lists newest first; ascending order makes the bookmark resumable.
        entries.sort(key=_deleted_order)
        yield from entries
        if self.partitions and context == self.partitions[-1]:
            self.report_credits()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _deleted_order(entry: dict[str, Any]) -> tuple[datetime, str]:
    return utc(entry.get("deleted_time")) or _EPOCH, str(entry.get("id"))


def module_stream_class(module: CrmModule) -> type[CrmModuleStream]:
    """A class of its own per module, so subform streams can name it as parent."""
    return type(f"CrmModuleStream_{module.api_name}", (CrmModuleStream,), {})


def subform_stream_class(parent: type[CrmModuleStream]) -> type[CrmSubformStream]:
    """A subform stream class whose parent is its module's stream class."""
    return type(f"{parent.__name__}_Subform", (CrmSubformStream,), {"parent_stream_type": parent})
