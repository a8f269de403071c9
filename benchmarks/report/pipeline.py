"""The whole `meltano run tap-zoho target-tsh-erp` in records/s, next to the bare pipe.

Reference in the same run: the same tap and target as a plain shell pipe
(`tap-zoho | target-tsh-erp`), same emulator, same data, a fresh schema pair; the ratio
is what Meltano's orchestration costs. Both load Books, Inventory and CRM from an emulator
served as its own process (`zoho-emulator serve`) into one embedded PostgreSQL.

The `meltano run` compared is a scheduled run's: the catalog of the project's settings is
already in the tap's discovery cache. A first `meltano run` (which discovers and keeps the
catalog) is timed apart as `first_run`. Then the sides alternate on emptied schemas
(bare, meltano, then meltano, bare, ... for `rounds`), and the best round of each side is
compared: on a shared machine the load of the moment otherwise decides the ratio.

Bytecode: `uv pip install` (the Makefile's) writes no `.pyc` files, and where
`PYTHONDONTWRITEBYTECODE` is set Python never writes them either, so every process
compiled its imports from source on every start (Meltano ~1,800 modules: 1 s of its
2.2 s start on a quiet machine). An installation made by pip, or by uv with
`--compile-bytecode`, has them; `compileall` gives the venv and the repository's
packages theirs first (a no-op once done), so both sides start as they would there.

    .venv/bin/python -m benchmarks.report.pipeline --scale 500 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from psycopg import sql

from scripts.emulator_process import emulator_process
from scripts.meltano_runner import run_meltano
from target_tsh_erp.database import connect, embedded
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN

BIN = Path(sys.executable).parent
PRODUCTS = ["books", "inventory", "crm"]
RESULTS = Path(__file__).resolve().parent.parent / "results" / "pipeline-meltano-vs-bare.jsonl"
SCHEMAS = ("zoho_raw", "erp", "raw_bare", "erp_bare")


def _empty(url: str) -> None:
    """Drop both schema pairs, so every round loads into empty tables (no update runs)."""
    with connect(url) as conn:
        for schema in SCHEMAS:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _raw_rows(url: str, schema: str) -> int:
    with connect(url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
            " AND table_name NOT LIKE '\\_%%' AND table_name <> 'rejects'", (schema,))]
        total = 0
        for table in tables:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(schema, table))).fetchone()
            total += int(row[0]) if row else 0
        return total


def _bare(base_url: str, url: str, work: Path) -> float:
    tap_config = work / "tap.json"
    tap_config.write_text(json.dumps({
        "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
        "refresh_token": DEMO_REFRESH_TOKEN, "accounts_url": base_url, "products": PRODUCTS,
        "requests_per_minute": 0}))
    target_config = work / "target.json"
    target_config.write_text(json.dumps({"database_url": url, "erp_schema": "erp_bare",
                                         "raw_schema": "raw_bare"}))
    started = time.monotonic()
    with (work / "bare-tap.log").open("wb") as tap_log, \
            (work / "bare-target.log").open("wb") as target_log:
        tap = subprocess.Popen([str(BIN / "tap-zoho"), "--config", str(tap_config)],
                               stdout=subprocess.PIPE, stderr=tap_log)
        target = subprocess.run([str(BIN / "target-tsh-erp"), "--config", str(target_config)],
                                stdin=tap.stdout, stdout=subprocess.DEVNULL, stderr=target_log,
                                check=True, timeout=3600)
        if tap.stdout is not None:
            tap.stdout.close()
        tap.wait(timeout=60)
    if tap.returncode != 0 or target.returncode != 0:
        msg = f"bare pipeline failed: tap {tap.returncode}, target {target.returncode}"
        raise RuntimeError(msg)
    return time.monotonic() - started


def _compile_bytecode() -> None:
    """`.pyc` files for the venv and our packages, as a pip install would have written."""
    site = Path(sql.__file__).resolve().parents[1]  # .../site-packages
    root = Path(__file__).resolve().parents[2]
    folders = [site, *(root / name for name in ("tap_zoho", "target_tsh_erp", "zoho_emulator"))]
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", *map(str, folders)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   timeout=1800)  # fmt: skip


def _meltano(env: dict[str, str], work: Path, label: str) -> float:
    suffix = f"bench{time.time_ns()}"
    result = run_meltano(["run", "--state-id-suffix", suffix, "tap-zoho", "target-tsh-erp"],
                         env=env, log_path=work / f"meltano-{label}.log")
    run_meltano(["state", "clear", "--force", f"dev:tap-zoho-to-target-tsh-erp:{suffix}"],
                env=env, check=False)
    return result.seconds


def measure(scale: int, rounds: int = 1) -> dict[str, Any]:
    """Records/s of `meltano run` and of the bare pipe, same data, same run."""
    bare: list[float] = []
    meltano: list[float] = []
    _compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as folder:
        work = Path(folder)
        with emulator_process(work, scale=str(scale),
                              extra_args=("--requests-per-minute", "0", "--daily-limit", "0")
                              ) as emulator, embedded(work / "pgdata") as database:
            env = {"MELTANO_ENVIRONMENT": "dev", "TAP_ZOHO_ACCOUNTS_URL": emulator.base_url,
                   "TAP_ZOHO_PRODUCTS": json.dumps(PRODUCTS),
                   "TAP_ZOHO_REQUESTS_PER_MINUTE": "0",
                   "TARGET_TSH_ERP_DATABASE_URL": database.url}  # fmt: skip
            emulator.reset_stats()
            first_run = _meltano(env, work, "first")
            first_requests = emulator.stats()["total_requests"]
            for index in range(rounds):
                _empty(database.url)
                sides = (("bare", "meltano") if index % 2 == 0 else ("meltano", "bare"))
                for side in sides:
                    emulator.reset_stats()
                    if side == "bare":
                        bare.append(_bare(emulator.base_url, database.url, work))
                        bare_rows = _raw_rows(database.url, "raw_bare")
                    else:
                        meltano.append(_meltano(env, work, str(index)))
                        requests = emulator.stats()["total_requests"]
                        meltano_rows = _raw_rows(database.url, "zoho_raw")
    best_meltano, best_bare = min(meltano), min(bare)
    return {
        "scale": scale, "products": PRODUCTS, "api_requests": requests,
        "bytecode": "compiled first (compileall), as a pip install has it",
        "first_run": {"seconds": round(first_run, 2), "api_requests": first_requests,
                      "note": "discovers (metadata from Zoho) and keeps the catalog"},
        "rounds": {"meltano_seconds": [round(x, 2) for x in meltano],
                   "bare_seconds": [round(x, 2) for x in bare]},
        "meltano": {"seconds": round(best_meltano, 2), "records": meltano_rows,
                    "records_per_s": round(meltano_rows / best_meltano, 1)},
        "bare_pipe": {"seconds": round(best_bare, 2), "records": bare_rows,
                      "records_per_s": round(bare_rows / best_bare, 1)},
        "meltano_share_of_bare": round(best_bare / best_meltano, 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure once and append the result to benchmarks/results (one JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=500, help="records per entity and org")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    result = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": f"python -m benchmarks.report.pipeline --scale {args.scale}"
                         f" --rounds {args.rounds}",
              **measure(args.scale, args.rounds)}  # fmt: skip
    line = json.dumps(result)
    print(line)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
