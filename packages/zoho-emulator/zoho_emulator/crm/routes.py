# ruff: noqa: EM101 - CrmError takes Zoho's code and message as data, not prose
"""Starlette routes of CRM v8: every request is authenticated, metered and credited.

Credits per call (what `metered(cost=...)` charges; Zoho's API-limits page):
GET records/metadata/deleted/users/org: 1 per call (up to 200 records); COQL: 1 for a
LIMIT up to 200, 2 up to 1,000, 3 up to 2,000; Bulk Read job creation: 50; job status and
download: 0; notification (watch) calls: 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response
from starlette.routing import Route

from zoho_emulator.crm import control, coql, errors, metadata, reads, search
from zoho_emulator.crm.catalog import BY_NAME, SUBFORM_FIELDS, ModuleFault
from zoho_emulator.crm.people import USERS, org_body
from zoho_emulator.crm.service import Crm
from zoho_emulator.crm.serving import serve
from zoho_emulator.responses import json_response

if TYPE_CHECKING:
    from starlette.requests import Request

    from zoho_emulator.emulator import Emulator


def _fields_metadata(crm: Crm, query: dict[str, str]) -> Response:
    name = query.get("module")
    if not name:
        raise errors.required_param("module")
    if name in SUBFORM_FIELDS:
        return json_response(metadata.subform_fields_body(name))
    spec = crm.module(name)
    if spec is None:
        raise errors.invalid_module()
    if spec.fault is ModuleFault.SCOPE:
        raise errors.scope_mismatch()
    if spec.fault is ModuleFault.NO_PERMISSION:
        raise errors.no_permission()
    if spec.fault is ModuleFault.NO_CONTENT or not spec.fields:
        return Response(status_code=204)
    field_type = query.get("type", "all")
    if field_type not in {"all", "used", "unused"}:
        raise errors.invalid_param("type")
    body = metadata.fields_body(
        spec, unknown_json_type=crm.emulator.answers("crm-unknown-json-type")
    )
    if field_type == "unused":
        body = {"fields": []}
    if not body["fields"]:
        return Response(status_code=204)
    return json_response(body)


MODULE_STATUSES = {"visible", "user_hidden", "system_hidden", "scheduled_for_deletion"}


def _modules(crm: Crm, status: str | None) -> Response:
    body = metadata.modules_body(crm.modules())
    if status is not None:
        wanted = {part.strip() for part in status.split(",")}
        if not wanted or not wanted <= MODULE_STATUSES:
            raise errors.invalid_param("status", supported_values=sorted(MODULE_STATUSES))
        body["modules"] = [module for module in body["modules"] if module["status"] in wanted]
    if not body["modules"]:
        return Response(status_code=204)
    return json_response(body)


def _module_metadata(crm: Crm, name: str) -> Response:
    spec = BY_NAME.get(name)
    if spec is None or spec not in crm.modules():
        raise errors.invalid_module()
    if spec.fault is ModuleFault.SCOPE:
        raise errors.scope_mismatch()
    body = metadata.module_body(spec)
    if spec.fields and spec.fault is None:
        unknown = crm.emulator.answers("crm-unknown-json-type")
        body["fields"] = metadata.fields_body(spec, unknown_json_type=unknown)["fields"]
    return json_response({"modules": [body]})


def _users(query: dict[str, str]) -> Response:
    kind = query.get("type", "AllUsers")
    if kind not in {"AllUsers", "ActiveUsers", "AdminUsers", "CurrentUser", "ActiveConfirmedUsers"}:
        raise errors.invalid_param("type")
    chosen = USERS[:1] if kind == "CurrentUser" else USERS
    if kind == "AdminUsers":
        chosen = tuple(user for user in USERS if user.profile == "Administrator")
    users = [
        {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "full_name": user.full_name,
            "email": user.email,
            "status": "active",
            "confirm": True,
            "role": {"name": user.role, "id": str(int(user.id) + 100)},
            "profile": {"name": user.profile, "id": str(int(user.id) + 200)},
            "time_zone": user.time_zone,
            "locale": "en_IN",
            "country_locale": "en_IN",
            "language": "en_US",
            "time_format": "hh:mm a",
            "date_format": "MMM d, yyyy",
            "created_time": "2021-04-01T09:30:00+05:30",
            "Modified_Time": "2024-03-18T11:20:45+05:30",
            "zuid": str(60_012_345 + position),
            "category": "regular_user",
        }
        for position, user in enumerate(chosen)
    ]
    info = {"per_page": 200, "count": len(users), "page": 1, "more_records": False}
    return json_response({"users": users, "info": info})


async def _json_body(request: Request) -> Any:  # noqa: ANN401 - any JSON value
    raw = await request.body()
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def routes(emulator: Emulator) -> list[Route]:  # noqa: C901 - one closure per endpoint
    """Every CRM route, bound to the emulator's CRM."""
    crm = Crm.of(emulator)

    async def modules_list(request: Request) -> Response:
        status = request.query_params.get("status")
        return await serve(
            emulator, request, "crm:/settings/modules", lambda: _modules(crm, status)
        )

    async def module_detail(request: Request) -> Response:
        name = request.path_params["api_name"]
        return await serve(
            emulator, request, "crm:/settings/modules/{api_name}",
            lambda: _module_metadata(crm, name),
        )  # fmt: skip

    async def fields_list(request: Request) -> Response:
        query = dict(request.query_params)
        return await serve(
            emulator, request, "crm:/settings/fields", lambda: _fields_metadata(crm, query)
        )

    async def org(request: Request) -> Response:
        return await serve(
            emulator, request, "crm:/org", lambda: json_response({"org": [org_body()]})
        )

    async def users(request: Request) -> Response:
        query = dict(request.query_params)
        return await serve(emulator, request, "crm:/users", lambda: _users(query))

    async def records(request: Request) -> Response:
        module = request.path_params["module"]
        query = dict(request.query_params)
        headers = dict(request.headers)
        return await serve(
            emulator, request, "crm:/{module}",
            lambda: reads.list_records(crm, module, query, headers),
        )  # fmt: skip

    async def record(request: Request) -> Response:
        module = request.path_params["module"]
        record_id = request.path_params["record_id"]
        query = dict(request.query_params)
        headers = dict(request.headers)
        if record_id == "deleted":
            return await serve(
                emulator, request, "crm:/{module}/deleted",
                lambda: reads.deleted_records(crm, module, query, headers),
            )  # fmt: skip
        return await serve(
            emulator, request, "crm:/{module}/{id}",
            lambda: reads.get_record(crm, module, record_id, query, headers),
        )  # fmt: skip

    async def count(request: Request) -> Response:
        module = request.path_params["module"]
        query = dict(request.query_params)
        return await serve(
            emulator, request, "crm:/{module}/actions/count",
            lambda: reads.count_records(crm, module, query),
        )  # fmt: skip

    async def search_records(request: Request) -> Response:
        module = request.path_params["module"]
        query = dict(request.query_params)
        return await serve(
            emulator, request, "crm:/{module}/search",
            lambda: search.search_records(crm, module, query),
        )  # fmt: skip

    async def coql_query(request: Request) -> Response:
        body = await _json_body(request)
        cost = coql.credit_cost(body)
        return await serve(emulator, request, "crm:/coql", lambda: coql.run(crm, body), cost=cost)

    return [
        Route("/crm/v8/settings/modules", modules_list, methods=["GET"]),
        Route("/crm/v8/settings/modules/{api_name}", module_detail, methods=["GET"]),
        Route("/crm/v8/settings/fields", fields_list, methods=["GET"]),
        Route("/crm/v8/org", org, methods=["GET"]),
        Route("/crm/v8/users", users, methods=["GET"]),
        Route("/crm/v8/coql", coql_query, methods=["POST"]),
        *control.routes(crm),
        *crm.bulk.routes(),
        *crm.channels.routes(),
        Route("/crm/v8/{module}/actions/count", count, methods=["GET"]),
        Route("/crm/v8/{module}/search", search_records, methods=["GET"]),
        Route("/crm/v8/{module}", records, methods=["GET"]),
        Route("/crm/v8/{module}/{record_id}", record, methods=["GET"]),
    ]
