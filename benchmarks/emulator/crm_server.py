"""A CRM emulator in its own process for benchmarks: the client never shares its GIL."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def current_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def crm_server(scale: int, seed: int = 42):
    """Serve `zoho-emulator serve` with every limit off; yields (base_url, pid, session)."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "zoho-emulator"), "serve", "--port", str(port),
        "--seed", str(seed), "--scale", str(scale), "--requests-per-minute", "0",
        "--daily-limit", "0", "--concurrency-limit", "0", "--crm-daily-credits", "0",
        "--token-lifetime", "86400",
    ]  # fmt: skip
    process = subprocess.Popen(command)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                token = requests.post(
                    f"{base}/oauth/v2/token",
                    params={"grant_type": "refresh_token", "client_id": DEMO_CLIENT_ID,
                            "client_secret": DEMO_CLIENT_SECRET,
                            "refresh_token": DEMO_REFRESH_TOKEN},
                    timeout=2,
                ).json()["access_token"]  # fmt: skip
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        session = requests.Session()
        session.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        yield base, process.pid, session
    finally:
        process.terminate()
        process.wait(timeout=10)
