"""HTTP surface: three webhook endpoints, /health and /metrics.

Every refusal is decided before anything is stored and answered with a 4xx and a short
JSON reason; a delivery is acknowledged only after the commit that holds its inbox row.
Bad input never reaches a 500: the only 5xx is 503 when the database cannot take the
delivery (Zoho then retries, and nothing was acknowledged).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import orjson
import psycopg
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Route

from zoho_webhooks.intake import (
    FINANCE_METHODS,
    InboxEntry,
    RefusedError,
    crm_entry,
    finance_entry,
)
from zoho_webhooks.service import Runtime

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from zoho_webhooks.settings import ServiceSettings

logger = logging.getLogger("zoho_webhooks.app")

HTTP_OK = 200
HTTP_ACCEPTED = 202


CLOSE_AFTER = frozenset({408, 413})
"""Refusals sent before the body was read to its end: the connection cannot be reused."""


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)  # fmt: skip


async def _read_body(request: Request, limit: int, deadline: float) -> bytes:
    """The raw body, refusing as soon as it exceeds the limit (413) or its deadline (408).

    The deadline covers the whole body, not each chunk: a client sending a byte every
    few seconds would otherwise hold its connection (and its buffer) for ever.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit() or len(declared) > 18:  # noqa: PLR2004
            raise RefusedError(400, "invalid Content-Length")
        if int(declared) > limit:
            raise RefusedError(413, f"body of {int(declared)} bytes exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(deadline or None):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise RefusedError(413, f"body exceeds {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise RefusedError(408, f"body not received within {deadline:g} s") from None
    except ClientDisconnect:
        raise RefusedError(400, "client disconnected before the body was complete") from None
    return b"".join(chunks)


def build_app(  # noqa: C901 - the handlers are closures over one runtime
    settings: ServiceSettings, database_url: str, *, run_worker: bool = True
) -> Starlette:
    """The ASGI app; its lifespan owns the runtime (intake, workers, renewal)."""
    runtime = Runtime(settings, database_url, run_worker=run_worker)
    metrics = runtime.metrics

    async def accept(source: str, request: Request) -> Response:
        started = time.perf_counter()
        peer = request.client.host if request.client else "?"
        try:
            body = await _read_body(request, settings.max_body_bytes,
                                    settings.body_timeout_seconds)  # fmt: skip
            entry = await _entry(source, request, body)
            assert runtime.intake is not None  # noqa: S101 - set by the lifespan
            stored = await asyncio.wrap_future(runtime.intake.submit(entry))
        except RefusedError as refused:
            metrics.received.labels(source, f"refused_{refused.status}").inc()
            log = logger.warning if refused.status == 401 else logger.info  # noqa: PLR2004
            log("Refused %s delivery from %s: %d %s", source, peer, refused.status,
                refused.reason)  # fmt: skip
            headers = {"Connection": "close"} if refused.status in CLOSE_AFTER else None
            return _json(refused.status, {"status": "refused", "reason": refused.reason},
                         headers)  # fmt: skip
        except psycopg.Error as error:
            metrics.received.labels(source, "unavailable").inc()
            logger.error(  # noqa: TRY400 - no traceback: the cause is the database
                "Inbox unavailable for a %s delivery: %s", source, type(error).__name__
            )
            return _json(503, {"status": "unavailable", "reason": "inbox database unavailable"})
        except Exception as error:  # noqa: BLE001 - bad input must never become a 500
            # Every refusal is meant to be a RefusedError; reaching here is our bug, so it
            # is logged as an error (type only: the message may quote the payload),
            # counted apart for alerting, and answered 400: the input is what triggered
            # it, and the next batch sync reconciles a change refused this way.
            metrics.received.labels(source, "unexpected").inc()
            logger.error("Unexpected %s while checking a %s delivery from %s; refused 400",  # noqa: TRY400
                         type(error).__name__, source, peer)  # fmt: skip
            return _json(400, {"status": "refused", "reason": "malformed delivery"})
        metrics.received.labels(source, "duplicate" if stored.duplicate else "accepted").inc()
        metrics.ack_latency.observe(time.perf_counter() - started)
        return _json(HTTP_OK if stored.duplicate else HTTP_ACCEPTED,
                     {"status": "duplicate" if stored.duplicate else "accepted",
                      "inbox_id": stored.inbox_id})  # fmt: skip

    async def _entry(source: str, request: Request, body: bytes) -> InboxEntry:
        if source == "crm":
            try:
                return crm_entry(body, request.headers, runtime.channels,
                                 settings.replay_window_seconds)  # fmt: skip
            except RefusedError as refused:
                if refused.channel_id is None:
                    raise
                channels = await run_in_threadpool(runtime.lookup_channel, refused.channel_id)
                return crm_entry(body, request.headers, channels, settings.replay_window_seconds)
        return finance_entry(source, body, request.headers,
                             list(request.query_params.multi_items()),
                             settings.webhook_secret, settings.replay_window_seconds,
                             method=request.method)  # fmt: skip

    async def books(request: Request) -> Response:
        return await accept("books", request)

    async def inventory(request: Request) -> Response:
        return await accept("inventory", request)

    async def crm_notification(request: Request) -> Response:
        return await accept("crm", request)

    async def health(_: Request) -> Response:
        ready, facts = await run_in_threadpool(runtime.health)
        return _json(HTTP_OK if ready else 503, facts)

    async def prometheus(_: Request) -> Response:
        await run_in_threadpool(runtime.health)  # refreshes the queue gauges
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(runtime.start)
        try:
            yield
        finally:
            await run_in_threadpool(runtime.stop)

    app = Starlette(
        routes=[
            Route("/webhooks/books", books, methods=sorted(FINANCE_METHODS)),
            Route("/webhooks/inventory", inventory, methods=sorted(FINANCE_METHODS)),
            Route("/webhooks/crm", crm_notification, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route("/metrics", prometheus, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app
