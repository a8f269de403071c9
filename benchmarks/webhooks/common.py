"""Shared parts of the webhook benchmarks: database, service process, requests, stats."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def raw_request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}",
             *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def write_requests(path: Path, requests_: list[bytes]) -> None:
    with path.open("wb") as handle:
        for request in requests_:
            handle.write(struct.pack(">I", len(request)))
            handle.write(request)


def start_service(env: dict[str, str], port: int, *extra: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(BIN / "zoho-webhooks"), "--log-level", "WARNING", "serve", "--port", str(port),
         *extra], env={**os.environ, **env}, stdout=subprocess.DEVNULL,
    )
    wait_http(f"http://127.0.0.1:{port}/health", process)
    return process


def wait_http(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            msg = f"process exited with {process.returncode}"
            raise RuntimeError(msg)
        try:
            requests.get(url, timeout=1)
        except requests.ConnectionError:
            time.sleep(0.1)
            continue
        return
    msg = f"{url} never answered"
    raise RuntimeError(msg)


def stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_load(requests_file: Path, port: int, connections: int, rate: float = 0.0) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HERE / "loadgen.py"), str(requests_file), "127.0.0.1", str(port),
         "--connections", str(connections), "--rate", str(rate)],
        check=True, capture_output=True, text=True,
    )
    return dict(json.loads(out.stdout))
