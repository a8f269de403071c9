"""Serve the emulator in its own process, so its CPU does not share our GIL."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from collections.abc import Iterator

CLI = str(Path(sys.executable).with_name("zoho-emulator"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def emulator_process(**settings: object) -> Iterator[str]:
    """Yield the base URL of `zoho-emulator serve` started with `--key value` settings."""
    port = _free_port()
    args = [CLI, "serve", "--port", str(port)]
    for key, value in settings.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(requests.RequestException):
                requests.get(f"{base_url}/__emulator/stats", timeout=1)
                break
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def stats(base_url: str) -> dict[str, object]:
    """The emulator's request statistics (control API)."""
    body: dict[str, object] = requests.get(f"{base_url}/__emulator/stats", timeout=10).json()
    return body
