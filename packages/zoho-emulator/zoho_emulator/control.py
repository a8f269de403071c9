"""The control API under `/__emulator/`, for tests, the demo and benchmarks.

It mutates data, injects faults, reads statistics and ground truth, and registers
webhooks.

Every call here has a Python twin on `Emulator` (`finance`, `faults`, `stats`, `clock`,
`tokens`, `webhooks`); the HTTP form exists for clients in another process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.routing import Route

from zoho_emulator.answers import PROFILES, UnknownAnswerError, profile
from zoho_emulator.faults import FaultKind, FaultRule
from zoho_emulator.finance.store import UnknownEntityError
from zoho_emulator.responses import json_response

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from zoho_emulator.emulator import Emulator

PREFIX = "/__emulator"


def _error(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        return {}
    parsed = orjson.loads(body)
    if not isinstance(parsed, dict):
        msg = "the body must be a JSON object"
        raise TypeError(msg)
    return parsed


def fault_rule(spec: dict[str, Any]) -> FaultRule:
    """A fault rule from its JSON form (`kind`, `route`, `probability`, `count`, ...)."""
    return FaultRule(
        kind=FaultKind(spec["kind"]),
        route_glob=str(spec.get("route", "*")),
        probability=float(spec.get("probability", 1.0)),
        remaining=None if spec.get("count") is None else int(spec["count"]),
        after=int(spec.get("after", 0)),
        status=int(spec.get("status", 500)),
        delay_seconds=float(spec.get("delay_seconds", 0.0)),
    )


def routes(emulator: Emulator) -> list[Route]:  # noqa: C901, PLR0915 - one closure per endpoint
    """The control routes of one emulator."""

    async def answers(request: Request) -> Response:
        """The other-answer switches: GET reads them, POST sets them.

        POST `{"profile": "docs-only", "answers": ["name", ...]}` turns on exactly the
        profile's switches plus the named ones (both optional; `{}` restores defaults).
        """
        if request.method == "POST":
            spec = await _json(request)
            try:
                chosen = profile(str(spec.get("profile", "default")))
                emulator.answers.set(chosen | set(spec.get("answers") or []))
            except UnknownAnswerError as error:
                return _error(str(error))
        return json_response(
            {"on": emulator.answers.on(), "profiles": {k: sorted(v) for k, v in PROFILES.items()}}
        )

    async def stats(_: Request) -> Response:
        return json_response(emulator.stats.snapshot())

    async def stats_reset(_: Request) -> Response:
        emulator.stats.reset()
        return json_response(emulator.stats.snapshot())

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            emulator.faults.clear()
            return json_response({"cleared": True})
        try:
            spec = await _json(request)
            rules = [fault_rule(item) for item in spec.get("rules", [spec])]
        except (KeyError, ValueError, TypeError) as error:
            return _error(f"invalid fault rule: {error}")
        for rule in rules:
            emulator.faults.add(rule)
        return json_response({"added": len(rules), "injected": emulator.faults.injected})

    async def clock_advance(request: Request) -> Response:
        try:
            seconds = float((await _json(request))["seconds"])
            emulator.clock.advance(seconds)
        except (KeyError, ValueError, TypeError) as error:
            return _error(f"invalid clock advance: {error}")
        return json_response({"now": emulator.clock.time()})

    async def revoke_tokens(_: Request) -> Response:
        return json_response({"revoked": emulator.tokens.revoke_access_tokens()})

    async def mutate(request: Request) -> Response:
        organization_id = request.path_params["organization_id"]
        entity = request.path_params["entity"]
        operation = request.path_params["operation"]
        try:
            spec = await _json(request)
            count = int(spec.get("count", 1))
            ids = spec.get("ids")
            fields = spec.get("fields")
            if operation == "create":
                changed = emulator.finance.create(organization_id, entity, count, fields)
            elif operation == "update":
                changed = emulator.finance.update(organization_id, entity, ids, count, fields)
            elif operation == "delete":
                changed = emulator.finance.delete(organization_id, entity, ids, count)
            elif operation == "unlist":
                emulator.finance.list_without(organization_id, entity, list(ids or []))
                changed = list(ids or [])
            else:
                return _error(f"unknown operation {operation!r}", 404)
        except UnknownEntityError as error:
            return _error(str(error), 404)
        except (KeyError, ValueError, TypeError) as error:
            return _error(str(error))
        return json_response({"ids": changed})

    async def records(request: Request) -> Response:
        organization_id = request.path_params["organization_id"]
        entity = request.path_params["entity"]
        detail = request.query_params.get("detail") == "true"
        product = request.query_params.get("product", "books")
        try:
            if request.url.path.endswith("/count"):
                return json_response({"count": emulator.finance.count(organization_id, entity)})
            rows = list(
                emulator.finance.records(organization_id, entity, detail=detail, product=product)
            )
        except UnknownEntityError as error:
            return _error(str(error), 404)
        return json_response({"count": len(rows), "records": rows})

    async def webhooks(request: Request) -> Response:
        if request.method == "DELETE":
            emulator.webhooks.clear()
            return json_response({"cleared": True})
        if request.method == "GET":
            return json_response(
                {
                    "registrations": [
                        {
                            "url": item.url,
                            "entities": sorted(item.entities or []),
                            "organization_id": item.organization_id,
                            "method": item.method,
                            "body_type": item.body_type,
                        }
                        for item in emulator.webhooks.registrations
                    ],
                    "deliveries": [
                        {
                            "url": item.url,
                            "entity": item.entity,
                            "event": item.event,
                            "organization_id": item.organization_id,
                            "record_id": item.record_id,
                            "status": item.status,
                            "error": item.error,
                            "method": item.method,
                            "content_type": item.content_type,
                        }
                        for item in emulator.webhooks.deliveries
                    ],
                }
            )
        try:
            spec = await _json(request)
            # Like Zoho's webhook settings: method and body type are chosen per webhook;
            # without a body type, the other-answer switch decides (form when on).
            form = emulator.answers("webhook-form-deliveries")
            emulator.webhooks.register(
                str(spec["url"]),
                entities=spec.get("entities"),
                events=spec.get("events"),
                organization_id=spec.get("organization_id"),
                secret=spec.get("secret"),
                product=str(spec.get("product", "books")),
                method=str(spec.get("method", "POST")),
                body_type=spec.get("body_type") or ("form" if form else None),
                form_fields=spec.get("form_fields"),
            )
        except (KeyError, ValueError, TypeError) as error:
            return _error(f"invalid webhook registration: {error}")
        return json_response({"registered": len(emulator.webhooks.registrations)})

    finance = f"{PREFIX}/finance/{{organization_id}}/{{entity}}"
    return [
        Route(f"{PREFIX}/answers", answers, methods=["GET", "POST"]),
        Route(f"{PREFIX}/stats", stats, methods=["GET"]),
        Route(f"{PREFIX}/stats/reset", stats_reset, methods=["POST"]),
        Route(f"{PREFIX}/faults", faults, methods=["POST", "DELETE"]),
        Route(f"{PREFIX}/clock/advance", clock_advance, methods=["POST"]),
        Route(f"{PREFIX}/tokens/revoke", revoke_tokens, methods=["POST"]),
        Route(f"{PREFIX}/webhooks", webhooks, methods=["GET", "POST", "DELETE"]),
        Route(f"{finance}/records", records, methods=["GET"]),
        Route(f"{finance}/count", records, methods=["GET"]),
        Route(f"{finance}/{{operation}}", mutate, methods=["POST"]),
    ]
