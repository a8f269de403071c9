"""The per-organization job list: what the orchestrator is told to run, and with what.

Pure functions, no processes: the settings' errors must name the setting, the state ids
must match what `meltano run --state-id-suffix` stores, and two jobs must never share a
Meltano sys dir (Meltano writes the tap's catalog and input state there under fixed
names) while still sharing the project's system database.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from scripts.meltano_runner import OFFLINE_ENV, PROJECT_ROOT
from tsh_orchestration.meltano_jobs import (
    CRM_JOB_VARIABLE,
    DATABASE_URI_VARIABLE,
    EVERY_MINUTES_VARIABLE,
    ORGANIZATIONS_VARIABLE,
    STOP_GRACE_SECONDS,
    SYS_DIR_VARIABLE,
    JobConfigurationError,
    job_environment,
    parse_organizations,
    run_job,
    staggered_cron,
    sync_jobs,
)


def test_organizations_are_read_in_order_without_repeats() -> None:
    assert parse_organizations(" 20987654,10234695,,20987654 ") == ["20987654", "10234695"]


@pytest.mark.parametrize("value", ["", " , ", "10234695,acme", "10234695;20987654"])
def test_malformed_organization_lists_name_the_setting(value: str) -> None:
    with pytest.raises(JobConfigurationError, match=ORGANIZATIONS_VARIABLE):
        parse_organizations(value)


def test_each_organization_gets_its_state_id_and_staggered_minute() -> None:
    jobs = sync_jobs({ORGANIZATIONS_VARIABLE: "10234695,20987654", CRM_JOB_VARIABLE: "true"})
    assert [job.name for job in jobs] == [
        "zoho_sync_org_10234695", "zoho_sync_org_20987654", "zoho_sync_crm",
    ]  # fmt: skip
    assert [job.state_id("prod") for job in jobs] == [
        "prod:tap-zoho-to-target-tsh-erp:org-10234695",
        "prod:tap-zoho-to-target-tsh-erp:org-20987654",
        "prod:tap-zoho-to-target-tsh-erp:crm",
    ]
    assert [job.cron for job in jobs] == [
        "0-59/15 * * * *", "1-59/15 * * * *", "2-59/15 * * * *",
    ]  # fmt: skip
    assert jobs[0].env["ZOHO_ORGANIZATION_ID"] == "10234695"
    assert "crm" not in jobs[0].env["TAP_ZOHO_PRODUCTS"]
    assert "ZOHO_ORGANIZATION_ID" not in jobs[2].env
    assert jobs[0].command("meltano") == [
        "meltano", "run", "--state-id-suffix", "org-10234695", "tap-zoho", "target-tsh-erp",
    ]  # fmt: skip


def test_schedule_period_is_checked() -> None:
    assert staggered_cron(17, 15) == "2-59/15 * * * *"
    assert staggered_cron(3, 60) == "3 * * * *"
    for bad in ("0", "61", "quarter"):
        with pytest.raises(JobConfigurationError, match=EVERY_MINUTES_VARIABLE):
            sync_jobs({ORGANIZATIONS_VARIABLE: "10234695", EVERY_MINUTES_VARIABLE: bad})


def test_jobs_get_their_own_sys_dir_but_share_the_system_database(tmp_path: Path) -> None:
    first, second = sync_jobs({ORGANIZATIONS_VARIABLE: "10234695,20987654"})
    envs = [job_environment(job, tmp_path, {"KEEP": "me"}) for job in (first, second)]
    assert envs[0][SYS_DIR_VARIABLE] != envs[1][SYS_DIR_VARIABLE]
    assert all(Path(env[SYS_DIR_VARIABLE]).is_relative_to(tmp_path / ".meltano") for env in envs)
    shared = f"sqlite:///{tmp_path / '.meltano' / 'meltano.db'}"
    assert [env[DATABASE_URI_VARIABLE] for env in envs] == [shared, shared]
    assert envs[0]["KEEP"] == "me"

    postgres = "postgresql+psycopg://meltano@db.internal/meltano"
    env = job_environment(first, tmp_path, {DATABASE_URI_VARIABLE: postgres})
    assert env[DATABASE_URI_VARIABLE] == postgres


def command_line(*args: str, organizations: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ORGANIZATIONS_VARIABLE: organizations}
    return subprocess.run(
        [sys.executable, "-m", "tsh_orchestration", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_command_line_lists_the_jobs_and_refuses_unknown_ones() -> None:
    listed = command_line("list", organizations="10234695,20987654")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "zoho_sync_org_10234695\torg-10234695\t0-59/15 * * * *",
        "zoho_sync_org_20987654\torg-20987654\t1-59/15 * * * *",
    ]
    unknown = command_line("run", "zoho_sync_org_1", organizations="10234695")
    assert unknown.returncode == 2
    assert "no job 'zoho_sync_org_1'; configured: zoho_sync_org_10234695" in unknown.stderr
    malformed = command_line("list", organizations="acme")
    assert malformed.returncode == 2
    assert ORGANIZATIONS_VARIABLE in malformed.stderr


def test_a_run_past_its_timeout_is_stopped_and_reported(tmp_path: Path) -> None:
    for name in ("meltano.yml", "logging.yaml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    (tmp_path / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    (job,) = sync_jobs({ORGANIZATIONS_VARIABLE: "10234695"})
    result = run_job(job, tmp_path, base_env={**os.environ, **OFFLINE_ENV}, timeout=0.5)
    assert result.returncode != 0
    assert result.output.endswith("zoho_sync_org_10234695: stopped after the 0.5 s timeout")
    assert result.seconds < STOP_GRACE_SECONDS


INTERRUPTED_RUN = """
import os, sys
from pathlib import Path
from tsh_orchestration.meltano_jobs import ORGANIZATIONS_VARIABLE, run_job, sync_jobs
(job,) = sync_jobs({ORGANIZATIONS_VARIABLE: "10234695"})
print("started", flush=True)
run_job(job, Path(sys.argv[1]), timeout=600)
"""


def test_an_interrupted_run_takes_meltano_and_the_tap_with_it(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    for name in ("meltano.yml", "logging.yaml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    (tmp_path / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    # A "Zoho" that accepts connections and never answers: the tap waits, Meltano lives on.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        accounts_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        runner = subprocess.Popen(
            [sys.executable, "-c", INTERRUPTED_RUN, str(tmp_path)],
            env={**os.environ, **OFFLINE_ENV, "TAP_ZOHO_ACCOUNTS_URL": accounts_url},
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert runner.stdout is not None
        assert runner.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 60
        processes: list[Any] = []
        while len(processes) < 2 and time.monotonic() < deadline:  # meltano and the tap
            processes = psutil.Process(runner.pid).children(recursive=True)
            time.sleep(0.2)
        assert len(processes) >= 2, f"meltano did not start the tap: {processes}"
        runner.send_signal(signal.SIGINT)
        runner.communicate(timeout=60)
        _, alive = psutil.wait_procs(processes, timeout=10)
    assert alive == [], f"still running after the interrupt: {alive}"
