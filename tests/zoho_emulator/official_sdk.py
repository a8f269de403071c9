"""Zoho's official CRM v8 Python SDK in a venv of its own, cached between test runs.

Why a venv of its own: the SDK pins its own libraries and must not import ours, so what
it parses is Zoho's model of the API and nothing of this project. The venv is built
once under pytest's cache (`.pytest_cache/`, removed by `make clean`) with the project's
`uv`; later runs reuse it. Offline, a cached venv still serves; without one the test is
skipped, saying why, only when PyPI cannot be reached (any other install failure fails).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REQUIREMENT = "zohocrmsdk8-0==7.0.0"
"""The SDK release the emulator is checked against (Zoho CRM v8 APIs, 2026-07)."""
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLIENT_SCRIPT = Path(__file__).with_name("official_sdk_client.py")
PYPI_PROBE = "https://pypi.org/simple/zohocrmsdk8-0/"


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen(PYPI_PROBE, timeout=10):
            return True
    except (urllib.error.URLError, TimeoutError, OSError):
        return False


def sdk_venv(cache_root: Path) -> Path:
    """The venv holding `REQUIREMENT` (built on first use, then reused)."""
    venv = cache_root / "zohocrmsdk8"
    marker = venv / ".tsh-requirement"
    if marker.is_file() and marker.read_text(encoding="utf-8") == REQUIREMENT:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    uv = str(PROJECT_ROOT / ".venv" / "bin" / "uv")
    steps = [
        [uv, "venv", "-q", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), REQUIREMENT],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            if not _pypi_reachable():
                pytest.skip(f"PyPI is unreachable, so {REQUIREMENT} cannot be installed")
            pytest.fail(f"installing {REQUIREMENT} failed:\n{done.stdout}\n{done.stderr}")
    marker.write_text(REQUIREMENT, encoding="utf-8")
    return venv


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
