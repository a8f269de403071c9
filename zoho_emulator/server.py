"""Serving the emulator: in the foreground (`zoho-emulator serve`) or in a thread."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn

from zoho_emulator.app import create_app
from zoho_emulator.emulator import Emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from zoho_emulator.settings import EmulatorSettings

STARTUP_TIMEOUT = 10.0


def _config(emulator: Emulator, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(emulator),
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        lifespan="off",
        # Keep-alive long enough that a client's pooled connections survive a slow run.
        timeout_keep_alive=75,
    )


def serve(settings: EmulatorSettings, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM (uvicorn handles both and stops cleanly)."""
    emulator = Emulator(settings)
    emulator.base_url = f"http://{host}:{port}"
    uvicorn.Server(_config(emulator, host, port)).run()


@dataclass(frozen=True, slots=True)
class RunningEmulator:
    """An emulator served on loopback, for tests, the demo and benchmarks."""

    base_url: str
    emulator: Emulator


@contextmanager
def run_emulator(settings: EmulatorSettings, host: str = "127.0.0.1") -> Iterator[RunningEmulator]:
    """Serve an emulator on a free port in a background thread for the `with` block.

    The socket is bound before the server starts, so the port is known at once and no
    other process can take it between choosing and binding.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    emulator = Emulator(settings)
    emulator.base_url = f"http://{host}:{port}"
    server = uvicorn.Server(_config(emulator, host, port))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="zoho-emulator", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            msg = "the Zoho emulator did not start"
            raise RuntimeError(msg)
        time.sleep(0.01)
    try:
        yield RunningEmulator(emulator.base_url, emulator)
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT)
        sock.close()
