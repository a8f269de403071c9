"""Serving the emulator: in the foreground (`zoho-emulator serve`) or in a thread."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import uvicorn
from typing_extensions import override

from zoho_emulator.app import create_app
from zoho_emulator.emulator import Emulator

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

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


class _ForegroundServer(uvicorn.Server):
    """uvicorn, but a SIGTERM or Ctrl-C ends the process with status 0.

    Recent uvicorn re-raises the captured signal after its graceful shutdown, so the
    process would report death by SIGTERM (-15) even though it stopped cleanly; a
    supervisor (`make demo`, systemd) should see a clean exit instead.
    """

    @override
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Turn SIGINT/SIGTERM into a graceful shutdown, without re-raising them."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve(settings: EmulatorSettings, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM, then shut down gracefully and exit 0."""
    emulator = Emulator(settings)
    emulator.base_url = f"http://{host}:{port}"
    _ForegroundServer(_config(emulator, host, port)).run()


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
