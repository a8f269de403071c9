"""The Dagster definitions run both organizations' jobs against the emulator, one run per state id.

Each Dagster run executes in a process of its own (as Dagster's run launcher starts it)
with the in-process executor, all sharing one Dagster instance (the shipped
tsh_orchestration/dagster.yaml: pools of one slot) and one Meltano project whose system
database is on PostgreSQL. After one organization's first load alone (a new ERP database's
set-up), round one runs the two organizations at once; round two runs one organization
twice and the other once, all started together: the two runs of one state id must take
turns while the other organization's run goes on beside them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pytest

dg = pytest.importorskip("dagster", reason="the optional dagster extra is not installed")

from scripts.meltano_runner import OFFLINE_ENV, PROJECT_ROOT, MeltanoProject  # noqa: E402
from target_tsh_erp.database import connect  # noqa: E402
from tsh_orchestration.dagster_defs import (  # noqa: E402
    INSTANCE_CONFIG,
    STATE_ID_TAG,
    TIMEOUT_VARIABLE,
    build_definitions,
    settings_from_environment,
)
from tsh_orchestration.meltano_jobs import (  # noqa: E402
    ORGANIZATIONS_VARIABLE,
    JobConfigurationError,
    sync_jobs,
)
from tsh_orchestration.verification import (  # noqa: E402
    SELECTED_STREAMS,
    erp_differences,
    foreign_organizations,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from scripts.emulator_process import EmulatorProcess

pytestmark = pytest.mark.timeout(900)

ORGS = ("10234695", "20987654")
ENVIRONMENT = "dev"
RUN_TIMEOUT_SECONDS = 600
# One Dagster run: load the definitions as `dagster dev -m` would, execute one job in
# process against the instance in DAGSTER_HOME, print the op's output as the last line.
RUN_ONE_JOB = """
import json, sys
import dagster as dg
from tsh_orchestration.dagster_defs import defs
name = sys.argv[1]
job = defs().get_job_def(name)
with dg.DagsterInstance.get() as instance:
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    output = result.output_for_node(f"{name}_meltano_run") if result.success else None
print("RESULT " + json.dumps({"success": result.success, "output": output}))
"""


@dataclass(frozen=True, slots=True)
class DagsterRun:
    """What one successful run's process reported: the op's start and end (epoch s)."""

    job: str
    started_at: float
    finished_at: float
    log: str


def in_database(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def meltano_db_url(erp_database: str) -> str:
    with connect(erp_database, autocommit=True) as admin:
        for name in ("erp_dagster", "meltano_dagster"):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
    return in_database(erp_database, "meltano_dagster")


@pytest.fixture(scope="module")
def erp_url(erp_database: str, meltano_db_url: str) -> str:
    assert meltano_db_url
    return in_database(erp_database, "erp_dagster")


@pytest.fixture(scope="module")
def dagster_machine(
    tmp_path_factory: pytest.TempPathFactory,
    emulator: EmulatorProcess,
    meltano_db_url: str,
    erp_url: str,
) -> tuple[MeltanoProject, dict[str, str]]:
    """The Meltano project and the code location's environment, as a deployment has them."""
    root = tmp_path_factory.mktemp("dagster-project")
    for name in ("meltano.yml", "logging.yaml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    (root / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    dagster_home = tmp_path_factory.mktemp("dagster-home")
    shutil.copy(INSTANCE_CONFIG, dagster_home / "dagster.yaml")
    env = {
        **OFFLINE_ENV,
        "MELTANO_ENVIRONMENT": ENVIRONMENT,
        "MELTANO_PROJECT_ROOT": str(root),
        "MELTANO_DATABASE_URI": meltano_db_url.replace(
            "postgresql://postgres:@", "postgresql+psycopg://postgres@"
        ),
        "TAP_ZOHO_ACCOUNTS_URL": emulator.base_url,
        "TAP_ZOHO_REQUESTS_PER_MINUTE": "100000",
        "TAP_ZOHO__SELECT": json.dumps(list(SELECTED_STREAMS)),
        "TARGET_TSH_ERP_DATABASE_URL": erp_url,
        "DAGSTER_HOME": str(dagster_home),
        ORGANIZATIONS_VARIABLE: ",".join(ORGS),
    }
    return MeltanoProject(root=root, env=env), env


@pytest.fixture
def erp(erp_url: str) -> Iterator[Any]:
    connection = connect(erp_url, autocommit=True)
    yield connection
    connection.close()


def run_together(root: Path, env: dict[str, str], job_names: list[str]) -> list[DagsterRun]:
    """Start one Dagster run process per name at the same moment; wait for them all."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RUN_ONE_JOB, name],
            cwd=root, env={**os.environ, **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for name in job_names
    ]  # fmt: skip
    runs = []
    for name, process in zip(job_names, processes, strict=True):
        log, _ = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
        result_lines = [line for line in log.splitlines() if line.startswith("RESULT ")]
        assert process.returncode == 0, f"{name} run process failed:\n{log[-4000:]}"
        assert result_lines, f"{name} run process reported nothing:\n{log[-4000:]}"
        report = json.loads(result_lines[-1].removeprefix("RESULT "))
        meltano_said = log[log.find("meltano run exited") :][:6000]
        assert report["success"], f"Dagster run of {name} failed:\n{meltano_said}"
        output = report["output"]
        runs.append(DagsterRun(name, output["started_at"], output["finished_at"], log))
    return runs


def overlap(first: DagsterRun, second: DagsterRun) -> float:
    """Seconds both ops were running (<= 0: one waited for the other)."""
    return min(first.finished_at, second.finished_at) - max(first.started_at, second.started_at)


def test_dagster_jobs_sync_both_organizations_one_run_per_state_id(
    dagster_machine: tuple[MeltanoProject, dict[str, str]],
    emulator: EmulatorProcess,
    erp,
) -> None:
    project, env = dagster_machine
    jobs = sync_jobs(env)
    names = [job.name for job in jobs]
    assert names == [f"zoho_sync_org_{org}" for org in ORGS]
    project.run("upgrade", "database")  # the shared system database's one set-up step

    emulator.reset_stats()
    # A new ERP database gets its first load from one job alone (see test_scale_out.py).
    run_together(project.root, env, names[:1])
    first = run_together(project.root, env, names)
    first_stats = emulator.stats()  # both organizations' first loads and one rerun
    assert overlap(*first) > 0, "the two organizations' runs did not run at once"
    assert erp_differences(emulator, erp, ORGS) == []
    for job, org in zip(jobs, ORGS, strict=True):
        state = project.state(job.state_id(ENVIRONMENT))
        assert org in json.dumps(state), f"state of {org} holds no bookmark of it"
        assert foreign_organizations(state, org, ORGS) == [], f"state of {org}: {state}"

    changed = {
        org: emulator.control(
            "POST", f"finance/{org}/invoices/update",
            {"count": 2, "fields": {"status": "paid", "balance": 0.0}},
        )["ids"]
        for org in ORGS
    }  # fmt: skip

    emulator.reset_stats()
    again, twice, other = run_together(project.root, env, [names[0], names[0], names[1]])
    second_stats = emulator.stats()
    assert overlap(again, twice) <= 0, "two runs of one state id ran at the same time"
    assert max(overlap(again, other), overlap(twice, other)) > 0, (
        "the other organization's run waited for a pool that is not its own"
    )
    routes = second_stats["requests_by_route"]
    assert routes.get("books:/invoices/{id}", 0) <= 4 * len(ORGS), routes
    # Three incremental runs against two first loads (and one incremental run).
    assert second_stats["total_requests"] < first_stats["total_requests"] / 4, (
        first_stats["total_requests"], second_stats["total_requests"],
    )  # fmt: skip
    assert erp_differences(emulator, erp, ORGS) == []
    for org, ids in changed.items():
        statuses = erp.execute(
            "SELECT status FROM erp.invoices WHERE organization_id = %s AND zoho_id = ANY(%s)",
            (org, ids),
        ).fetchall()
        assert statuses == [("paid",), ("paid",)], (org, statuses)

    # Six runs, twelve tap processes, one project folder: the default token store mints once.
    assert first_stats["tokens_minted"] + second_stats["tokens_minted"] == 1
    instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
    try:
        tags = sorted(run.tags.get(STATE_ID_TAG, "") for run in instance.get_runs())
    finally:
        instance.dispose()
    runs_of = {jobs[0].state_id(ENVIRONMENT): 4, jobs[1].state_id(ENVIRONMENT): 2}
    expected = sorted(state_id for state_id, count in runs_of.items() for _ in range(count))
    assert tags == expected


def test_definitions_hold_a_job_and_a_running_schedule_per_organization() -> None:
    settings = settings_from_environment(
        {ORGANIZATIONS_VARIABLE: ",".join(ORGS), "MELTANO_ENVIRONMENT": "prod"}
    )
    definitions = build_definitions(settings)
    for index, org in enumerate(ORGS):
        job = definitions.get_job_def(f"zoho_sync_org_{org}")
        state_id = f"prod:tap-zoho-to-target-tsh-erp:org-{org}"
        assert job.tags[STATE_ID_TAG] == state_id
        assert [node.definition.pool for node in job.graph.nodes] == [state_id]
        schedule = definitions.resolve_schedule_def(f"zoho_sync_org_{org}_schedule")
        assert schedule.cron_schedule == f"{index}-59/15 * * * *"
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    with pytest.raises(JobConfigurationError, match=TIMEOUT_VARIABLE):
        settings_from_environment({ORGANIZATIONS_VARIABLE: ORGS[0], TIMEOUT_VARIABLE: "soon"})
