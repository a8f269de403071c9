"""Load rate and memory of target-tsh-erp against references measured in the same run.

    .venv/bin/python benchmarks/target/bench_target.py               # 50,000 items
    .venv/bin/python benchmarks/target/bench_target.py --records 500000

One file of Zoho Inventory items EXACTLY as tap-zoho emits them: the tap's own SCHEMA
message for `inventory_items` (its full typed schema, key and bookmark) and records made
from the emulator's list rows by the tap's own `post_process` (UTC datetimes, numbers
parsed, properties outside the schema dropped); a sample is validated with the SDK's
record validator and the run stops if one does not conform. Loaded into one embedded
PostgreSQL by:
  1. target-tsh-erp (raw `zoho_raw.inventory_items` + mapped `erp.products`), first load;
  2. target-tsh-erp again on the same file (update run: every row an update, none
     changed; rows rewritten are counted from xmin);
  3. MeltanoLabs target-postgres 0.8.1 with `use_copy: true` (its default batch size);
  4. PipelineWise's pipelinewise-target-postgres 2.1.2 (CSV files, COPY into a temp
     table, then UPDATE and INSERT into one flat table per stream; its defaults: batches
     of 100,000 rows, no record validation), installed in a cached venv of its own
     (`.pytest_cache/d/benchmark-venvs/`, its pins: psycopg2-binary 2.9.5,
     pipelinewise-singer-python 1.3.0), first load and update run on fresh schemas;
  5. the floor: a bare Python loop that parses each line, COPYs into a staging table and
     merges with INSERT ... ON CONFLICT into one table (no Singer, no SDK).
Each runs as a child process; peak RSS is the child's VmHWM. Ratios, not absolute
numbers, are the result (targets: >= 5x target-postgres, >= 3x pipelinewise on items and
>= 2x on documents, >= 40 % of the floor (80 % on documents), update run >= 1.0x the
first load, RSS <= 300 MB at 500k). Each loader is also timed on a file of one record
(its fixed cost per invocation). Every loader's modules are compiled to bytecode first,
as `pip install` leaves them (`--no-compile`: as uv leaves them, compiled on each run).
The last line printed is one JSON object with every figure (read by
benchmarks/report/components.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tap_output import TapOutput, validated_counts  # noqa: E402

from target_tsh_erp.database import embedded  # noqa: E402
from zoho_emulator.emulator import Emulator  # noqa: E402
from zoho_emulator.settings import EmulatorSettings  # noqa: E402

BIN = Path(sys.executable).parent
STREAM = "inventory_items"
ORG = "10234695"
SEED = 5
GOALS = {"vs_target_postgres": 5.0, "vs_pipelinewise": 3.0, "vs_floor": 0.40,
         "update_vs_first": 1.0, "rss_mb": 300.0}
PIPELINEWISE = "pipelinewise-target-postgres==2.1.2"
PW_FIRST = "pipelinewise first load"
PW_UPDATE = "pipelinewise update run"


def make_file(path: Path, records: int) -> dict[str, int]:
    """Write the items file; return records validated per stream."""
    output = TapOutput(STREAM, seed=SEED, organization_id=ORG)
    finance = Emulator(EmulatorSettings(seed=SEED, scale=records)).finance
    context = {"organization_id": ORG}
    written = 0
    with path.open("wb") as handle:
        handle.write(orjson.dumps(output.schema_message()) + b"\n")
        for row in finance.records(ORG, "items", product="inventory"):
            message = {"type": "RECORD", "stream": STREAM,
                       "record": output.record(row, context)}
            handle.write(orjson.dumps(message) + b"\n")
            written += 1
            if written % 10000 == 0:
                state = {"type": "STATE", "value": {"bookmarks": {STREAM: {"n": written}}}}
                handle.write(orjson.dumps(state) + b"\n")
            if written == records:
                break
        handle.write(orjson.dumps({"type": "STATE", "value": {"done": written}}) + b"\n")
    if written != records:
        msg = f"the emulator gave {written} items, not {records}"
        raise RuntimeError(msg)
    return validated_counts([output])


def load_average() -> float:
    """The 1-minute load average (the machine is shared: quote it with every figure)."""
    return round(os.getloadavg()[0], 2)


def _high_water_kb(pid: int) -> int:
    """VmHWM of a live process: its own peak RSS since exec (0 once it has exited)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


SERVER: dict[str, int] = {"pid": 0}
"""The benchmark's PostgreSQL postmaster (`watch_server`): its CPU is read around each run."""
TICKS = os.sysconf("SC_CLK_TCK")


