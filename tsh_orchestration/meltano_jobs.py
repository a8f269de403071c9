"""One `meltano run tap-zoho target-tsh-erp` per organization, each with its own state id.

The organizations come from configuration, not from code: `TSH_ZOHO_ORGANIZATIONS`
(comma-separated Books/Inventory organization ids), because an orchestrator's code
location is configured through its environment on every orchestrator we know, and the
list changes when the company adds an organization, not when this code changes. Each
job sets `ZOHO_ORGANIZATION_ID` (read by the tap) to its one organization and runs with
`--state-id-suffix org-<id>`, so bookmarks never mix and each job spends only its own
organization's quota. CRM belongs to the Zoho account, not to an organization, so the
organization jobs sync Books and Inventory only and CRM gets one job of its own when
`TSH_ZOHO_CRM_JOB` is true.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

ORGANIZATIONS_VARIABLE = "TSH_ZOHO_ORGANIZATIONS"
EVERY_MINUTES_VARIABLE = "TSH_ZOHO_SYNC_EVERY_MINUTES"
CRM_JOB_VARIABLE = "TSH_ZOHO_CRM_JOB"
SYS_DIR_VARIABLE = "MELTANO_SYS_DIR_ROOT"
DATABASE_URI_VARIABLE = "MELTANO_DATABASE_URI"
DEFAULT_EVERY_MINUTES = 15
EXTRACTOR = "tap-zoho"
LOADER = "target-tsh-erp"
ORGANIZATION_PRODUCTS = '["books", "inventory"]'
CRM_PRODUCTS = '["crm"]'
_ORGANIZATION_ID = re.compile(r"^[0-9]{1,20}$")
_OUTPUT_TAIL_LINES = 40
STOP_GRACE_SECONDS = 30.0
"""How long Meltano gets after SIGTERM on a timeout to stop its tap and target."""


class JobConfigurationError(ValueError):
    """The orchestration settings name no organization, or a malformed one."""


class MeltanoJobError(RuntimeError):
    """`meltano run` of one job exited non-zero; the message ends with its output's tail."""


@dataclass(frozen=True, slots=True)
class SyncJob:
    """One scheduled `meltano run`: what it syncs, under which state id, and when.

    Attributes:
        name: identifier-safe job name (`zoho_sync_org_<id>`, `zoho_sync_crm`).
        state_id_suffix: `--state-id-suffix`; with the environment it names the state id.
        env: variables the job sets on top of the orchestrator's environment.
        cron: when it starts; organizations are staggered so their runs spread out.
    """

    name: str
    state_id_suffix: str
    env: Mapping[str, str]
    cron: str

    def state_id(self, environment: str) -> str:
        """Meltano's state id of this job in `environment` (`dev`, `prod`, ...).

        One run per state id at a time is the orchestrator's rule: two runs of one state
        id would each write bookmarks the other did not read.
        """
        return f"{environment}:{EXTRACTOR}-to-{LOADER}:{self.state_id_suffix}"

    def command(self, meltano: str) -> list[str]:
        """The command line, the same one a person or a cron entry would type."""
        return [meltano, "run", "--state-id-suffix", self.state_id_suffix, EXTRACTOR, LOADER]


@dataclass(frozen=True, slots=True)
class JobResult:
    """How one `meltano run` went: enough for a log line and for the wall-time figures."""

    job: str
    returncode: int
    started_at: float
    finished_at: float
    output: str = field(repr=False)

    @property
    def seconds(self) -> float:
        """Wall time of the run."""
        return self.finished_at - self.started_at

    def tail(self, lines: int = _OUTPUT_TAIL_LINES) -> str:
        """The last lines of Meltano's output: where a failure says what went wrong."""
        return "\n".join(self.output.splitlines()[-lines:])


def parse_organizations(value: str) -> list[str]:
    """Organization ids from a comma-separated list, in order, without repeats.

    Raises:
        JobConfigurationError: the list is empty or holds something that is not an id.
    """
    organizations: list[str] = []
    for raw in value.split(","):
        organization = raw.strip()
        if not organization:
            continue
        if not _ORGANIZATION_ID.match(organization):
            msg = f"{ORGANIZATIONS_VARIABLE}: {organization!r} is not a Zoho organization id"
            raise JobConfigurationError(msg)
        if organization not in organizations:
            organizations.append(organization)
    if not organizations:
        msg = f"{ORGANIZATIONS_VARIABLE} names no organization (comma-separated ids expected)"
        raise JobConfigurationError(msg)
    return organizations


def staggered_cron(index: int, every_minutes: int) -> str:
    """Every `every_minutes`, starting `index` minutes past the hour (modulo the period).

    Staggered start minutes keep the jobs of one self-client and one database from all
    starting in the same second.

    Raises:
        JobConfigurationError: the period is not between 1 and 60 minutes.
    """
    if not 1 <= every_minutes <= 60:  # noqa: PLR2004 - a cron minute field
        msg = f"{EVERY_MINUTES_VARIABLE}: {every_minutes} is not between 1 and 60 minutes"
        raise JobConfigurationError(msg)
    if every_minutes == 60:  # noqa: PLR2004 - once an hour
        return f"{index % 60} * * * *"
    return f"{index % every_minutes}-59/{every_minutes} * * * *"


