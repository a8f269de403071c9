# ruff: noqa: EM101 - CrmError takes Zoho's code and message as data, not prose
"""Bulk Read: `POST /crm/bulk/v8/read`, job status, and the ZIP/CSV result.

A job moves ADDED → IN PROGRESS → COMPLETED by elapsed time on the emulator clock
(`added_seconds`, `progress_seconds`; tests shorten them or advance the clock). The
result is a ZIP holding `{job_id}.csv`, produced while it is sent: rows are generated in
chunks from a cursor and compressed into a streaming ZIP, so exporting a million
records needs no more memory than one chunk. A job covers up to `page_size` (200,000)
records; `result.next_page_token` starts the next job where this one ended.
"""

from __future__ import annotations

import csv
import io
import itertools
import threading
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from zoho_emulator.crm import coql, errors
from zoho_emulator.crm.catalog import ID_PREFIX, FieldSpec, ModuleFault, ModuleSpec
from zoho_emulator.crm.people import API_USER
from zoho_emulator.crm.serving import serve
from zoho_emulator.crm.store import Converted, SortKey
from zoho_emulator.crm.system_keys import UNDECLARED_FIELD, undeclared
from zoho_emulator.crm.timefmt import parse_datetime
from zoho_emulator.crm.tokens import PageCursor
from zoho_emulator.responses import json_response

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.requests import Request

    from zoho_emulator.crm.service import Crm

PAGE_SIZE = 200_000
CHUNK_ROWS = 2_000
JOB_CREDITS = 50
_COMPARATORS = {
    "equal": "=", "not_equal": "!=", "greater_than": ">", "greater_equal": ">=",
    "less_than": "<", "less_equal": "<=", "in": "in", "not_in": "not in",
}  # fmt: skip


@dataclass(slots=True)
class BulkJob:
    """One Bulk Read job."""

    id: str
    module: ModuleSpec
    fields: list[FieldSpec]
    criteria: coql.Condition | None
    query: dict[str, Any]
    page: int
    after: SortKey | None
    served_before: int
    created: int
    callback: dict[str, Any] | None
    result: dict[str, Any] | None = None
    end_key: SortKey | None = None
    callback_sent: bool = False
    started: float = 0.0
    """The emulator clock at creation, with fractions (states change by elapsed time)."""
    lock: threading.Lock = field(default_factory=threading.Lock)


