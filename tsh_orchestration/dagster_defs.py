"""Dagster definitions: one job and one schedule per Zoho organization of the Meltano project.

Load with `dagster dev -m tsh_orchestration.dagster_defs` (or a workspace entry) in the
Meltano project's folder. Each job has one op that runs the same command line a person
would type, `meltano run --state-id-suffix org-<id> tap-zoho target-tsh-erp`, with
ZOHO_ORGANIZATION_ID set: Meltano keeps doing discovery, state and the plugin processes,
and Dagster only decides when and where. Plain ops rather than dagster-meltano, whose
last release (1.5.5, 2024) predates Meltano 4 and which would add nothing the command
line does not already do.

One run per state id at a time: each op's `pool` is its Meltano state id and the
instance's `concurrency.pools.default_limit: 1` (tsh_orchestration/dagster.yaml) gives
every pool one slot, so a second run of an organization waits for the first instead of
writing bookmarks the first did not read. Runs also carry the state id as the tag
`tsh/meltano-state-id`, for the run queue's per-value limit on a daemon-run instance.

Settings (environment of the code location): TSH_ZOHO_ORGANIZATIONS (required),
TSH_ZOHO_SYNC_EVERY_MINUTES, TSH_ZOHO_CRM_JOB (see tsh_orchestration.meltano_jobs),
MELTANO_PROJECT_ROOT (default: the current folder), MELTANO_ENVIRONMENT (default dev),
TSH_ZOHO_RUN_TIMEOUT_SECONDS (default 3600). Everything else (MELTANO_DATABASE_URI,
Zoho credentials, TSH_ERP_DATABASE_URL) passes through to Meltano untouched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg

from tsh_orchestration.meltano_jobs import JobConfigurationError, SyncJob, run_job, sync_jobs

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

STATE_ID_TAG = "tsh/meltano-state-id"
PROJECT_ROOT_VARIABLE = "MELTANO_PROJECT_ROOT"
ENVIRONMENT_VARIABLE = "MELTANO_ENVIRONMENT"
TIMEOUT_VARIABLE = "TSH_ZOHO_RUN_TIMEOUT_SECONDS"
DEFAULT_ENVIRONMENT = "dev"
"""meltano.yml's `default_environment`: the state ids' prefix when none is set."""
DEFAULT_TIMEOUT_SECONDS = 3600.0
INSTANCE_CONFIG = Path(__file__).with_name("dagster.yaml")
"""The instance settings these definitions rely on; copy to $DAGSTER_HOME/dagster.yaml."""


@dataclass(frozen=True, slots=True)
class OrchestrationSettings:
    """Where the Meltano project is, which environment it runs in, and which jobs exist."""

    project_root: Path
    environment: str
    jobs: Sequence[SyncJob]
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


def settings_from_environment(environ: Mapping[str, str]) -> OrchestrationSettings:
    """The settings of a code location, from its environment (see the module docstring).

    Raises:
        JobConfigurationError: the organizations, the period or the timeout are malformed.
    """
    timeout_text = environ.get(TIMEOUT_VARIABLE) or str(DEFAULT_TIMEOUT_SECONDS)
    try:
        timeout_seconds = float(timeout_text)
    except ValueError:
        timeout_seconds = 0.0
    if not timeout_seconds > 0:
        msg = f"{TIMEOUT_VARIABLE}: {timeout_text!r} is not a positive number of seconds"
        raise JobConfigurationError(msg)
    return OrchestrationSettings(
        project_root=Path(environ.get(PROJECT_ROOT_VARIABLE) or Path.cwd()),
        environment=environ.get(ENVIRONMENT_VARIABLE) or DEFAULT_ENVIRONMENT,
        jobs=sync_jobs(environ),
        timeout_seconds=timeout_seconds,
    )


def meltano_run_op(job: SyncJob, settings: OrchestrationSettings) -> dg.OpDefinition:
    """The op that runs one job's `meltano run`, in the pool named by its state id."""
    state_id = job.state_id(settings.environment)

    @dg.op(
        name=f"{job.name}_meltano_run",
        pool=state_id,
        description=f"meltano run {' '.join(job.command('meltano')[2:])} ({state_id})",
    )
    def meltano_run() -> dict[str, Any]:
        # Not a `context` parameter: Dagster compares its annotation with its classes, and
        # this module's annotations are strings (`from __future__ import annotations`).
        context = dg.OpExecutionContext.get()
        context.log.info("%s: meltano run for state id %s", job.name, state_id)
        result = run_job(job, settings.project_root, timeout=settings.timeout_seconds)
        if result.returncode != 0:
            context.log.error(
                "%s: meltano run exited %d; its last lines:\n%s",
                job.name, result.returncode, result.tail(),
            )  # fmt: skip
            raise dg.Failure(
                description=f"{job.name}: meltano run exited {result.returncode}",
                metadata={"output_tail": dg.MetadataValue.text(result.tail())},
            )
        context.log.info("%s: meltano run finished in %.1f s", job.name, result.seconds)
        return {
            "job": job.name,
            "state_id": state_id,
            "started_at": result.started_at,
            "finished_at": result.finished_at,
        }

    return meltano_run


def sync_job_definition(job: SyncJob, settings: OrchestrationSettings) -> dg.JobDefinition:
    """One Dagster job per Meltano job, run in process: its one op only waits on Meltano."""
    run_op = meltano_run_op(job, settings)

    @dg.job(
        name=job.name,
        tags={STATE_ID_TAG: job.state_id(settings.environment)},
        executor_def=dg.in_process_executor,
    )
    def sync() -> None:
        run_op()

    return sync


def build_definitions(settings: OrchestrationSettings) -> dg.Definitions:
    """A job and a running schedule per organization (and CRM, when asked for)."""
    jobs = [sync_job_definition(job, settings) for job in settings.jobs]
    schedules = [
        dg.ScheduleDefinition(
            name=f"{job.name}_schedule",
            job=definition,
            cron_schedule=job.cron,
            execution_timezone="UTC",
            default_status=dg.DefaultScheduleStatus.RUNNING,
        )
        for job, definition in zip(settings.jobs, jobs, strict=True)
    ]
    return dg.Definitions(jobs=jobs, schedules=schedules)


@dg.definitions
def defs() -> dg.Definitions:
    """What `dagster dev -m tsh_orchestration.dagster_defs` loads, from the environment.

    Loaded lazily (Dagster calls it), so importing this module never fails for want of
    settings; a malformed TSH_ZOHO_ORGANIZATIONS shows as a load error of the code
    location with the setting named.
    """
    return build_definitions(settings_from_environment(os.environ))
