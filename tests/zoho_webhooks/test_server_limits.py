"""Both of uvicorn's HTTP protocols get the same header deadline and head bound.

The service runs on httptools when it is installed, else on h11 (`protocol_class`); the
guards are one mixin's hooks. Each protocol is served for real on loopback (a bare
Starlette app, no database): a silent connection is closed at the deadline, a head over
the bound is refused, and after a response the next request's head has a deadline too.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from zoho_webhooks.server import GuardedConfig, GuardedH11Protocol, protocol_class
from zoho_webhooks.testing import free_port

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Iterator

    from starlette.requests import Request

DEADLINE = 2.0
HEAD_LIMIT = 4096


async def _ok(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


@pytest.fixture(params=["h11", "installed"])
def address(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    protocol: type[asyncio.Protocol] = (
        GuardedH11Protocol if request.param == "h11" else protocol_class()
    )
    port = free_port()
    config = GuardedConfig(
        Starlette(routes=[Route("/", _ok)]), host="127.0.0.1", port=port, http=protocol,
        header_timeout=DEADLINE, h11_max_incomplete_event_size=HEAD_LIMIT,
        log_level="warning", access_log=False, lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "server stopped while starting"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _read_until_closed(sock: socket.socket, within: float) -> tuple[bytes, float | None]:
    """What the server sent, and when it closed (None: still open after `within`)."""
    started = time.monotonic()
    sock.settimeout(0.2)
    received = b""
    while time.monotonic() - started < within:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            return received, time.monotonic() - started
        if not chunk:
            return received, time.monotonic() - started
        received += chunk
    return received, None


def test_a_silent_connection_is_closed_at_the_header_deadline(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as silent:
        _, closed = _read_until_closed(silent, DEADLINE * 5)
    assert closed is not None, "held past five deadlines"
    assert closed >= DEADLINE * 0.8


def test_a_head_over_the_bound_is_refused(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as big:
        big.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(HEAD_LIMIT // 512 * 2):
                big.sendall(b"X-Padding: " + b"a" * 500 + b"\r\n")
        except OSError:
            pass  # closed while we were still sending: refused too
        answer, closed = _read_until_closed(big, DEADLINE * 5)
    assert closed is not None
    assert closed < DEADLINE / 2, "refused for its size, not left to the header deadline"
    # 431 from the guard; h11 refuses an oversized head itself first (400), httptools
    # would buffer any size without the guard; a reset that beat the answer is fine.
    assert answer == b"" or answer.startswith((b"HTTP/1.1 431 ", b"HTTP/1.1 400 ")), answer[:100]


def test_after_a_response_the_next_head_has_a_deadline(address: tuple[str, int]) -> None:
    with socket.create_connection(address) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        client.settimeout(5)
        assert client.recv(4096).startswith(b"HTTP/1.1 200 ")
        client.sendall(b"GET / HTTP/1.1\r\n")  # and the rest of the head never comes
        _, closed = _read_until_closed(client, DEADLINE * 5)
    assert closed is not None, "an unfinished second head held the connection"
