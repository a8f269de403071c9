# ruff: noqa: EM101 - CrmError takes Zoho's code and message as data, not prose
"""`GET /crm/v8/{module}`, `/{module}/{id}` and `/{module}/deleted`: Zoho's read rules.

Strictness is the point: `fields` is mandatory and capped at 50, `per_page` at 200,
`page` paging stops at 2,000 records, `page` and `page_token` exclude each other,
tokens are bound to their parameters, converted Leads are hidden by default, and an
empty answer has no body (204, or 304 when `If-Modified-Since` finds nothing newer).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from zoho_emulator.crm import errors, system_keys
from zoho_emulator.crm.catalog import FieldSpec, ModuleFault, ModuleSpec
from zoho_emulator.crm.store import Converted, SortKey
from zoho_emulator.crm.timefmt import parse_datetime
from zoho_emulator.crm.tokens import MAX_TOKEN_RECORDS, TOKEN_LIFETIME, PageCursor
from zoho_emulator.responses import json_response

if TYPE_CHECKING:
    from collections.abc import Mapping

    from zoho_emulator.crm.service import Crm

MAX_FIELDS = 50
MAX_PER_PAGE = 200
MAX_IDS = 100
DISCRETE_LIMIT = 2_000
SORT_FIELDS = ("id", "Created_Time", "Modified_Time")


def readable_module(name: str, crm: Crm) -> ModuleSpec:
    """The module a record call names, or Zoho's refusal."""
    if name in {"settings", "actions", "coql", "org", "users"}:
        # Paths under these names are APIs of their own, not modules.
        raise errors.invalid_url()
    spec = crm.module(name)
    if spec is None or not spec.api_supported:
        raise errors.invalid_module()
    if spec.fault is ModuleFault.SCOPE:
        raise errors.scope_mismatch()
    return spec


def requested_fields(spec: ModuleSpec, query: Mapping[str, str]) -> list[FieldSpec]:
    """The `fields` parameter: mandatory, at most 50, every name a field of the module."""
    raw = query.get("fields")
    if raw is None or not raw.strip():
        raise errors.required_param("fields")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        raise errors.required_param("fields")
    if len(names) > MAX_FIELDS:
        raise errors.limit_exceeded("fields", MAX_FIELDS)
    result = []
    for name in dict.fromkeys(names):
        if name == "id":
            continue
        spec_field = spec.by_name.get(name)
        if spec_field is None:
            raise errors.CrmError(
                "INVALID_DATA", "invalid data", 400, {"api_name": name, "param_name": "fields"}
            )
        result.append(spec_field)
    return result


def int_param(query: Mapping[str, str], name: str, default: int) -> int:
    """A positive integer parameter (page, per_page), or Zoho's INVALID_DATA."""
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise errors.invalid_param(name)
    return int(raw)


def _since(crm: Crm, headers: Mapping[str, str]) -> int | None:
    """The first `Modified_Time` (whole seconds) that `If-Modified-Since` lets through.

    Zoho does not say whether the header means at-or-after or strictly after; the
    `crm-modified-since-exclusive` answer reads it as strictly after (one second later:
    CRM times have no fractions).
    """
    raw = headers.get("if-modified-since")
    if raw is None:
        return None
    since = parse_datetime(raw)
    if since is None:
        raise errors.CrmError(
            "INVALID_DATA", "invalid data", 400, {"header_name": "If-Modified-Since"}
        )
    return since + 1 if crm.emulator.answers("crm-modified-since-exclusive") else since


def converted_param(query: Mapping[str, str]) -> Converted:
    """`converted=false|true|both` (converted Leads are hidden by default)."""
    raw = query.get("converted", "false").lower()
    try:
        return Converted(raw)
    except ValueError:
        raise errors.invalid_param("converted") from None


