"""`python -m tsh_orchestration list|run JOB`: the per-organization jobs for cron or Airflow.

A scheduler that only runs command lines (cron, an Airflow BashOperator, a Kubernetes
CronJob) gets the same jobs the Dagster definitions build, with the same environment
rules (each job its own Meltano sys dir, the system database shared), without copying
those rules into every crontab line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from tsh_orchestration.meltano_jobs import (
    JobConfigurationError,
    job_environment,
    meltano_executable,
    sync_jobs,
)


def main(argv: list[str] | None = None) -> int:
    """List the configured jobs, or run one and exit with Meltano's exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m tsh_orchestration",
        description="Per-organization meltano run jobs (organizations: TSH_ZOHO_ORGANIZATIONS).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="print name, state id suffix and cron of every job")
    run = commands.add_parser("run", help="run one job's meltano run in the project folder")
    run.add_argument("job", help="a name from `list`, e.g. zoho_sync_org_10234695")
    run.add_argument(
        "--project-root", type=Path, default=None, help="default: MELTANO_PROJECT_ROOT or ."
    )
    args = parser.parse_args(argv)
    try:
        jobs = {job.name: job for job in sync_jobs(os.environ)}
    except JobConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201 - command line output
        return 2
    if args.command == "list":
        for listed in jobs.values():
            print(f"{listed.name}\t{listed.state_id_suffix}\t{listed.cron}")  # noqa: T201
        return 0
    job = jobs.get(args.job)
    if job is None:
        print(f"error: no job {args.job!r}; configured: {', '.join(jobs)}", file=sys.stderr)  # noqa: T201
        return 2
    root = args.project_root or Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path.cwd())
    completed = subprocess.run(  # noqa: S603 - the project's meltano with fixed arguments
        job.command(meltano_executable()),
        cwd=root,
        env=job_environment(job, root, os.environ),
        check=False,
    )
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
