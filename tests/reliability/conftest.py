"""One embedded PostgreSQL per session; every log the suite writes goes to one folder.

Markers: `chaos_long` (the `make chaos` campaign: 20 crash trials and the full fault
matrix; `CHAOS_TRIALS=200` for the long form) is excluded from `make test`.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from target_tsh_erp.database import connect, embedded

if TYPE_CHECKING:
    from collections.abc import Iterator

_SCHEMAS = itertools.count()
CHAOS_RESULTS = os.environ.get("CHAOS_RESULTS")
"""A JSON-lines file the campaigns append their counts to (`make chaos` sets it)."""


def record_campaign(outcome: dict[str, object]) -> None:
    """Append one campaign's counts (trials, kills landed, seconds) to CHAOS_RESULTS."""
    if CHAOS_RESULTS:
        with open(CHAOS_RESULTS, "a", encoding="utf-8") as handle:  # noqa: PTH123
            handle.write(json.dumps(outcome) + "\n")
SUITE_LOGS: list[Path] = []
"""Every working folder the suite used: the secrets scan reads all their logs."""
ACCESS_TOKENS: set[str] = set()
"""Access tokens minted during the suite, for the secrets scan."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chaos_long: long crash/fault campaign (make chaos), not in make test")
    config.addinivalue_line("markers", "bench: benchmarks, not in make test")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="reliability-pg-"))
    try:
        with embedded(folder / "pgdata") as database:
            yield database.url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def logs_root() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="reliability-logs-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def schemas() -> tuple[str, str]:
    n = next(_SCHEMAS)
    return f"erp_r{n}", f"raw_r{n}"


@pytest.fixture
def workdir(logs_root: Path, request: pytest.FixtureRequest) -> Path:
    name = "".join(c if c.isalnum() else "_" for c in request.node.name)[:80]
    folder = logs_root / f"{next(_SCHEMAS)}_{name}"
    folder.mkdir()
    SUITE_LOGS.append(folder)
    return folder


@pytest.fixture
def db(database_url: str):
    connection = connect(database_url)
    yield connection
    connection.rollback()
    connection.close()
