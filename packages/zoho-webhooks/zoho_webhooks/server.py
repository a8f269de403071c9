"""The HTTP server's own limits: slow clients, idle connections, too many connections.

The intake is public (Zoho must reach it), so a client that opens connections and sends
its headers or body a byte at a time must not hold them. uvicorn bounds idle keep-alive
connections (`timeout_keep_alive`) and concurrent connections (`limit_concurrency`,
answered 503), but has no deadline for a request's headers: a connection that never
finishes them is held for ever, and httptools buffers a request head of any size.
`HeaderDeadline` adds both bounds; the body's deadline is the app's
(`zoho_webhooks.app` answers 408), because only the app reads the body.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

import uvicorn
from typing_extensions import override
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    import asyncio

    from starlette.applications import Starlette

    from zoho_webhooks.settings import ServiceSettings


class GuardedConfig(uvicorn.Config):
    """uvicorn's config plus the header deadline our protocols read from it."""

    def __init__(self, app: Starlette, *, header_timeout: float, **kwargs: Any) -> None:  # noqa: ANN401
        """Keep the header deadline next to uvicorn's own settings."""
        super().__init__(app, **kwargs)
        self.header_timeout = header_timeout


if TYPE_CHECKING:
    _UvicornProtocol = H11Protocol
    """What the mixin extends, for the type checker: httptools' protocol has the same hooks."""
else:
    _UvicornProtocol = object


class HeaderDeadline(_UvicornProtocol):
    """Close a connection whose next request's headers are not complete in time.

    Armed when the connection opens and again when a response completes; it fires only
    if no new request cycle started since (uvicorn creates one when the headers are
    complete). It also closes a connection still trickling the unread rest of a body
    after its response, which uvicorn's keep-alive timer (reset by every byte) keeps.
    """

    config: Any
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _armed_cycle: Any = None
    _head_bytes: int = 0

    def _count_head(self, size: int) -> None:
        """Bytes received while the next request's head is still incomplete, bounded.

        Counted after the parser saw them: a chunk that completes the head (and may
        carry a body) has already started a new cycle and is not counted.
        """
        if self.cycle is not self._armed_cycle or self.transport.is_closing():
            return
        self._head_bytes += size
        limit = getattr(self.config, "h11_max_incomplete_event_size", None)
        if limit and self._head_bytes > limit:
            self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                 b"Connection: close\r\nContent-Length: 0\r\n\r\n")  # fmt: skip
            self.transport.close()

    def _arm_header_deadline(self) -> None:
        self._armed_cycle = self.cycle
        self._head_bytes = 0
        timeout = getattr(self.config, "header_timeout", None)
        if not timeout:
            return
        armed_cycle = self.cycle
        handle = getattr(self, "_header_deadline", None)
        if handle is not None:
            handle.cancel()

        def expire() -> None:
            if self.cycle is armed_cycle and not self.transport.is_closing():
                self.transport.close()

        self._header_deadline = self.loop.call_later(timeout, expire)

    def _disarm_header_deadline(self) -> None:
        handle = getattr(self, "_header_deadline", None)
        if handle is not None:
            handle.cancel()

    # The hooks, once for both of uvicorn's protocols: the mixin stands before the
    # protocol class in the MRO, so `super()` is h11's or httptools' own method.

    @override
    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._count_head(len(data))

    @override
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    @override
    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_deadline()

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)


class GuardedH11Protocol(HeaderDeadline, H11Protocol):
    """h11 with a header deadline and head size bound."""


def protocol_class() -> type[asyncio.Protocol]:
    """The httptools protocol when installed (uvicorn's preference), else h11; both guarded."""
    if importlib.util.find_spec("httptools") is None:
        return GuardedH11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # noqa: PLC0415

    # The type checker sees the mixin as h11's protocol (`_UvicornProtocol`), whose
    # websocket hook differs from httptools' one; at run time the mixin is a plain class.
    class GuardedHttpToolsProtocol(HeaderDeadline, HttpToolsProtocol):  # type: ignore[misc]
        """httptools with a header deadline and head size bound."""

    return GuardedHttpToolsProtocol


def server_config(app: Starlette, settings: ServiceSettings, host: str, port: int) -> GuardedConfig:
    """The uvicorn config with the service's connection limits (settings, safe defaults)."""
    return GuardedConfig(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="on",
        http=protocol_class(), header_timeout=settings.header_timeout_seconds,
        timeout_keep_alive=max(1, round(settings.keep_alive_seconds)),
        limit_concurrency=settings.max_connections or None,
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )  # fmt: skip
