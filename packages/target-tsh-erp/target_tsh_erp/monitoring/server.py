"""`tsh-erp status --serve`: the live status page and `/metrics`, read-only, on loopback.

Every request opens its own read-only transaction, reads the report and closes: nothing
is cached, so the page and a Prometheus scrape always agree with `tsh-erp status`, and a
page left open in a browser holds no connection between refreshes. Only GET routes; the
default bind is 127.0.0.1 because the page shows organization ids and failure reasons
(never secrets, but nothing for the open internet); put a proxy with authentication in
front to share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from target_tsh_erp.database import connect
from target_tsh_erp.monitoring.metrics import exposition
from target_tsh_erp.monitoring.page import render_page
from target_tsh_erp.status import collect

if TYPE_CHECKING:
    from pathlib import Path

    from starlette.requests import Request

    from target_tsh_erp.monitoring.alerts import Thresholds
    from target_tsh_erp.monitoring.report import StatusReport

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_REFRESH_SECONDS", "Source", "app", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9187
DEFAULT_REFRESH_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Source:
    """Where the report comes from: the database and the run log, read per request."""

    database_url: str
    erp_schema: str
    raw_schema: str
    run_log: Path
    webhook_schema: str

    def load(self) -> StatusReport:
        """One fresh report in a read-only transaction (a bug here cannot write)."""
        with connect(self.database_url) as connection:
            connection.execute("SET TRANSACTION READ ONLY")
            report = collect(
                connection, erp_schema=self.erp_schema, raw_schema=self.raw_schema,
                run_log=self.run_log, webhook_schema=self.webhook_schema,
            )  # fmt: skip
            connection.rollback()
            return report


def app(source: Source, limits: Thresholds, refresh_seconds: int) -> Starlette:
    """The ASGI app: `/` (the page), `/metrics` (Prometheus), `/health`."""

    def page(_: Request) -> Response:
        return HTMLResponse(render_page(source.load(), limits, refresh_seconds))

    def metrics(_: Request) -> Response:
        return Response(exposition(source.load, limits), media_type=CONTENT_TYPE_LATEST)

    def health(_: Request) -> Response:
        with connect(source.database_url) as connection:
            connection.execute("SELECT 1")
        return PlainTextResponse("ok\n")

    # Sync endpoints: Starlette runs them in its thread pool, so a slow query never
    # blocks the event loop that serves the other requests.
    return Starlette(routes=[
        Route("/", page, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ])  # fmt: skip


def serve(
    source: Source, limits: Thresholds, *, host: str, port: int, refresh_seconds: int
) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM); returns the exit code."""
    import uvicorn  # noqa: PLC0415 - only the serving command needs it

    print(f"Status page on http://{host}:{port}/ (metrics at /metrics)", flush=True)  # noqa: T201
    uvicorn.run(app(source, limits, refresh_seconds), host=host, port=port,
                log_level="warning", access_log=False)  # fmt: skip
    return 0