class _ChunkSink:
    """A write-only stream (no `tell`/`seek`): zipfile then writes data descriptors."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def close(self) -> None:
        """The sink owns no resource; `take` empties it."""

    def flush(self) -> None:
        """Nothing to flush: chunks are handed out by `take`."""

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


class BulkReads:
    """The org's Bulk Read jobs."""

    def __init__(self, crm: Crm) -> None:
        """No jobs yet; timings suit interactive use and can be shortened by tests."""
        self.crm = crm
        self.jobs: dict[str, BulkJob] = {}
        self.added_seconds = 1.0
        self.progress_seconds = 2.0
        self.page_size = PAGE_SIZE
        self._next = 0
        self._lock = threading.Lock()

    # ---- creating ------------------------------------------------------------------
    def create(self, body: Any) -> Response:  # noqa: ANN401 - any JSON body
        """Validate the request and queue a job (HTTP 201)."""
        if not isinstance(body, dict):
            raise errors.CrmError("INVALID_DATA", "invalid data", 400, {"api_name": "body"})
        query = body.get("query")
        if not isinstance(query, dict):
            raise _mandatory("query")
        module_ref = query.get("module")
        name = module_ref.get("api_name") if isinstance(module_ref, dict) else module_ref
        if not isinstance(name, str) or not name:
            raise _mandatory("module")
        module = self.crm.module(name)
        if module is None or not module.api_supported or not module.has_records:
            raise errors.CrmError(
                "INVALID_DATA", "the given module is not supported", 400, {"api_name": "module"}
            )
        if module.fault is ModuleFault.SCOPE:
            raise errors.scope_mismatch()
        fields = self._fields(module, query.get("fields"))
        criteria = self._criteria(module, query.get("criteria"))
        file_type = body.get("file_type", "csv")
        if file_type not in {"csv", "ics"} or (file_type == "ics" and module.api_name != "Events"):
            raise errors.CrmError("INVALID_DATA", "invalid data", 400, {"api_name": "file_type"})
        callback = body.get("callback")
        if callback is not None and not (
            isinstance(callback, dict) and str(callback.get("url", "")).startswith("http")
        ):
            raise errors.CrmError("INVALID_DATA", "invalid data", 400, {"api_name": "callback"})
        page, after, served = self._position(module, fields, criteria, query)
        now = self.crm.store.now()
        with self._lock:
            self._next += 1
            job_id = str(ID_PREFIX + 5_000_000 + self._next)
            job = BulkJob(
                job_id,
                module,
                fields,
                criteria,
                query,
                page,
                after,
                served,
                now,
                callback,
                started=self.crm.emulator.clock.time(),
            )
            self.jobs[job_id] = job
        if callback is not None:
            timer = threading.Timer(
                self.added_seconds + self.progress_seconds + 0.01, self._callback, (job,)
            )
            timer.daemon = True
            timer.start()
        details = {
            "id": job_id,
            "operation": "read",
            "state": "ADDED",
            "created_by": {"id": API_USER.id, "name": API_USER.full_name},
            "created_time": self.crm.store.dataset.dt(now),
        }
        success = {
            "status": "success", "code": "ADDED_SUCCESSFULLY",
            "message": "Added successfully.", "details": details,
        }  # fmt: skip
        return json_response({"data": [success], "info": {}}, 201)

    def _fields(self, module: ModuleSpec, raw: Any) -> list[FieldSpec]:  # noqa: ANN401
        if raw is None:
            return [spec for spec in module.fields if not spec.list_hidden]
        if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
            raise errors.CrmError("INVALID_DATA", "invalid data", 400, {"api_name": "fields"})
        result = []
        for name in dict.fromkeys(raw):
            if name in {"id", "Id"}:
                continue
            spec = module.by_name.get(name)
            if spec is None or spec.list_hidden:
                raise errors.CrmError(
                    "INVALID_DATA", "invalid data", 400, {"api_name": name, "param": "fields"}
                )
            result.append(spec)
        return result

    def _criteria(  # noqa: C901, PLR0912 - one branch per criteria form Zoho accepts
        self,
        module: ModuleSpec,
        raw: Any,  # noqa: ANN401
    ) -> coql.Condition | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise _invalid_criteria()
        if "group" in raw:
            operator = raw.get("group_operator")
            group = raw.get("group")
            if operator not in {"and", "or"} or not isinstance(group, list) or len(group) < 2:  # noqa: PLR2004
                raise _invalid_criteria()
            conditions = [self._criteria(module, item) for item in group]
            combined: coql.Condition | None = conditions[0]
            for condition in conditions[1:]:
                if combined is None or condition is None:
                    raise _invalid_criteria()
                combined = coql.Junction(operator, combined, condition)
            return combined
        field_ref = raw.get("field")
        name = field_ref.get("api_name") if isinstance(field_ref, dict) else raw.get("api_name")
        comparator = _COMPARATORS.get(str(raw.get("comparator")))
        if not isinstance(name, str) or comparator is None or "value" not in raw:
            raise _invalid_criteria()
        spec = None if name == "id" else module.by_name.get(name)
        if spec is None and name != "id":
            raise _invalid_criteria()
        value = raw["value"]
        if spec is not None and spec.data_type == "datetime":
            moment = parse_datetime(value) if isinstance(value, str) else None
            if moment is None:
                raise _invalid_criteria()
            value = moment
        elif spec is None:
            value = int(value) if str(value).isdigit() else None
            if value is None:
                raise _invalid_criteria()
        if comparator in {"in", "not in"}:
            value = tuple(value) if isinstance(value, list) else (value,)
        return coql.Comparison(spec, comparator, value)

    def _binding(
        self, module: ModuleSpec, fields: list[FieldSpec], criteria: coql.Condition | None
    ) -> str:
        return self.crm.page_tokens.binding(
            "bulk:" + module.api_name,
            {"fields": ",".join(spec.api_name for spec in fields), "criteria": repr(criteria)},
        )

    def _position(
        self,
        module: ModuleSpec,
        fields: list[FieldSpec],
        criteria: coql.Condition | None,
        query: dict[str, Any],
    ) -> tuple[int, SortKey | None, int]:
        token = query.get("page_token")
        if token is not None:
            if "page" in query:
                raise errors.ambiguity(["page", "page_token"])
            cursor = self.crm.page_tokens.read(
                str(token), self._binding(module, fields, criteria), self.crm.store.now()
            )
            return (
                cursor.served // self.page_size + 1,
                (cursor.primary, cursor.index),
                cursor.served,
            )
        page = query.get("page", 1)
        if not isinstance(page, int) or page < 1:
            raise errors.CrmError("INVALID_DATA", "invalid data", 400, {"api_name": "page"})
        if page > 1:
            # Zoho: pages after the first are reached with the previous job's page_token.
            raise errors.CrmError(
                "INVALID_DATA", "use page_token to fetch pages beyond the first", 400,
                {"api_name": "page"},
            )  # fmt: skip
        return 1, None, 0

    # ---- status ----------------------------------------------------------------------
    def state(self, job: BulkJob) -> str:
        """ADDED, IN PROGRESS or COMPLETED, by time since creation."""
        elapsed = self.crm.emulator.clock.time() - job.started
        if elapsed < self.added_seconds:
            return "ADDED"
        if elapsed < self.added_seconds + self.progress_seconds:
            return "IN PROGRESS"
        return "COMPLETED"

    def _keys(self, job: BulkJob, after: SortKey | None) -> Iterator[SortKey]:
        since = coql._bound(job.criteria, "Modified_Time")  # noqa: SLF001
        return self.crm.store.ordered(
            job.module.api_name, descending=False, since=since,
            converted=Converted.BOTH, after=after,
        )  # fmt: skip

    def _existing_keys(self, job: BulkJob, after: SortKey | None) -> Iterator[SortKey]:
        module = job.module.api_name
        for key in self._keys(job, after):
            if self.crm.store.created_time(module, key[1]) <= job.created:
                yield key

    def _rows(
        self, job: BulkJob, after: SortKey | None
    ) -> Iterator[tuple[SortKey, dict[str, Any]]]:
        store = self.crm.store
        module = job.module.api_name
        wanted = {spec.api_name: spec for spec in job.fields}
        coql._collect(job.criteria, wanted)  # noqa: SLF001
        specs = list(wanted.values())
        for key in self._keys(job, after):
            index = key[1]
            if store.created_time(module, index) > job.created:
                continue
            values = store.record(module, index, specs)
            if job.criteria is not None:
                comparable = dict(values)
                comparable["id"] = int(values["id"])
                comparable["Modified_Time"] = store.modified_time(module, index)
                comparable["Created_Time"] = store.created_time(module, index)
                if not coql._matches(job.criteria, comparable):  # noqa: SLF001
                    continue
            yield key, values

    def _complete(self, job: BulkJob) -> dict[str, Any]:
        with job.lock:
            if job.result is not None:
                return job.result
            with self.crm.store.lock:
                count, last, more = 0, job.after, False
                # Without criteria, counting needs keys only (no values are generated).
                keyed = (
                    self._existing_keys(job, job.after)
                    if job.criteria is None
                    else (key for key, _ in self._rows(job, job.after))
                )
                for key in keyed:
                    if count == self.page_size:
                        more = True
                        break
                    count, last = count + 1, key
            result: dict[str, Any] = {
                "page": job.page,
                "per_page": self.page_size,
                "count": count,
                "download_url": f"/crm/bulk/v8/read/{job.id}/result",
                "more_records": more,
            }
            if more and last is not None:
                binding = self._binding(job.module, job.fields, job.criteria)
                expires = self.crm.store.now() + 86_400
                result["next_page_token"] = self.crm.page_tokens.issue(
                    PageCursor(binding, last[0], last[1], job.served_before + count, expires)
                )
            job.end_key = last
            job.result = result
            return result

    def status(self, job_id: str) -> Response:
        """`GET /crm/bulk/v8/read/{job_id}`."""
        job = self.jobs.get(job_id)
        if job is None:
            return _not_found(job_id)
        state = self.state(job)
        body: dict[str, Any] = {
            "id": job.id,
            "operation": "read",
            "state": state,
            "query": {
                "module": {"api_name": job.module.api_name, "id": job.module.module_id},
                "fields": [spec.api_name for spec in job.fields],
                "page": job.page,
                "cvid": None,
                "criteria": job.query.get("criteria"),
            },
            "created_by": {"id": API_USER.id, "name": API_USER.full_name},
            "created_time": self.crm.store.dataset.dt(job.created),
            "file_type": "csv",
        }
        if state == "COMPLETED":
            body["result"] = self._complete(job)
            self._callback(job)
        return json_response({"data": [body]})

    def _callback(self, job: BulkJob) -> None:
        """POST the finished job to `callback.url`, once (when it completes or is seen so).

        Zoho's payload shape is undocumented in detail: the job status with `job_id`.
        """
        if job.callback is None or self.state(job) != "COMPLETED":
            return
        with job.lock:
            if job.callback_sent:
                return
            job.callback_sent = True
        payload = {
            "job_id": job.id,
            "operation": "read",
            "state": "COMPLETED",
            "query": {
                "module": {"api_name": job.module.api_name, "id": job.module.module_id},
                "fields": [spec.api_name for spec in job.fields],
                "page": job.page,
            },
            "result": self._complete(job),
        }
        self.crm.channels.send(str(job.callback["url"]), payload)

    # ---- result ------------------------------------------------------------------------
    def result(self, job_id: str) -> Response:
        """`GET /crm/bulk/v8/read/{job_id}/result`: the streamed ZIP."""
        job = self.jobs.get(job_id)
        if job is None:
            return _not_found(job_id)
        if self.state(job) != "COMPLETED":
            return errors.CrmError(
                "INVALID_REQUEST", "the job is not completed yet", 400, {"job_id": job_id}
            ).response
        result = self._complete(job)
        return StreamingResponse(
            self._zip(job, int(result["count"])),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{job.id}.zip"'},
        )

    def _zip(self, job: BulkJob, count: int) -> Iterator[bytes]:
        sink = _ChunkSink()
        archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED)
        with archive, archive.open(f"{job.id}.csv", "w", force_zip64=True) as member:
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            # The other answer `crm-undeclared-fields` adds a column no metadata lists.
            extra = [UNDECLARED_FIELD] if undeclared(self.crm) else []
            writer.writerow(["Id", *(spec.api_name for spec in job.fields), *extra])
            member.write(text.getvalue().encode())
            tags_json = self.crm.emulator.answers("crm-bulk-tag-json")
            after, remaining = job.after, count
            while remaining > 0:
                text.seek(0)
                text.truncate()
                with self.crm.store.lock:
                    chunk = list(
                        itertools.islice(self._rows(job, after), min(CHUNK_ROWS, remaining))
                    )
                if not chunk:
                    break
                for key, values in chunk:
                    cells = [_cell(values.get(s.api_name), tags_json=tags_json) for s in job.fields]
                    writer.writerow([values["id"], *cells, *("Available" for _ in extra)])
                    after = key
                remaining -= len(chunk)
                member.write(text.getvalue().encode())
                data = sink.take()
                if data:
                    yield data
        yield sink.take()

    def routes(self) -> list[Route]:
        """The three Bulk Read routes."""
        emulator = self.crm.emulator

        async def create(request: Request) -> Response:
            raw = await request.body()
            try:
                body = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                body = None
            return await serve(
                emulator, request, "crm:/bulk/read", lambda: self.create(body), cost=JOB_CREDITS
            )

        async def status(request: Request) -> Response:
            job_id = request.path_params["job_id"]
            return await serve(
                emulator, request, "crm:/bulk/read/{id}", lambda: self.status(job_id), cost=0
            )

        async def download(request: Request) -> Response:
            job_id = request.path_params["job_id"]
            return await serve(
                emulator, request, "crm:/bulk/read/{id}/result",
                lambda: self.result(job_id), cost=0,
            )  # fmt: skip

        return [
            Route("/crm/bulk/v8/read", create, methods=["POST"]),
            Route("/crm/bulk/v8/read/{job_id}", status, methods=["GET"]),
            Route("/crm/bulk/v8/read/{job_id}/result", download, methods=["GET"]),
        ]


