"""`zoho-emulator serve` as a person or `make demo` starts it: fast, and clean to stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

READY_WITHIN = 10.0
"""Seconds before the test gives up. The issue's promise (ready in under 2 s) is a speed
target, so it is measured in benchmarks/emulator (`startup_seconds`), not asserted here
where a busy CI machine would make it flaky."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_is_ready_quickly_and_stops_cleanly_on_sigterm() -> None:
    port = _free_port()
    executable = Path(sys.executable).with_name("zoho-emulator")
    started = time.monotonic()
    with subprocess.Popen(
        [
            str(executable),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--seed",
            "42",
            "--scale",
            "demo",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        _check(process, port, started)


def _check(process: subprocess.Popen[bytes], port: int, started: float) -> None:
    try:
        ready_after = None
        while time.monotonic() - started < 10:
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/books/v3/organizations", timeout=1
                )
            except requests.ConnectionError:
                time.sleep(0.02)
                continue
            ready_after = time.monotonic() - started
            assert response.status_code == 401
            assert response.json()["code"] == 14
            break
        assert ready_after is not None, process.stderr.read() if process.poll() is not None else ""
        assert ready_after < READY_WITHIN
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        stderr = process.stderr.read().decode()
        assert "Traceback" not in stderr
        assert "serving on" in process.stdout.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
