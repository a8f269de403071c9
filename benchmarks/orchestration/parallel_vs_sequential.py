"""Two organizations' `meltano run` jobs in parallel against one after the other.

    .venv/bin/python -m benchmarks.orchestration.parallel_vs_sequential            # ~5 min
    .venv/bin/python -m benchmarks.orchestration.parallel_vs_sequential --scale 60 --rpm 100

Zoho limits requests per product and organization (100 a minute), so one organization's
first load is bound by its own limit, not by the machine: two organizations side by side
should take about as long as one, and one after the other about twice as long. Each mode
gets a fresh emulator (the same seed and data, its rate limits ON), fresh databases and a
fresh project folder, and is measured with the orchestration package's own job runner
(`tsh_orchestration.meltano_jobs.run_job`, per-job Meltano sys dirs, the default token
store). The parallel mode then runs a second, incremental round. Both organizations'
first loads start together on a fresh ERP database, so until target-tsh-erp serialises
its raw-table DDL a run can fail with UniqueViolation (see first_load_race.py): rerun.
Prints one JSON object and appends it to
benchmarks/results/orchestration-parallel-vs-sequential.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scripts.emulator_process import EmulatorProcess, emulator_process
from scripts.meltano_runner import OFFLINE_ENV, PROJECT_ROOT, run_meltano
from target_tsh_erp.database import connect, embedded
from tsh_orchestration.meltano_jobs import (
    ORGANIZATIONS_VARIABLE,
    JobResult,
    SyncJob,
    checked,
    run_job,
    sync_jobs,
)
from tsh_orchestration.verification import SELECTED_STREAMS, erp_differences

ORGS = ("10234695", "20987654")
RESULTS = (
    Path(__file__).resolve().parents[1] / "results" / "orchestration-parallel-vs-sequential.jsonl"
)


def in_database(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def project_folder(root: Path) -> Path:
    root.mkdir(parents=True)
    for name in ("meltano.yml", "logging.yaml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    (root / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    return root


def run_all(
    jobs: list[SyncJob], root: Path, env: dict[str, str], *, parallel: bool
) -> list[JobResult]:
    if not parallel:
        return [checked(run_job(job, root, base_env=env)) for job in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(run_job, job, root, base_env=env) for job in jobs]
        return [checked(future.result()) for future in futures]


def measure_mode(
    work: Path, server_url: str, args: argparse.Namespace, *, parallel: bool
) -> dict[str, Any]:
    mode = "parallel" if parallel else "sequential"
    with connect(server_url, autocommit=True) as admin:
        for name in (f"erp_{mode}", f"meltano_{mode}"):
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
    erp_url = in_database(server_url, f"erp_{mode}")
    meltano_uri = in_database(server_url, f"meltano_{mode}").replace(
        "postgresql://postgres:@", "postgresql+psycopg://postgres@"
    )
    rate_limits = ("--requests-per-minute", str(args.rpm))
    with emulator_process(
        work / f"emulator-{mode}", scale=str(args.scale), extra_args=rate_limits
    ) as emulator:
        root = project_folder(work / f"project-{mode}")
        env = {
            **os.environ,
            **OFFLINE_ENV,
            "MELTANO_ENVIRONMENT": "dev",
            "MELTANO_DATABASE_URI": meltano_uri,
            "TAP_ZOHO_ACCOUNTS_URL": emulator.base_url,
            "TAP_ZOHO_REQUESTS_PER_MINUTE": str(args.rpm),
            "TAP_ZOHO__SELECT": json.dumps(list(SELECTED_STREAMS)),
            "TARGET_TSH_ERP_DATABASE_URL": erp_url,
        }
        run_meltano(["upgrade", "database"], project_root=root, env=env)
        jobs = sync_jobs({ORGANIZATIONS_VARIABLE: ",".join(ORGS)})
        emulator.reset_stats()
        started = time.monotonic()
        results = run_all(jobs, root, env, parallel=parallel)
        wall = time.monotonic() - started
        stats = emulator.stats()
        with connect(erp_url, autocommit=True) as erp:
            differences = erp_differences(emulator, erp, ORGS)
        figures: dict[str, Any] = {
            "wall_seconds": round(wall, 1),
            "job_seconds": {r.job: round(r.seconds, 1) for r in results},
            "requests": stats["total_requests"],
            "rate_limited_429": stats["rate_limited"],
            "tokens_minted": stats["tokens_minted"],
            "erp_differences": differences,
        }
        if parallel:
            figures["second_round"] = second_round(emulator, jobs, root, env, erp_url)
        return figures


def second_round(
    emulator: EmulatorProcess, jobs: list[SyncJob], root: Path, env: dict[str, str], erp_url: str
) -> dict[str, Any]:
    for org in ORGS:
        emulator.control(
            "POST", f"finance/{org}/invoices/update", {"count": 2, "fields": {"status": "paid"}}
        )
    emulator.reset_stats()
    started = time.monotonic()
    run_all(jobs, root, env, parallel=True)
    wall = time.monotonic() - started
    stats = emulator.stats()
    with connect(erp_url, autocommit=True) as erp:
        differences = erp_differences(emulator, erp, ORGS)
    return {
        "wall_seconds": round(wall, 1),
        "requests": stats["total_requests"],
        "requests_by_route": stats["requests_by_route"],
        "tokens_minted": stats["tokens_minted"],
        "erp_differences": differences,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=60, help="records per entity and org")
    parser.add_argument(
        "--rpm", type=int, default=100, help="emulator limit and tap pace per product and org"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-orchestration-") as folder:
        work = Path(folder)
        with embedded(work / "pgdata") as database:
            sequential = measure_mode(work, database.url, args, parallel=False)
            parallel = measure_mode(work, database.url, args, parallel=True)
    report = {
        "benchmark": "orchestration-parallel-vs-sequential",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": args.scale,
        "requests_per_minute": args.rpm,
        "organizations": len(ORGS),
        "sequential": sequential,
        "parallel": parallel,
        "parallel_speedup": round(sequential["wall_seconds"] / parallel["wall_seconds"], 2),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(report, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
