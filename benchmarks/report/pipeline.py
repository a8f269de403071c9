"""The whole `meltano run tap-zoho target-tsh-erp` in records/s, next to the bare pipe.

Reference in the same run: the same tap and target as a plain shell pipe
(`tap-zoho | target-tsh-erp`), same emulator, same data, a fresh schema pair; the ratio
is what Meltano's orchestration costs. Both load Books, Inventory and CRM from an emulator
served as its own process (`zoho-emulator serve`) into one embedded PostgreSQL.
"""

from __future__ import annotations

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


def measure(scale: int) -> dict[str, Any]:
    """Records/s of `meltano run` and of the bare pipe, same data, same run."""
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as folder:
        work = Path(folder)
        with emulator_process(work, scale=str(scale),
                              extra_args=("--requests-per-minute", "0", "--daily-limit", "0")
                              ) as emulator, embedded(work / "pgdata") as database:
            suffix = f"bench{int(time.time())}"
            env = {"MELTANO_ENVIRONMENT": "dev", "TAP_ZOHO_ACCOUNTS_URL": emulator.base_url,
                   "TAP_ZOHO_PRODUCTS": json.dumps(PRODUCTS),
                   "TAP_ZOHO_REQUESTS_PER_MINUTE": "0",
                   "TARGET_TSH_ERP_DATABASE_URL": database.url}  # fmt: skip
            emulator.reset_stats()
            result = run_meltano(["run", "--state-id-suffix", suffix, "tap-zoho",
                                  "target-tsh-erp"], env=env, log_path=work / "meltano.log")
            requests = emulator.stats()["total_requests"]
            run_meltano(["state", "clear", "--force",
                         f"dev:tap-zoho-to-target-tsh-erp:{suffix}"], env=env, check=False)
            meltano_rows = _raw_rows(database.url, "zoho_raw")
            emulator.reset_stats()
            bare_seconds = _bare(emulator.base_url, database.url, work)
            bare_rows = _raw_rows(database.url, "raw_bare")
    return {
        "scale": scale, "products": PRODUCTS, "api_requests": requests,
        "meltano": {"seconds": round(result.seconds, 2), "records": meltano_rows,
                    "records_per_s": round(meltano_rows / result.seconds, 1)},
        "bare_pipe": {"seconds": round(bare_seconds, 2), "records": bare_rows,
                      "records_per_s": round(bare_rows / bare_seconds, 1)},
        "meltano_share_of_bare": round(bare_seconds / result.seconds, 3),
    }
