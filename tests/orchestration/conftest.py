"""A throwaway Meltano project wired to a real emulator process and a real PostgreSQL.

Each session copies meltano.yml and logging.yaml into a temporary folder (with a link to
the project's .venv), so Meltano's system database, state and logs live there and a
user's own .meltano/ is never touched. The emulator runs as `zoho-emulator serve` (the tap
runs in Meltano's child processes and reaches it over TCP); the embedded PostgreSQL is
held open for the session and handed to the loaders as a URL.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from scripts.emulator_process import EmulatorProcess, emulator_process
from scripts.meltano_runner import PROJECT_ROOT, MeltanoProject
from target_tsh_erp.database import connect, embedded
from tests.venvs import cached_venv

if TYPE_CHECKING:
    from collections.abc import Iterator

    import psycopg

SCALE = "30"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """One emulator per test module, as Zoho counts tokens: at most 10 minted per refresh
    token in 10 minutes. Runs of one project share a token through its token store
    (meltano.yml's `token_store`), but each module has a project of its own, and tests
    that switch the store off mint 2 per run (discovery runs the tap in a process of
    its own); a session-wide emulator would add them up."""
    folder = tmp_path_factory.mktemp("emulator")
    with emulator_process(
        folder, scale=SCALE, extra_args=("--requests-per-minute", "0")
    ) as running:
        yield running


@pytest.fixture(scope="session")
def erp_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded(tmp_path_factory.mktemp("erp") / "pgdata") as database:
        yield database.url


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, emulator: EmulatorProcess, erp_database: str
) -> MeltanoProject:
    root = tmp_path_factory.mktemp("meltano-project")
    for name in ("meltano.yml", "logging.yaml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    (root / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    sqlalchemy_url = erp_database.replace("postgresql://postgres:@", "postgresql+psycopg://postgres@")
    env = {
        "MELTANO_ENVIRONMENT": "dev",
        "TAP_ZOHO_ACCOUNTS_URL": emulator.base_url,
        "TAP_ZOHO_REQUESTS_PER_MINUTE": "100000",
        "TAP_ZOHO_PRODUCTS": '["books", "inventory"]',
        "TARGET_TSH_ERP_DATABASE_URL": erp_database,
        "TARGET_POSTGRES_SQLALCHEMY_URL": sqlalchemy_url,
        "TARGET_JSONL_DESTINATION_PATH": str(root / "output"),
    }
    return MeltanoProject(root=root, env=env)


@pytest.fixture
def erp(erp_database: str) -> Iterator[psycopg.Connection[Any]]:
    connection = connect(erp_database, autocommit=True)
    yield connection
    connection.close()




@pytest.fixture(scope="session")
def venv_cache(pytestconfig: pytest.Config) -> Path:
    """Under .pytest_cache/: survives between runs, removed by `make clean`."""
    return Path(pytestconfig.cache.mkdir("orchestration-venvs"))


@pytest.fixture(scope="session")
def target_jsonl_venv(venv_cache: Path) -> Path:
    """target-jsonl 0.1.4 (andyh1203) in its own venv: it pins libraries we cannot share."""
    return cached_venv(venv_cache, "target-jsonl", "target-jsonl==0.1.4")


@pytest.fixture(scope="session")
def singer_tools_venv(venv_cache: Path) -> Path:
    """singer-tools 0.4.1 (singer-check-tap) in its own venv, for the same reason."""
    return cached_venv(venv_cache, "singer-tools", "singer-tools==0.4.1")
