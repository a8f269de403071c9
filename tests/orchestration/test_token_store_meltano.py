"""`meltano run` shares one access token between its processes and with the next run.

Meltano starts the tap twice per run (discovery, then sync); without a store each mints
its own token, and every job of a project draws on Zoho's 10 mints per 10 minutes per
refresh token. meltano.yml's default store is a folder under the project.
"""

from __future__ import annotations

import json
import stat
from typing import TYPE_CHECKING

import pytest

from zoho_emulator.settings import DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN

if TYPE_CHECKING:
    from scripts.emulator_process import EmulatorProcess
    from scripts.meltano_runner import MeltanoProject

pytestmark = pytest.mark.timeout(900)

SMALL_RUN = {
    "TAP_ZOHO_PRODUCTS": '["books"]',
    "TAP_ZOHO__SELECT": '["books_invoices.*", "books_contacts.*"]',
    # Its own schemas: independent of the other tests sharing this database.
    "TARGET_TSH_ERP_ERP_SCHEMA": "erp_token_store",
    "TARGET_TSH_ERP_RAW_SCHEMA": "raw_token_store",
}
STATE_ID = "dev:tap-zoho-to-target-tsh-erp"


def minted(emulator: EmulatorProcess) -> int:
    count: int = emulator.stats()["tokens_minted"]
    return count


def test_runs_and_jobs_share_one_token_through_the_project_folder(
    project: MeltanoProject, emulator: EmulatorProcess
) -> None:
    emulator.reset_stats()
    in_process = project.run(
        "run", "tap-zoho", "target-tsh-erp",
        extra_env={**SMALL_RUN, "TAP_ZOHO_TOKEN_STORE": "memory"},
    )  # fmt: skip
    without_store = minted(emulator)

    emulator.reset_stats()
    first = project.run("run", "tap-zoho", "target-tsh-erp", extra_env=SMALL_RUN)
    first_mints = minted(emulator)
    emulator.reset_stats()
    second = project.run("run", "tap-zoho", "target-tsh-erp", extra_env=SMALL_RUN)
    second_mints = minted(emulator)
    emulator.reset_stats()
    # Another job of the project (another plugin, CRM's client): the same token.
    deletions = project.run("run", "crm-deletions", extra_env={
        "TAP_ZOHO_CRM_DELETIONS_ACCOUNTS_URL": emulator.base_url,
        "TARGET_TSH_ERP_ERP_SCHEMA": "erp_token_store",
        "TARGET_TSH_ERP_RAW_SCHEMA": "raw_token_store",
    })  # fmt: skip
    deletions_mints = minted(emulator)
    crm_calls = sum(n for route, n in emulator.stats()["requests_by_route"].items()
                    if route.startswith("crm:"))  # fmt: skip

    assert without_store == 2, "discovery and sync should each mint without a store"
    assert first_mints == 1, "discovery and sync of one run should share one token"
    assert second_mints == 0, "the next run should reuse the stored token"
    assert second.output.count("Using the Zoho access token shared") >= 2  # both processes
    assert crm_calls > 0, "the crm-deletions job made no CRM call"
    assert deletions_mints == 0, "another job of the project should reuse the stored token"

    folder = project.root / ".meltano" / "run" / "tap-zoho" / "tokens"
    (token_file,) = folder.glob("*.json")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    stored = json.loads(token_file.read_text(encoding="utf-8"))
    assert set(stored) == {"access_token", "expires_at", "lifetime", "api_domain"}
    token = stored["access_token"]
    state = json.dumps(project.state(STATE_ID))
    written = [in_process.output, first.output, second.output, deletions.output, state]
    # Everything Meltano keeps (system database with the state, run logs, JSON log).
    meltano_files = [
        path for path in (project.root / ".meltano").rglob("*")
        if path.is_file() and folder not in path.parents
    ]  # fmt: skip
    assert any(path.suffix == ".jsonl" for path in meltano_files), "no JSON run log to check"
    written += [path.read_bytes().decode(errors="replace") for path in meltano_files]
    for text in written:
        assert token not in text
        assert DEMO_CLIENT_SECRET not in text
        assert DEMO_REFRESH_TOKEN not in text