def list_records(  # noqa: C901, PLR0915 - Zoho's parameter rules, in Zoho's order
    crm: Crm, module: str, query: Mapping[str, str], headers: Mapping[str, str]
) -> Response:
    """`GET /crm/v8/{module}`."""
    spec = readable_module(module, crm)
    fields = requested_fields(spec, query)
    converted = converted_param(query)
    since = _since(crm, headers)
    if "ids" in query:
        return _by_ids(crm, spec, fields, query["ids"])
    if "cvid" in query:
        if "sort_by" in query:
            raise errors.ambiguity(["cvid", "sort_by"])
        raise errors.invalid_param("cvid", "the id given seems to be invalid")
    sort_by = query.get("sort_by", "id")
    sortable = [name for name in SORT_FIELDS if name == "id" or name in spec.by_name]
    if sort_by not in sortable:  # a module without Modified_Time cannot be sorted by it
        raise errors.invalid_param("sort_by", supported_values=sortable)
    sort_order = query.get("sort_order", "desc")
    if sort_order not in {"asc", "desc"}:
        raise errors.invalid_param("sort_order", supported_values=["asc", "desc"])
    per_page = int_param(query, "per_page", MAX_PER_PAGE)
    if per_page > MAX_PER_PAGE:
        raise errors.invalid_param("per_page", maximum_length=MAX_PER_PAGE)
    token = query.get("page_token")
    if token is not None and "page" in query:
        raise errors.ambiguity(["page", "page_token"])
    page = int_param(query, "page", 1)
    if token is None and page * per_page > DISCRETE_LIMIT:
        raise errors.CrmError(
            "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
            "You can only get the first 2000 records without using page_token param",
            400,
            {"limit": DISCRETE_LIMIT},
        )
    bound = {
        "fields": ",".join(field.api_name for field in fields),
        "sort_by": sort_by,
        "sort_order": sort_order,
        "converted": converted.value,
        "per_page": str(per_page),
        "since": str(since),
    }
    binding = crm.page_tokens.binding(spec.api_name, bound)
    now = crm.store.now()
    after: SortKey | None = None
    served_before = (page - 1) * per_page
    if token is not None:
        cursor = crm.page_tokens.read(
            token, binding, now,
            expiry_as_invalid_data=crm.emulator.answers("crm-page-token-invalid-data"),
        )  # fmt: skip
        if cursor.served >= MAX_TOKEN_RECORDS:
            raise errors.CrmError(
                "PAGINATION_LIMIT_EXCEEDED",
                "You can only get the first 100000 records using page_token",
                400,
                {"limit": MAX_TOKEN_RECORDS},
            )
        after = (cursor.primary, cursor.index)
        served_before = cursor.served
    with crm.store.lock:
        keys = crm.store.ordered(
            spec.api_name,
            sort_by=sort_by,
            descending=sort_order == "desc",
            since=since,
            converted=converted,
            after=after,
        )
        skip = 0 if token is not None else served_before
        window = list(itertools.islice(keys, skip, skip + per_page + 1))
        more = len(window) > per_page
        window = window[:per_page]
        data = crm.store.records(spec.api_name, (index for _, index in window), fields)
    data = [system_keys.add_to_record(crm, row) for row in data]
    if not data:
        first_call = token is None and page == 1
        return Response(status_code=304 if since is not None and first_call else 204)
    info: dict[str, Any] = {
        "call": False,
        "per_page": per_page,
        "count": len(data),
        "page": served_before // per_page + 1,
        "sort_by": sort_by,
        "sort_order": sort_order,
        "email": False,
        "more_records": more,
        "next_page_token": None,
        "previous_page_token": None,
        "page_token_expiry": None,
    }
    if more:
        last = window[-1]
        expires = now + TOKEN_LIFETIME
        info["next_page_token"] = crm.page_tokens.issue(
            PageCursor(binding, last[0], last[1], served_before + len(data), expires)
        )
        info["page_token_expiry"] = crm.store.dataset.dt(expires)
    return json_response({"data": data, "info": info})


