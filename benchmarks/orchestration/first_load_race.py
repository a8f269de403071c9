"""How often two organizations' first loads at once into a NEW ERP database collide.

    .venv/bin/python -m benchmarks.orchestration.first_load_race --rounds 4

target-tsh-erp creates each raw table (`zoho_raw.<stream>`) on first use with
`CREATE TABLE IF NOT EXISTS`, which PostgreSQL does not make safe against a concurrent
twin: one of two targets creating the same table at once can fail with UniqueViolation
on pg_type_typname_nsp_index (3 of 18 rounds in our runs). This is the
reproduction for the target's fix: each round gets a fresh ERP database and a fresh
Meltano system database, and starts both organizations' jobs at once from two project
folders. It prints the failed rounds with the target's own line; 0 failures over many
rounds is what the fix should show. The scale-out tests and docs work around it by a
first load from one job alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from scripts.emulator_process import emulator_process
from scripts.meltano_runner import OFFLINE_ENV, PROJECT_ROOT, run_meltano
from target_tsh_erp.database import connect, embedded
from tsh_orchestration.meltano_jobs import ORGANIZATIONS_VARIABLE, run_job, sync_jobs
from tsh_orchestration.verification import SELECTED_STREAMS

ORGS = ("10234695", "20987654")


def in_database(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def project_folder(root: Path) -> Path:
    root.mkdir(parents=True)
    for name in ("meltano.yml", "logging.yaml"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    (root / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--scale", type=int, default=30, help="records per entity and org")
    args = parser.parse_args()
    failures: list[dict[str, str | int]] = []
    with tempfile.TemporaryDirectory(prefix="bench-first-load-race-") as folder:
        work = Path(folder)
        rate_limits_off = ("--requests-per-minute", "0")
        with (
            embedded(work / "pgdata") as database,
            emulator_process(
                work / "emulator", scale=str(args.scale), extra_args=rate_limits_off
            ) as emulator,
        ):
            for round_number in range(args.rounds):
                with connect(database.url, autocommit=True) as admin:
                    for name in (f"erp_{round_number}", f"meltano_{round_number}"):
                        admin.execute(f"CREATE DATABASE {name}")
                meltano = in_database(database.url, f"meltano_{round_number}")
                env = {
                    **os.environ,
                    **OFFLINE_ENV,
                    "MELTANO_ENVIRONMENT": "dev",
                    "MELTANO_DATABASE_URI": meltano.replace(
                        "postgresql://postgres:@", "postgresql+psycopg://postgres@"
                    ),
                    "TAP_ZOHO_ACCOUNTS_URL": emulator.base_url,
                    "TAP_ZOHO_REQUESTS_PER_MINUTE": "100000",
                    "TAP_ZOHO__SELECT": json.dumps(list(SELECTED_STREAMS)),
                    "TAP_ZOHO_TOKEN_STORE": meltano,
                    "TARGET_TSH_ERP_DATABASE_URL": in_database(database.url, f"erp_{round_number}"),
                }
                roots = [project_folder(work / f"round-{round_number}-{m}") for m in "ab"]
                run_meltano(["upgrade", "database"], project_root=roots[0], env=env)
                jobs = sync_jobs({ORGANIZATIONS_VARIABLE: ",".join(ORGS)})
                with ThreadPoolExecutor(max_workers=2) as pool:
                    futures = [
                        pool.submit(run_job, job, root, base_env=env)
                        for job, root in zip(jobs, roots, strict=True)
                    ]
                    results = [future.result() for future in futures]
                for result in results:
                    if result.returncode != 0:
                        stopped = [
                            line for line in result.output.splitlines() if "stopped:" in line
                        ]
                        failures.append({
                            "round": round_number,
                            "job": result.job,
                            "target": stopped[-1] if stopped else result.tail(5),
                        })  # fmt: skip
                print(f"round {round_number}: exit codes {[r.returncode for r in results]}")
    print(json.dumps({"rounds": args.rounds, "failed_rounds": failures}, indent=2))


if __name__ == "__main__":
    main()