def watch_server(data_dir: Path) -> None:
    """Read PostgreSQL's CPU around every following run (the postmaster of `data_dir`)."""
    SERVER["pid"] = int((data_dir / "postmaster.pid").read_text().split()[0])


def server_cpu() -> float:
    """CPU seconds of the postmaster and its backends, living or exited (0 if unwatched).

    A backend that exited is counted in its parent's cutime/cstime once reaped, so the
    difference around a run is the PostgreSQL work that run caused (the server serves
    nothing else; its background writers add a little).
    """
    root = SERVER["pid"]
    total = 0.0
    if not root:
        return total
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == root:  # utime, stime, cutime, cstime
            total += sum(int(value) for value in fields[11:15]) / TICKS
        elif int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def run_child(command: list[str], stdin_path: Path) -> dict[str, float]:
    """Run a child on a file; return seconds, CPU, peak RSS (MB) and load around it.

    On a shared machine wall time moves with the load; CPU seconds much less, so both
    are kept: the child's own (user + system, from wait4) and PostgreSQL's. Peak RSS is
    the child's VmHWM polled every 50 ms (ru_maxrss from wait4 would include this
    parent's memory inherited at fork).
    """
    load_before = load_average()
    server_before = server_cpu()
    with stdin_path.open("rb") as stdin, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL,
                                 stderr=errors)
        peak_kb = 0
        while True:
            pid, wait_status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, _high_water_kb(child.pid))
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        status = child.returncode = os.waitstatus_to_exitcode(wait_status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if status != 0:
        print(stderr[-3000:], file=sys.stderr)
        msg = f"{command[0]} failed with status {status}"
        raise RuntimeError(msg)
    time.sleep(0.2)  # the postmaster reaps the loader's backends
    return {"seconds": round(elapsed, 2), "rss_mb": round(peak_kb / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "postgres_cpu_s": round(server_cpu() - server_before, 2),
            "load_before": load_before, "load_after": load_average()}


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
    """Parse arguments; `--floor` is the floor loader's own child process."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--batch-size-rows", type=int, default=5000)
    parser.add_argument("--skip-target-postgres", action="store_true")
    parser.add_argument("--skip-pipelinewise", action="store_true")
    parser.add_argument("--no-compile", action="store_true",
                        help="do not write .pyc files first (start-up then includes compiling)")
    parser.add_argument("--floor", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor_main(*args.floor)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-target-"))
    try:
        summary = run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_summary(summary)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Generate the file, load it with every loader; return every figure."""
    data = work / "items.singer"
    validated = make_file(data, args.records)
    compiled = bytecode_compiled(args)
    size_mb = data.stat().st_size / 1e6
    print(f"file: {args.records} records, {size_mb:.1f} MB (the tap's schema; records"
          f" validated against it: {validated})", flush=True)
    results: dict[str, dict[str, float]] = {}
    with embedded(work / "pgdata") as database:
        watch_server(work / "pgdata")
        url = database.url
        config = work / "tsh.json"
        config.write_text(json.dumps({"database_url": url,
                                      "batch_size_rows": args.batch_size_rows}))
        tsh = [str(BIN / "target-tsh-erp"), "--config", str(config)]
        results["target-tsh-erp first load"] = run_child(tsh, data)
        products = xmins(url, "erp.products")
        raw = xmins(url, "zoho_raw.inventory_items")
        results["target-tsh-erp update run"] = {
            **run_child(tsh, data),
            "erp_rows_rewritten": rewritten(url, "erp.products", products),
            "raw_rows_rewritten": rewritten(url, "zoho_raw.inventory_items", raw),
        }
        results |= run_references(work, url, data, floor_script=Path(__file__), args=args)
        startup = startups(work, url, data, tsh, with_pipelinewise=not args.skip_pipelinewise)
    for result in results.values():
        result["rows_per_s"] = round(args.records / result["seconds"], 1)
    return {
        "benchmark": "bench_target", "stream": STREAM, "records": args.records,
        "startup_s": startup, "load_average_end": load_average(), "bytecode_compiled": compiled,
        "file_mb": round(size_mb, 1), "batch_size_rows": args.batch_size_rows,
        "validated_records": validated, "results": results,
        "ratios": ratios(results), "goals": GOALS,
    }


def startups(work: Path, url: str, data: Path, tsh: list[str], *,
             with_pipelinewise: bool) -> dict[str, float]:
    """Each loader's fixed cost on the file's first record (and the SCHEMA lines before it)."""
    head = b""
    with data.open("rb") as handle:
        for line in handle:
            head += line
            if line.startswith(b'{"type":"RECORD"'):
                break
    figures = {"target-tsh-erp": startup_seconds(tsh, head, work)}
    if with_pipelinewise:
        figures["pipelinewise"] = startup_seconds(pipelinewise_command(work, url), head, work)
    return figures


def run_references(
    work: Path, url: str, data: Path, *, floor_script: Path, args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """The same file through target-postgres, pipelinewise-target-postgres and the floor.

    target-postgres and pipelinewise run with their defaults (target-postgres with
    `use_copy`), each into a schema of its own that is empty before its first load.
    pipelinewise loads the file twice (first load, update run) like target-tsh-erp.
    `floor_script` is the benchmark whose `--floor FILE URL` loads the file into one table;
    `args.skip_target_postgres` / `args.skip_pipelinewise` leave a reference out.
    """
    results: dict[str, dict[str, Any]] = {}
    if not args.skip_target_postgres:
        tp_config = work / "tp.json"
        tp_config.write_text(json.dumps({
            "sqlalchemy_url": url.replace("postgresql://", "postgresql+psycopg://"),
            "use_copy": True, "default_target_schema": "bench_tp",
        }))
        results["target-postgres (use_copy)"] = run_child(
            [str(BIN / "target-postgres"), "--config", str(tp_config)], data
        )
    if not args.skip_pipelinewise:
        pipelinewise = pipelinewise_command(work, url)
        results[PW_FIRST] = {**run_child(pipelinewise, data),
                             "rows_stored": rows_in_schema(url, "bench_pw")}
        results[PW_UPDATE] = run_child(pipelinewise, data)
    results["floor: COPY + upsert, one table"] = run_child(
        [sys.executable, str(floor_script), "--floor", str(data), url], data
    )
    return results


def rows_in_schema(url: str, schema: str) -> int:
    """Rows in every table of a schema (what a reference loader really stored)."""
    with psycopg.connect(url) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables"
            " WHERE schemaname = %s", (schema,))]
        return sum(
            row[0] for table in tables
            if (row := connection.execute(f"SELECT count(*) FROM {table}").fetchone())  # noqa: S608
        )


def compile_bytecode(python: Path, *folders: Path) -> None:
    """Write the `.pyc` files of `folders` (what `pip install` does at install time).

    Loaders are compared as installed: pip compiles every module when it installs, but
    uv does not, and an environment with PYTHONDONTWRITEBYTECODE (as ours) never
    caches them, so each run would compile all its imports from source again (1.5 s of
    CPU for target-tsh-erp, 0.6 s for pipelinewise). Already compiled files are skipped.
    """
    subprocess.run([str(python), "-m", "compileall", "-q", "-j", "0", *map(str, folders)],
                   check=True, stdout=subprocess.DEVNULL)


def bytecode_compiled(args: argparse.Namespace) -> bool:
    """Compile every loader's modules unless `--no-compile` (then: as installed by uv).

    Also settles whether pipelinewise runs: when its venv cannot be built (PyPI out of
    reach), the run goes on without it, saying so, as with `--skip-pipelinewise`.
    """
    if not args.skip_pipelinewise:
        try:
            pipelinewise_venv()
        except (Exception, pytest.skip.Exception, pytest.fail.Exception) as error:  # noqa: BLE001 - any install failure
            print(f"pipelinewise-target-postgres left out: {str(error)[:300]}", flush=True)
            args.skip_pipelinewise = True
    if args.no_compile:
        return False
    packages = [ROOT / name for name in ("target_tsh_erp", "tap_zoho", "zoho_emulator")]
    site = Path(sys.executable).parent.parent / "lib"
    compile_bytecode(Path(sys.executable), site, *packages)
    if not args.skip_pipelinewise:
        venv = pipelinewise_venv()
        compile_bytecode(venv / "bin" / "python", venv / "lib")
    return True


def pipelinewise_venv() -> Path:
    """pipelinewise-target-postgres in its own venv: its pins cannot share ours.

    Built once by `tests/venvs.py` (the same helper the orchestration tests use) under
    `.pytest_cache/d/benchmark-venvs/`, reused while the requirement is the same.
    """
    from tests.venvs import cached_venv  # noqa: PLC0415 - only this reference needs it

    cache = ROOT / ".pytest_cache" / "d" / "benchmark-venvs"
    cache.mkdir(parents=True, exist_ok=True)
    return cached_venv(cache, "pipelinewise-target-postgres", PIPELINEWISE)


def pipelinewise_command(work: Path, url: str, schema: str = "bench_pw") -> list[str]:
    """The pipelinewise target with a config for our database (its own keys, no URL).

    It asks for a password even on a socket the server trusts: any text does there.
    """
    parts = psycopg.conninfo.conninfo_to_dict(url)
    config = work / f"{schema}.json"
    config.write_text(json.dumps({
        "host": parts.get("host") or "localhost", "port": int(parts.get("port") or 5432),
        "user": parts.get("user") or "postgres", "password": parts.get("password") or "-",
        "dbname": parts.get("dbname") or "postgres", "default_target_schema": schema,
    }))
    return [str(pipelinewise_venv() / "bin" / "target-postgres"), "--config", str(config)]


def startup_seconds(command: list[str], head: bytes, work: Path, repeats: int = 3) -> float:
    """A loader's fixed cost per invocation: the fastest of a few runs on one record.

    Run after its real loads, so its tables exist and (for target-tsh-erp) the
    migrations are applied, as on every scheduled run after the first.
    """
    tiny = work / "one-record.singer"
    tiny.write_bytes(head + b'{"type": "STATE", "value": {"startup": true}}\n')
    return min(run_child(command, tiny)["seconds"] for _ in range(repeats))


def _cpu(result: dict[str, float]) -> float:
    """A run's CPU seconds: the loader's and PostgreSQL's."""
    return result["cpu_s"] + result["postgres_cpu_s"]


def ratios(results: dict[str, dict[str, float]]) -> dict[str, float | None]:
    """The issue's goals as same-run ratios (first load against first load, update
    run against update run)."""
    first = results["target-tsh-erp first load"]["rows_per_s"]
    update = results["target-tsh-erp update run"]["rows_per_s"]
    reference = results.get("target-postgres (use_copy)")
    pw_first, pw_update = results.get(PW_FIRST), results.get(PW_UPDATE)
    return {
        "vs_target_postgres": (round(first / reference["rows_per_s"], 2)
                               if reference else None),
        "vs_pipelinewise": round(first / pw_first["rows_per_s"], 2) if pw_first else None,
        "update_vs_pipelinewise_update": (round(update / pw_update["rows_per_s"], 2)
                                          if pw_update else None),
        "cpu_vs_pipelinewise": (
            round(_cpu(pw_first) / _cpu(results["target-tsh-erp first load"]), 2)
            if pw_first else None),
        "vs_floor": round(first / results["floor: COPY + upsert, one table"]["rows_per_s"], 3),
        "update_vs_first": round(update / first, 3),
        "rss_mb": max(results["target-tsh-erp first load"]["rss_mb"],
                      results["target-tsh-erp update run"]["rss_mb"]),
    }


def print_summary(summary: dict[str, Any]) -> None:
    """One line per loader, the ratios against the goals, then the JSON object."""
    results, figures, goals = summary["results"], summary["ratios"], summary["goals"]
    width = max(map(len, results))
    for name, result in results.items():
        extra = "".join(f", {k} {int(v)}" for k, v in result.items()
                        if k.endswith(("rewritten", "stored")))
        print(f"{name:<{width}}  {result['rows_per_s']:>9,.0f} rows/s  "
              f"{result['seconds']:7.1f} s  CPU {result['cpu_s']:6.1f} s + PostgreSQL"
              f" {result['postgres_cpu_s']:6.1f} s  peak RSS {result['rss_mb']:6.0f} MB"
              f"  load {result['load_before']:.2f}->{result['load_after']:.2f}{extra}")
    print(f"target-tsh-erp / floor: {figures['vs_floor']:.0%}"
          f" (target >= {goals['vs_floor']:.0%})")
    if figures.get("vs_pipelinewise") is not None:
        print(f"target-tsh-erp / pipelinewise: first load {figures['vs_pipelinewise']:.2f}x"
              f" (target >= {goals['vs_pipelinewise']:.0f}x), update run"
              f" {figures['update_vs_pipelinewise_update']:.2f}x; CPU (loader + PostgreSQL),"
              f" pipelinewise / target-tsh-erp: {figures['cpu_vs_pipelinewise']:.2f}x")
    if "startup_s" in summary:
        startup = summary["startup_s"]
        print("start-up, one record (fastest of 3): " + ", ".join(
            f"{name} {seconds:.2f} s" for name, seconds in startup.items()))
    if figures.get("vs_target_postgres") is not None:
        print(f"target-tsh-erp / target-postgres: {figures['vs_target_postgres']:.1f}x"
              f" (target >= {goals['vs_target_postgres']:.0f}x)")
    print(f"update run / first load: {figures['update_vs_first']:.2f}"
          f" (target >= {goals['update_vs_first']})")
    print(f"target-tsh-erp peak RSS: {figures['rss_mb']:.0f} MB (target <= {goals['rss_mb']:.0f})")
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
