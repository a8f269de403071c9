"""Load rate and memory of target-tsh-erp against references measured in the same run.

    .venv/bin/python benchmarks/target/bench_target.py               # 50,000 items
    .venv/bin/python benchmarks/target/bench_target.py --records 500000

One generated file of Zoho Inventory items (as tap-zoho emits them) is loaded into one
embedded PostgreSQL by:
  1. target-tsh-erp (raw `zoho_raw.inventory_items` + mapped `erp.products`), first load;
  2. target-tsh-erp again on the same file (update run: every row an update, none
     changed; rows rewritten are counted from xmin);
  3. MeltanoLabs target-postgres 0.8.1 with `use_copy: true` (its default batch size);
  4. the floor: a bare Python loop that parses each line, COPYs into a staging table and
     merges with INSERT ... ON CONFLICT into one table (no Singer, no SDK).
Each runs as a child process; peak RSS comes from wait4(). Ratios, not absolute
numbers, are the result (targets: >= 5x target-postgres, >= 40 % of the floor,
RSS <= 300 MB at 500k).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from target_tsh_erp.database import embedded  # noqa: E402
from target_tsh_erp.testing import schema_message, synthetic_item  # noqa: E402

BIN = Path(sys.executable).parent
STREAM = "inventory_items"


def make_file(path: Path, records: int) -> None:
    with path.open("wb") as handle:
        handle.write(orjson.dumps(schema_message(STREAM)) + b"\n")
        for index in range(records):
            message = {"type": "RECORD", "stream": STREAM, "record": synthetic_item(index)}
            handle.write(orjson.dumps(message) + b"\n")
            if index % 10000 == 9999:
                state = {"type": "STATE", "value": {"bookmarks": {STREAM: {"n": index + 1}}}}
                handle.write(orjson.dumps(state) + b"\n")
        handle.write(orjson.dumps({"type": "STATE", "value": {"done": records}}) + b"\n")


def _high_water_kb(pid: int) -> int:
    """VmHWM of a live process: its own peak RSS since exec (0 once it has exited)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_child(command: list[str], stdin_path: Path) -> tuple[float, float]:
    """Run a child on a file; return (seconds, peak RSS in MB).

    Peak RSS is the child's VmHWM polled every 50 ms (ru_maxrss from wait4 would include
    this parent's memory inherited at fork).
    """
    with stdin_path.open("rb") as stdin, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL,
                                 stderr=errors)
        peak_kb = 0
        while child.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(child.pid))
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        status = child.returncode
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if status != 0:
        print(stderr[-3000:], file=sys.stderr)
        msg = f"{command[0]} failed with status {status}"
        raise RuntimeError(msg)
    return elapsed, peak_kb / 1024


