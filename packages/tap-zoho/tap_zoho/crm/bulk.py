"""Bulk Read initial loads: one job per 200,000 records, streamed, resumable.

The job list is checkpointed in the partition's state under `crm_bulk`:
`{"cutoff", "job_id", "page_token", "page", "rows_done"}`. `cutoff` is the first job's
creation time: every record modified after it is read again by the incremental REST
read that follows, so records edited during the export are not lost. `rows_done` counts
the rows of the current job already emitted: an interrupted load re-downloads the same
job (Zoho keeps results for a day) and skips them; a job Zoho no longer knows is
recreated from the same `page_token`.

The ZIP is written to a temporary file as it arrives (a ZIP's directory is at its end,
so it cannot be read from a socket) and the CSV is decoded row by row from the archive:
memory stays flat whatever the size. CSV values are plain strings; they are typed here
by the field metadata (lookups become `{"id"}`, multi-selects lists, booleans, numbers).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tap_zoho.api.errors import ZohoAPIError
from tap_zoho.crm.schema import ARRAY_OF_OBJECT_TYPES, LOOKUP_TYPES, NUMBER_TYPES, CrmField
from tap_zoho.timefmt import utc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from tap_zoho.assumptions import FallbackLedger
    from tap_zoho.crm.api import CrmApi
    from tap_zoho.crm.schema import CrmModule

logger = logging.getLogger("tap_zoho.crm.bulk")

STATE_KEY = "crm_bulk"
DOWNLOAD_CHUNK = 1 << 20
POLL_FIRST_SECONDS = 1.0
POLL_MAX_SECONDS = 30.0
HTTP_NOT_FOUND = 404
csv.field_size_limit(1 << 26)


class BulkJobFailedError(RuntimeError):
    """Zoho reported the job FAILURE, or it did not finish in time."""


NAMED_ITEMS_EXCEPT = ARRAY_OF_OBJECT_TYPES | {"multiselectpicklist"}
"""Arrays whose CSV cell has a meaning of its own (unavailable, or `;`-joined values)."""


def named_items(value: str, on_json: Callable[[], None] | None = None) -> Any:  # noqa: ANN401
    """A cell of an array of named objects (`Tag`): `;`-joined names, or a JSON array.

    Zoho does not document how Bulk Read writes `Tag` (register entry
    `crm.bulk-tag-cell`): names become the array of objects REST sends (`[{"name": ...}]`,
    ids and colours arrive with the record's next change); a JSON array is that array,
    and `on_json` reports it (the other answer).
    """
    if not value:
        return None
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value  # kept as sent; the normalizer reports it once
        if not isinstance(parsed, list):
            return value
        if on_json is not None:
            on_json()
        return parsed
    return [{"name": name} for name in value.split(";") if name]


def cell_converter(  # noqa: C901, PLR0911 - per type
    spec: CrmField, on_json_tags: Callable[[], None] | None = None
) -> Callable[[str], Any]:
    """How to turn one CSV cell of this field into the JSON value REST would send.

    `on_json_tags` is called for each `Tag`-like cell written as a JSON array.
    """
    kind = spec.effective_type

    def text(value: str) -> Any:  # noqa: ANN401
        return value or None

    def lookup(value: str) -> Any:  # noqa: ANN401
        return {"id": value} if value else None

    def multi(value: str) -> Any:  # noqa: ANN401
        return value.split(";") if value else None

    def boolean(value: str) -> Any:  # noqa: ANN401
        return None if not value else value.lower() == "true"

    def integer(value: str) -> Any:  # noqa: ANN401
        try:
            return int(value) if value else None
        except ValueError:
            return value  # kept as sent; the normalizer reports it once

    def number(value: str) -> Any:  # noqa: ANN401
        try:
            return float(value) if value else None
        except ValueError:
            return value

    def unavailable(_: str) -> Any:  # noqa: ANN401
        return None  # file uploads and linked lists do not fit a CSV cell

    if not spec.json_type_known:
        return text  # an open schema: the cell as sent
    if spec.json_type == "jsonarray" and kind not in NAMED_ITEMS_EXCEPT:
        # `Tag`: array of objects that REST sends, names in a cell
        return lambda value: named_items(value, on_json_tags)
    if kind in LOOKUP_TYPES:
        return lookup
    if kind == "multiselectpicklist":
        return multi
    if kind == "boolean":
        return boolean
    if kind == "integer":
        return integer
    if kind in NUMBER_TYPES:
        return number
    if kind in ARRAY_OF_OBJECT_TYPES:
        return unavailable
    return text


def bulk_fields(fields: Sequence[CrmField]) -> list[CrmField]:
    """Fields a Bulk Read job can export (no subforms or multi-select lookups)."""
    return [spec for spec in fields if spec.in_lists and spec.api_name != "id"]


class BulkLoader:
    """Runs (or resumes) the Bulk Read jobs of one module's initial load."""

    def __init__(  # noqa: PLR0913 - the parts of one load
        self,
        api: CrmApi,
        module: CrmModule,
        *,
        stream: str,
        fields: Sequence[CrmField],
        checkpoint: dict[str, Any],
        since: datetime | None,
        poll_max_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        fallbacks: FallbackLedger | None = None,
    ) -> None:
        """`checkpoint` is the live `crm_bulk` dict of the partition state.

        `fallbacks` is the run's ledger: a `Tag` cell written as JSON is reported there.
        """
        self.api = api
        self.fallbacks = fallbacks
        self.module = module
        self.stream = stream
        self.fields = bulk_fields(fields)
        self.checkpoint = checkpoint
        self.since = since
        self.poll_max_seconds = poll_max_seconds
        self.sleep = sleep
        self.jobs = 0
        self.rows = 0

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record of the module (as of the jobs), typed; updates the checkpoint."""
        while True:
            if not self.checkpoint.get("job_id"):
                self._create(self.checkpoint.get("page_token"))
            result = self._wait()
            if result is None:  # Zoho forgot the job: recreate the same page
                self.checkpoint["job_id"] = None
                self.checkpoint["rows_done"] = 0
                continue
            yield from self._download(str(self.checkpoint["job_id"]))
            token = result.get("next_page_token")
            if not (result.get("more_records") and token):
                return
            self.checkpoint.update(
                job_id=None, page_token=token, rows_done=0,
                page=int(self.checkpoint.get("page", 1)) + 1,
            )  # fmt: skip

    @property
    def cutoff(self) -> str | None:
        """The first job's creation time (UTC): incremental reads continue from it."""
        value = self.checkpoint.get("cutoff")
        return str(value) if value else None

    def _create(self, page_token: str | None) -> None:
        query: dict[str, Any] = {
            "module": {"api_name": self.module.api_name},
            "fields": [spec.api_name for spec in self.fields],
        }
        if page_token:
            query["page_token"] = page_token
        else:
            query["page"] = 1
        if self.since is not None and any(s.api_name == "Modified_Time" for s in self.fields):
            query["criteria"] = {
                "field": {"api_name": "Modified_Time"}, "comparator": "greater_equal",
                "value": self.since.isoformat(timespec="seconds"),
            }  # fmt: skip
        asked_at = datetime.now(UTC)  # the cut-off if Zoho does not say when it created it
        details = self.api.bulk_create({"query": query, "file_type": "csv"}, stream=self.stream)
        self.jobs += 1
        job_id = str(details.get("id") or "")
        if not job_id:
            msg = f"stream {self.stream}: Bulk Read job creation returned no job id"
            raise BulkJobFailedError(msg)
        created = utc(details.get("created_time")) or asked_at.replace(microsecond=0)
        if not self.checkpoint.get("cutoff"):
            self.checkpoint["cutoff"] = created.isoformat()
        self.checkpoint.update(job_id=job_id, rows_done=0)
        self.checkpoint.setdefault("page", 1)
        logger.info(
            "stream %s: Bulk Read job %s created (page %s)",
            self.stream, job_id, self.checkpoint["page"],
        )  # fmt: skip

    def _wait(self) -> dict[str, Any] | None:
        job_id = str(self.checkpoint["job_id"])
        waited = 0.0
        delay = POLL_FIRST_SECONDS
        while True:
            try:
                status = self.api.bulk_status(job_id, stream=self.stream)
            except ZohoAPIError as error:
                if error.status == HTTP_NOT_FOUND:
                    logger.warning(
                        "stream %s: Bulk Read job %s is gone (%s); recreating its page",
                        self.stream, job_id, error.code,
                    )  # fmt: skip
                    return None
                raise
            state = str(status.get("state", ""))
            if state == "COMPLETED":
                return dict(status.get("result") or {})
            if state == "FAILURE":
                msg = f"stream {self.stream}: Bulk Read job {job_id} FAILED at Zoho"
                raise BulkJobFailedError(msg)
            if waited >= self.poll_max_seconds:
                msg = (
                    f"stream {self.stream}: Bulk Read job {job_id} still {state} after "
                    f"{waited:.0f}s; its id is kept in state, run again to resume"
                )
                raise BulkJobFailedError(msg)
            self.sleep(delay)
            waited += delay
            delay = min(delay * 2, POLL_MAX_SECONDS)

    def _download(self, job_id: str) -> Iterator[dict[str, Any]]:
        skip = int(self.checkpoint.get("rows_done") or 0)
        with tempfile.TemporaryFile(prefix="tap-zoho-bulk-") as spool:
            response = self.api.bulk_download(job_id, stream=self.stream)
            try:
                response.raw.decode_content = True
                shutil.copyfileobj(response.raw, spool, DOWNLOAD_CHUNK)
            finally:
                response.close()
            spool.seek(0)
            with zipfile.ZipFile(spool) as archive:
                member = next((name for name in archive.namelist() if name.endswith(".csv")), None)
                if member is None:
                    msg = f"stream {self.stream}: Bulk Read job {job_id} result has no CSV"
                    raise BulkJobFailedError(msg)
                with archive.open(member) as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                    yield from self._rows(text, skip)

    def _json_tags(self) -> None:
        """A `Tag` cell came as a JSON array: the other answer of `crm.bulk-tag-cell`."""
        if self.fallbacks is not None:
            self.fallbacks.fell_back(
                "crm.bulk-tag-cell", stream=self.stream,
                organization_id=self.module.organization_id,
                detail="a Bulk Read Tag cell holds a JSON array, not `;`-joined names",
            )  # fmt: skip

    def _rows(self, text: io.TextIOWrapper, skip: int) -> Iterator[dict[str, Any]]:
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            return
        by_name = {spec.api_name: spec for spec in self.fields}
        plan: list[tuple[str, Callable[[str], Any]]] = []
        for column in header:
            if column in {"Id", "id"}:
                plan.append(("id", str))
            elif column in by_name:
                plan.append((column, cell_converter(by_name[column], self._json_tags)))
            else:
                plan.append((column, lambda value: value or None))
        done = 0
        for row in reader:
            done += 1
            if done <= skip:
                continue
            record = {
                name: convert(value) for (name, convert), value in zip(plan, row, strict=False)
            }
            self.checkpoint["rows_done"] = done
            self.rows += 1
            yield record
