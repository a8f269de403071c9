"""`/__emulator/crm/...`: the CRM control API over HTTP, for clients in another process.

Each route is a thin twin of a `Crm` method (create, update, delete, convert, ground
truth, notification flush, Bulk Read timing). Errors are `{"error": ...}` with HTTP 400;
these routes are not Zoho's, so they need no Zoho error shapes.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import orjson
from starlette.routing import Route

from zoho_emulator.responses import json_response

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from zoho_emulator.crm.service import Crm

PREFIX = "/__emulator/crm"
MAX_RECORDS = 10_000
"""Ground-truth records per call unless `limit` says otherwise (it is for small scales)."""


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    parsed = orjson.loads(raw) if raw else {}
    if not isinstance(parsed, dict):
        msg = "the body must be a JSON object"
        raise TypeError(msg)
    return parsed


def routes(crm: Crm) -> list[Route]:  # noqa: C901, PLR0915 - one closure per endpoint
    """The CRM control routes."""

    async def mutate(request: Request) -> Response:
        module = request.path_params["module"]
        operation = request.path_params["operation"]
        try:
            body = await _body(request)
            ids = body.get("ids")
            count = int(body.get("count", 1))
            if operation == "create":
                result = crm.create(module, count, body.get("values"))
            elif operation == "update":
                result = crm.update(module, ids, body.get("values"), count)
            elif operation == "delete":
                result = crm.delete(module, ids, count, permanent=bool(body.get("permanent")))
            elif operation == "convert" and module == "Leads":
                return json_response(crm.convert_lead(str(body["id"])))
            else:
                return json_response({"error": f"unknown operation {operation!r}"}, 404)
        except (KeyError, ValueError, TypeError, orjson.JSONDecodeError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response({"ids": result})

    async def ids(request: Request) -> Response:
        module = request.path_params["module"]
        try:
            found = crm.live_ids(module, request.query_params.get("converted", "both"))
        except (KeyError, ValueError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response({"ids": found, "count": len(found)})

    async def records(request: Request) -> Response:
        module = request.path_params["module"]
        query = request.query_params
        try:
            limit = int(query.get("limit", str(MAX_RECORDS)))
            rows = list(
                itertools.islice(crm.records(module, query.get("converted", "both")), limit)
            )
        except (KeyError, ValueError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response({"records": rows, "count": len(rows)})

    async def deleted(request: Request) -> Response:
        try:
            entries = crm.deleted(request.path_params["module"])
        except KeyError as error:
            return json_response({"error": str(error)}, 400)
        return json_response({"deleted": entries})

    async def flush(_: Request) -> Response:
        try:
            delivered = crm.flush_notifications()
        except TimeoutError as error:
            return json_response({"error": str(error)}, 504)
        return json_response({"delivered": delivered})

    async def counts(request: Request) -> Response:
        try:
            body = await _body(request)
            crm.set_counts({str(module): int(count) for module, count in body.items()})
        except (KeyError, ValueError, TypeError, RuntimeError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response({"counts": crm.store.dataset.counts})

    async def enable_modules(request: Request) -> Response:
        try:
            body = await _body(request)
            crm.enable_modules(*(str(name) for name in body.get("modules") or []))
        except (ValueError, TypeError, AttributeError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response({"modules": [spec.api_name for spec in crm.modules()]})

    async def bulk_timing(request: Request) -> Response:
        body = await _body(request)
        for name in ("added_seconds", "progress_seconds"):
            if name in body:
                setattr(crm.bulk, name, float(body[name]))
        if "page_size" in body:
            crm.bulk.page_size = int(body["page_size"])
        return json_response(
            {
                "added_seconds": crm.bulk.added_seconds,
                "progress_seconds": crm.bulk.progress_seconds,
                "page_size": crm.bulk.page_size,
            }
        )

    return [
        Route(f"{PREFIX}/notifications/flush", flush, methods=["POST"]),
        Route(f"{PREFIX}/bulk/settings", bulk_timing, methods=["POST"]),
        Route(f"{PREFIX}/counts", counts, methods=["POST"]),
        Route(f"{PREFIX}/modules/enable", enable_modules, methods=["POST"]),
        Route(f"{PREFIX}/{{module}}/ids", ids, methods=["GET"]),
        Route(f"{PREFIX}/{{module}}/records", records, methods=["GET"]),
        Route(f"{PREFIX}/{{module}}/deleted", deleted, methods=["GET"]),
        Route(f"{PREFIX}/{{module}}/{{operation}}", mutate, methods=["POST"]),
    ]