def floor_main(path: str, url: str) -> None:
    """The floor: parse, COPY to a stage, one INSERT ... ON CONFLICT; one table."""
    with psycopg.connect(url) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS floor")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS floor.items (organization_id text, item_id text,"
            " modified_at timestamptz, record jsonb, PRIMARY KEY (organization_id, item_id))"
        )
        connection.execute(
            "CREATE TEMP TABLE stage (organization_id text, item_id text,"
            " modified_at timestamptz, record jsonb)"
        )
        connection.commit()
        batch: list[tuple[Any, ...]] = []

        def flush() -> None:
            with connection.cursor() as cursor:
                with cursor.copy("COPY stage FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
                cursor.execute(
                    "INSERT INTO floor.items SELECT DISTINCT ON (organization_id, item_id) *"
                    " FROM stage ORDER BY organization_id, item_id, modified_at DESC"
                    " ON CONFLICT (organization_id, item_id) DO UPDATE SET"
                    " modified_at = excluded.modified_at, record = excluded.record"
                    " WHERE excluded.modified_at >= floor.items.modified_at"
                    " AND floor.items.record IS DISTINCT FROM excluded.record"
                )
                cursor.execute("TRUNCATE stage")
            connection.commit()
            batch.clear()

        with Path(path).open("rb") as handle:
            for line in handle:
                message = orjson.loads(line)
                if message["type"] != "RECORD":
                    continue
                record = message["record"]
                batch.append((record["organization_id"], record["item_id"],
                              record["last_modified_time"], orjson.dumps(record).decode()))
                if len(batch) >= 10000:
                    flush()
        if batch:
            flush()


def rewritten(url: str, table: str, before: dict[Any, str]) -> int:
    now = xmins(url, table)
    return sum(1 for key, xmin in now.items() if before.get(key) != xmin)


def xmins(url: str, table: str) -> dict[Any, str]:
    """Row identity -> xmin: a rewritten row gets a new xmin."""
    with psycopg.connect(url) as connection:
        query = f"SELECT ctid::text || tableoid::text, xmin::text FROM {table}"  # noqa: S608
        return dict(connection.execute(query).fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--batch-size-rows", type=int, default=5000)
    parser.add_argument("--skip-target-postgres", action="store_true")
    parser.add_argument("--floor", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor_main(*args.floor)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-target-"))
    try:
        run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    """Generate the file, load it with every loader, print rates and ratios."""
    data = work / "items.singer"
    make_file(data, args.records)
    size_mb = data.stat().st_size / 1e6
    print(f"file: {args.records} records, {size_mb:.1f} MB")
    results: dict[str, dict[str, float]] = {}
    with embedded(work / "pgdata") as database:
        url = database.url
        config = work / "tsh.json"
        config.write_text(json.dumps({"database_url": url,
                                      "batch_size_rows": args.batch_size_rows}))
        tsh = [str(BIN / "target-tsh-erp"), "--config", str(config)]
        seconds, rss = run_child(tsh, data)
        results["target-tsh-erp first load"] = {"seconds": seconds, "rss_mb": rss}
        products = xmins(url, "erp.products")
        raw = xmins(url, "zoho_raw.inventory_items")
        seconds, rss = run_child(tsh, data)
        results["target-tsh-erp update run"] = {
            "seconds": seconds, "rss_mb": rss,
            "erp_rows_rewritten": rewritten(url, "erp.products", products),
            "raw_rows_rewritten": rewritten(url, "zoho_raw.inventory_items", raw),
        }
        if not args.skip_target_postgres:
            tp_config = work / "tp.json"
            tp_config.write_text(json.dumps({
                "sqlalchemy_url": url.replace("postgresql://", "postgresql+psycopg://"),
                "use_copy": True, "default_target_schema": "bench_tp",
            }))
            seconds, rss = run_child(
                [str(BIN / "target-postgres"), "--config", str(tp_config)], data
            )
            results["target-postgres (use_copy)"] = {"seconds": seconds, "rss_mb": rss}
        seconds, rss = run_child(
            [sys.executable, __file__, "--floor", str(data), url], data
        )
        results["floor: COPY + upsert, one table"] = {"seconds": seconds, "rss_mb": rss}
    for result in results.values():
        result["rows_per_s"] = args.records / result["seconds"]
    width = max(map(len, results))
    for name, result in results.items():
        extra = "".join(f", {k} {int(v)}" for k, v in result.items() if k.endswith("rewritten"))
        print(f"{name:<{width}}  {result['rows_per_s']:>9,.0f} rows/s  "
              f"{result['seconds']:7.1f} s  peak RSS {result['rss_mb']:6.0f} MB{extra}")
    tsh_rate = results["target-tsh-erp first load"]["rows_per_s"]
    floor_rate = results["floor: COPY + upsert, one table"]["rows_per_s"]
    print(f"target-tsh-erp / floor: {tsh_rate / floor_rate:.0%} (target >= 40%)")
    if "target-postgres (use_copy)" in results:
        tp_rate = results["target-postgres (use_copy)"]["rows_per_s"]
        print(f"target-tsh-erp / target-postgres: {tsh_rate / tp_rate:.1f}x (target >= 5x)")
    update_rate = results["target-tsh-erp update run"]["rows_per_s"]
    print(f"update run / first load: {update_rate / tsh_rate:.2f} (target >= 1.0)")


if __name__ == "__main__":
    main()
