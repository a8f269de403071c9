"""The ASGI application: one host serving Accounts, Books, Inventory, CRM and control."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

from zoho_emulator import accounts, control, crm
from zoho_emulator.emulator import RESET_HEADER, Emulator
from zoho_emulator.finance import routes as finance_routes
from zoho_emulator.responses import crm_error, finance_error

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _not_found(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods get the product's own error, never a bare 404 page."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if request.url.path.startswith("/crm/"):
        if status == 405:  # noqa: PLR2004 - HTTP Method Not Allowed
            return crm_error(
                "INVALID_REQUEST_METHOD", "The http request method type is not a valid one", 400
            )
        return crm_error(
            "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", 404
        )
    if status == 405:  # noqa: PLR2004
        return finance_error(37, "The HTTP method is not allowed for the requested resource", 405)
    return finance_error(5, "Invalid URL Passed", 404)


def create_app(emulator: Emulator) -> ASGIApp:
    """Build the app for one emulator: every product's routes plus the control API."""
    routes: list[BaseRoute] = [
        *accounts.routes(emulator),
        *finance_routes.routes(emulator),
        *control.routes(emulator),
        *crm.routes(emulator),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    return ConnectionResetMiddleware(app)


class ConnectionResetMiddleware:
    """Turns a response marked by the fault injector into a dropped TCP connection.

    ASGI has no "reset" message, so the injected fault aborts the server's transport
    when the server exposes it (uvicorn does), and otherwise closes the response after
    its headers, which a client sees as a broken connection as well.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap the Starlette app."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass everything through except responses marked for a reset."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        aborted = False

        async def guarded_send(message: Message) -> None:
            nonlocal aborted
            if aborted:
                return
            if message["type"] == "http.response.start" and any(
                name.decode().lower() == RESET_HEADER for name, _ in message.get("headers", [])
            ):
                aborted = True
                transport: Any = getattr(getattr(send, "__self__", None), "transport", None)
                if transport is not None:
                    with contextlib.suppress(Exception):
                        transport.abort()
                    return
                message = {**message, "headers": [(b"content-length", b"1000")]}
                await send(message)
                await send({"type": "http.response.body", "body": b"{", "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, guarded_send)