def organization_job(organization: str, index: int, every_minutes: int) -> SyncJob:
    """The Books/Inventory job of one organization."""
    return SyncJob(
        name=f"zoho_sync_org_{organization}",
        state_id_suffix=f"org-{organization}",
        env={"ZOHO_ORGANIZATION_ID": organization, "TAP_ZOHO_PRODUCTS": ORGANIZATION_PRODUCTS},
        cron=staggered_cron(index, every_minutes),
    )


def crm_job(index: int, every_minutes: int) -> SyncJob:
    """The account's CRM job: one CRM organization per Zoho account, one state id."""
    return SyncJob(
        name="zoho_sync_crm",
        state_id_suffix="crm",
        env={"TAP_ZOHO_PRODUCTS": CRM_PRODUCTS},
        cron=staggered_cron(index, every_minutes),
    )


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def sync_jobs(environ: Mapping[str, str]) -> list[SyncJob]:
    """The jobs the settings in `environ` ask for (organizations first, then CRM).

    Raises:
        JobConfigurationError: a setting is missing or malformed.
    """
    organizations = parse_organizations(environ.get(ORGANIZATIONS_VARIABLE, ""))
    every_text = environ.get(EVERY_MINUTES_VARIABLE, str(DEFAULT_EVERY_MINUTES)).strip()
    try:
        every_minutes = int(every_text)
    except ValueError:
        msg = f"{EVERY_MINUTES_VARIABLE}: {every_text!r} is not a whole number of minutes"
        raise JobConfigurationError(msg) from None
    jobs = [
        organization_job(organization, index, every_minutes)
        for index, organization in enumerate(organizations)
    ]
    if _truthy(environ.get(CRM_JOB_VARIABLE, "")):
        jobs.append(crm_job(len(jobs), every_minutes))
    return jobs


def meltano_executable() -> str:
    """The `meltano` beside the running interpreter (the project's venv), else PATH's."""
    candidate = Path(sys.executable).with_name("meltano")
    return str(candidate) if candidate.exists() else "meltano"


def job_environment(
    job: SyncJob, project_root: Path, base_env: Mapping[str, str]
) -> dict[str, str]:
    """The environment of one job's `meltano run`: the base, the job's settings, its own sys dir.

    Meltano writes a run's catalog, input state and configs under
    `<sys dir>/run/<plugin>/` with fixed names (`tap.properties.json`, `state.json`), so
    two runs of tap-zoho at once in one project folder overwrite each other's files (seen:
    "Invalid catalog"; and one tap could read the other organization's state). Each job
    therefore gets its own MELTANO_SYS_DIR_ROOT. What must stay shared stays shared:
    the system database (its default lives in the sys dir, so it is pinned to the
    project's own unless MELTANO_DATABASE_URI is set), and the tap's metadata cache and
    token store, which meltano.yml places under MELTANO_PROJECT_ROOT, not the sys dir.
    """
    env = {**base_env, **job.env}
    shared_sys_dir = Path(base_env.get(SYS_DIR_VARIABLE) or project_root / ".meltano")
    env[SYS_DIR_VARIABLE] = str(shared_sys_dir / "orchestration" / job.state_id_suffix)
    env.setdefault(DATABASE_URI_VARIABLE, f"sqlite:///{shared_sys_dir / 'meltano.db'}")
    return env


def run_job(
    job: SyncJob,
    project_root: Path,
    *,
    base_env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> JobResult:
    """Run the job's `meltano run` in `project_root` and wait for it.

    The job's variables go on top of `base_env` (default: this process's environment),
    so the orchestrator's settings (MELTANO_DATABASE_URI, credentials, database URL)
    reach Meltano and the plugins unchanged (see `job_environment`). Output is kept,
    never echoed here: the caller decides where it goes.
    """
    env = job_environment(job, project_root, os.environ if base_env is None else base_env)
    started = time.time()
    # Its own process group: on a timeout the tap and the target Meltano started go too,
    # instead of running on as orphans holding the state id's database connections.
    process = subprocess.Popen(  # noqa: S603 - the project's meltano with fixed arguments
        job.command(meltano_executable()),
        cwd=project_root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        output = _stop_group(process) + f"\n{job.name}: stopped after the {timeout} s timeout"
    except BaseException:
        # Interrupted (Ctrl-C, an orchestrator cancelling the run): Meltano's group goes too.
        _stop_group(process)
        raise
    return JobResult(
        job=job.name,
        returncode=process.returncode,
        started_at=started,
        finished_at=time.time(),
        output=output,
    )


def _stop_group(process: subprocess.Popen[str]) -> str:
    """SIGTERM to Meltano's process group (it stops its plugins), SIGKILL if it lingers."""
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal_number)
        try:
            output, _ = process.communicate(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            continue
        return output
    output, _ = process.communicate()
    return output


def checked(result: JobResult) -> JobResult:
    """The result, or an error carrying the output's tail when the run failed.

    Raises:
        MeltanoJobError: Meltano exited non-zero.
    """
    if result.returncode != 0:
        msg = f"{result.job}: meltano run exited {result.returncode}:\n{result.tail()}"
        raise MeltanoJobError(msg)
    return result
