"""A tool with old or foreign pins in a venv of its own, cached between test runs.

Used by the orchestration tests (target-jsonl, singer-tools) and the official CRM SDK
check: each must not share our pins or import our code. Built once with the project's
`uv`, reused while the requirement is the same.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

PYPI_PROBE = "https://pypi.org/simple/pip/"
"""Whether PyPI answers at all (a refused install then skips instead of failing)."""


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen(PYPI_PROBE, timeout=10):
            return True
    except (urllib.error.URLError, TimeoutError, OSError):
        return False


def cached_venv(cache_root: Path, name: str, requirement: str) -> Path:
    """A venv holding `requirement` alone (old pins that cannot share ours), reused across runs.

    Skips the calling test, saying why, only when PyPI cannot be reached; any other
    install failure fails the test with the installer's output.
    """
    venv = cache_root / name
    marker = venv / ".tsh-requirement"
    if marker.is_file() and marker.read_text(encoding="utf-8") == requirement:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    uv = str(PROJECT_ROOT / ".venv" / "bin" / "uv")
    steps = [
        [uv, "venv", "-q", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), requirement],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            if not _pypi_reachable():
                pytest.skip(f"PyPI is unreachable, so {requirement} cannot be installed")
            pytest.fail(f"installing {requirement} failed:\n{done.stdout}\n{done.stderr}")
    marker.write_text(requirement, encoding="utf-8")
    return venv