def _by_ids(crm: Crm, spec: ModuleSpec, fields: list[FieldSpec], raw: str) -> Response:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise errors.invalid_param("ids")
    if len(ids) > MAX_IDS:
        raise errors.limit_exceeded("ids", MAX_IDS, "Record count exceeded")
    with crm.store.lock:
        data = []
        for record in dict.fromkeys(ids):
            index = crm.store.find(spec.api_name, record)
            if index is not None:
                data.append(
                    system_keys.add_to_record(crm, crm.store.record(spec.api_name, index, fields))
                )
    if not data:
        return Response(status_code=204)
    info = {
        "call": False, "per_page": len(data), "count": len(data), "page": 1,
        "email": False, "more_records": False,
    }  # fmt: skip
    return json_response({"data": data, "info": info})


def count_records(crm: Crm, module: str, query: Mapping[str, str]) -> Response:
    """`GET /crm/v8/{module}/actions/count`, also of a search (`criteria`/`email`/`phone`/`word`).

    The `crm-count-forbidden` answer refuses it with 403 NO_PERMISSION, as an org whose
    profile lacks the permission does.
    """
    spec = readable_module(module, crm)
    if crm.emulator.answers("crm-count-forbidden"):
        raise errors.no_permission()
    if "cvid" in query:
        raise errors.invalid_param("cvid", "the id given seems to be invalid")
    if any(name in query for name in ("criteria", "email", "phone", "word")):
        from zoho_emulator.crm.search import matching_indexes  # noqa: PLC0415 - import cycle

        return json_response({"count": len(matching_indexes(crm, spec, query))})
    return json_response({"count": crm.store.count(spec.api_name, converted_param(query))})


def get_record(
    crm: Crm, module: str, record: str, query: Mapping[str, str], headers: Mapping[str, str]
) -> Response:
    """`GET /crm/v8/{module}/{id}`: every field (or `fields`), subforms included."""
    spec = readable_module(module, crm)
    fields = requested_fields(spec, query) if "fields" in query else list(spec.fields)
    since = _since(crm, headers)
    with crm.store.lock:
        index = crm.store.find(spec.api_name, record)
        if index is None:
            raise errors.invalid_record_id(record)
        if since is not None and crm.store.modified_time(spec.api_name, index) < since:
            return Response(status_code=304)
        body = crm.store.record(spec.api_name, index, fields, detail=True)
    return json_response({"data": [system_keys.add_to_record(crm, body)]})


def deleted_records(
    crm: Crm, module: str, query: Mapping[str, str], headers: Mapping[str, str]
) -> Response:
    """`GET /crm/v8/{module}/deleted?type=all|recycle|permanent`, newest first."""
    spec = readable_module(module, crm)
    kind = query.get("type", "all")
    if kind not in {"all", "recycle", "permanent"}:
        raise errors.invalid_param("type", supported_values=["all", "recycle", "permanent"])
    per_page = int_param(query, "per_page", MAX_PER_PAGE)
    if per_page > MAX_PER_PAGE:
        raise errors.invalid_param("per_page", maximum_length=MAX_PER_PAGE)
    page = int_param(query, "page", 1)
    since = _since(crm, headers)
    with crm.store.lock:
        state = crm.store.modules[spec.api_name]
        entries = [
            state.deleted[index]
            for index in reversed(state.deleted_order)
            if (kind == "all" or state.deleted[index].type == kind)
            and (since is None or state.deleted[index].deleted_time >= since)
        ]
    window = entries[(page - 1) * per_page : page * per_page + 1]
    more = len(window) > per_page
    data = [
        system_keys.add_to_deleted(crm, entry.body(crm.store.dataset))
        for entry in window[:per_page]
    ]
    if not data:
        return Response(status_code=304 if since is not None and page == 1 else 204)
    info = {"per_page": per_page, "count": len(data), "page": page, "more_records": more}
    return json_response({"data": data, "info": info})
