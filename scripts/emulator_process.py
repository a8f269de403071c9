"""Run `zoho-emulator serve` as a child process on a free loopback port.

The demo and the orchestration tests drive Meltano, which starts the tap as its own
process; the tap must reach the emulator over TCP, so the emulator runs as a real server
process (not a thread of the caller) and is always stopped, even on Ctrl-C. Benchmarks
use it too, so that the emulator's CPU does not share the measured process's GIL.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

READY_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0
_START_ATTEMPTS = 3


class EmulatorStartError(RuntimeError):
    """The emulator process did not become ready; the message carries its output."""


def free_loopback_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago (the caller retries on a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(slots=True)
class EmulatorProcess:
    """A running `zoho-emulator serve` child and the control API calls the demo needs."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:  # noqa: ANN401 - JSON
        """Call the emulator's control API (`/__emulator/...`) and decode its JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is our own loopback server
            f"{self.base_url}/__emulator/{path.lstrip('/')}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        """Request statistics since the last reset (total, per route, per org, 429s, tokens)."""
        snapshot: dict[str, Any] = self.control("GET", "stats")
        return snapshot

    def reset_stats(self) -> None:
        """Zero the counters so the next figures cover one run only."""
        self.control("POST", "stats/reset", {})


def _executable() -> str:
    """The `zoho-emulator` console script of the interpreter running us (the project venv)."""
    candidate = Path(sys.executable).with_name("zoho-emulator")
    return str(candidate) if candidate.exists() else "zoho-emulator"


def _wait_ready(process: subprocess.Popen[bytes], base_url: str) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{base_url}/__emulator/stats", timeout=2):  # noqa: S310
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    return False


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM (the emulator exits 0 on it), then SIGKILL if it hangs; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def serve_options(**settings: object) -> tuple[str, ...]:
    """`zoho-emulator serve` options from settings: `latency_ms=5` is `--latency-ms 5`."""
    return tuple(
        part
        for key, value in settings.items()
        for part in (f"--{key.replace('_', '-')}", str(value))
    )


@contextmanager
def emulator_process(
    log_dir: Path | None,
    *,
    seed: int = 42,
    scale: str = "demo",
    extra_args: tuple[str, ...] = (),
) -> Iterator[EmulatorProcess]:
    """Start `zoho-emulator serve` on a free loopback port; stop it on exit, whatever happens.

    `log_dir` None keeps the emulator's log in a temporary folder for the run only.

    Raises:
        EmulatorStartError: when it does not answer within READY_TIMEOUT_SECONDS.
    """
    if log_dir is None:
        with (
            tempfile.TemporaryDirectory(prefix="zoho-emulator-") as folder,
            emulator_process(Path(folder), seed=seed, scale=scale, extra_args=extra_args) as run,
        ):
            yield run
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "zoho-emulator.log"
    last_output = ""
    for _ in range(_START_ATTEMPTS):
        port = free_loopback_port()
        base_url = f"http://127.0.0.1:{port}"
        command = [
            _executable(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--seed",
            str(seed),
            "--scale",
            scale,
            *extra_args,
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
                command, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ)
            )
        try:
            if _wait_ready(process, base_url):
                yield EmulatorProcess(process=process, base_url=base_url, log_path=log_path)
                return
        finally:
            stop(process)
        last_output = log_path.read_text(errors="replace")[-2000:]
    msg = f"zoho-emulator did not become ready; its last output:\n{last_output}"
    raise EmulatorStartError(msg)