def _cell(value: Any, *, tags_json: bool = False) -> str:  # noqa: ANN401
    """Bulk CSV cells are plain strings: lookups by id, multi-selects and tags `;`-joined.

    Zoho does not document how `Tag` (an array of `{name, id, color_code}` objects) is
    written; the `crm-bulk-tag-json` answer writes such arrays as their JSON text.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value.get("id", ""))
    if isinstance(value, list):
        if tags_json and value and all(_is_tag(item) for item in value):
            return orjson.dumps(value).decode()
        return ";".join(_item(item) for item in value)
    return str(value)


def _is_tag(item: Any) -> bool:  # noqa: ANN401 - any JSON value
    return isinstance(item, dict) and "name" in item and "color_code" in item


def _item(item: Any) -> str:  # noqa: ANN401 - any JSON value
    """One element of a multi-valued cell: `Tag` objects by name, `Tax` objects by value."""
    if isinstance(item, dict):
        return str(item.get("name") or item.get("value") or item.get("id") or "")
    return str(item)


def _mandatory(name: str) -> errors.CrmError:
    return errors.CrmError(
        "MANDATORY_NOT_FOUND", "required field not found", 400, {"api_name": name}
    )


def _invalid_criteria() -> errors.CrmError:
    return errors.CrmError("INVALID_DATA", "invalid data", 400, {"api_name": "criteria"})


def _not_found(job_id: str) -> Response:
    return errors.CrmError(
        "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.", 404, {"resource": job_id}
    ).response
