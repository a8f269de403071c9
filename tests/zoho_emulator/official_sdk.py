"""Zoho's official CRM v8 Python SDK in a venv of its own, cached between test runs.

Why a venv of its own: the SDK pins its own libraries and must not import ours, so what
it parses is Zoho's model of the API and nothing of this project. The venv is built
once under pytest's cache (`.pytest_cache/`, removed by `make clean`) with the project's
`uv`; later runs reuse it. Offline, a cached venv still serves; without one the test is
skipped, saying why, only when PyPI cannot be reached (any other install failure fails).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.venvs import cached_venv

REQUIREMENT = "zohocrmsdk8-0==7.0.0"
"""The SDK release the emulator is checked against (Zoho CRM v8 APIs, 2026-07)."""
CLIENT_SCRIPT = Path(__file__).with_name("official_sdk_client.py")
def sdk_venv(cache_root: Path) -> Path:
    """The venv holding `REQUIREMENT` (built on first use, then reused)."""
    return cached_venv(cache_root, "zohocrmsdk8", REQUIREMENT)


def run_sdk_client(venv: Path, base_url: str, work: Path, credentials: tuple[str, str, str]) -> str:
    """Run `official_sdk_client.py` in the SDK's venv; its JSON report (stdout).

    The client's stderr is shown when it fails; credentials are the emulator's documented
    demo defaults, never real ones.
    """
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(CLIENT_SCRIPT), base_url, str(work), *credentials],
        capture_output=True, text=True, timeout=300, check=False, cwd=work,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout
