"""Where a target-tsh-erp run spends its time: Python against PostgreSQL, per phase.

    .venv/bin/python benchmarks/target/profile_phases.py --records 100000
    .venv/bin/python benchmarks/target/profile_phases.py --documents 10000

Writes the benchmark's own file (items, or documents with lines, as tap-zoho emits
them), starts a fresh embedded PostgreSQL, and runs the target IN THIS PROCESS twice
(first load, update run) with the phases timed by wrapping the functions that do them
(wall time per phase, summed over batches; the writer threads' phases overlap the
reading thread's). CPU is read around each run: this process (all its threads) and
every PostgreSQL process of the dedicated server (the postmaster's children included,
exited or not), so "Python" and "PostgreSQL" are CPU seconds, not guesses from wall
time. Start-up is timed by phase too (imports, config, connect and migrations check).
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of_tree(root_pid: int) -> float:
    """CPU seconds of a process and of all its children, living or reaped."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        if pid == root_pid:  # utime, stime, cutime, cstime (reaped children)
            total += sum(int(value) for value in fields[11:15]) / TICKS
        elif parent == root_pid:
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


class Phases:
    """Wall seconds per phase, summed over calls and threads."""

    def __init__(self) -> None:
        """Start empty."""
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._originals: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, name: str, phase: str) -> None:
        """Time every call of `owner.name` as `phase`."""
        original = owner.__dict__[name] if name in vars(owner) else getattr(owner, name)
        self._originals.append((owner, name, original))
        call = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                with self._lock:
                    self.seconds[phase] += elapsed
                    self.calls[phase] += 1

        setattr(owner, name, staticmethod(timed) if isinstance(original, staticmethod)
                else timed)

    def restore(self) -> None:
        """Put every wrapped function back."""
        for owner, name, original in reversed(self._originals):
            setattr(owner, name, original)
        self._originals.clear()


def instrument(phases: Phases) -> None:
    """Wrap the functions that make up each phase (reading thread and writer threads)."""
    from target_tsh_erp import batching  # noqa: PLC0415
    from target_tsh_erp.protocol import LineReader  # noqa: PLC0415
    from target_tsh_erp.store import writer  # noqa: PLC0415
    from target_tsh_erp.store.erp_merge import ErpMerge  # noqa: PLC0415
    from target_tsh_erp.store.raw_landing import RawLanding  # noqa: PLC0415

    phases.wrap(LineReader, "deserialize_json", "read: parse JSON (reading thread)")
    phases.wrap(writer.ErpWriter, "prepare", "prepare: stage rows + map (reading thread)")
    phases.wrap(batching.Batcher, "_wait_oldest", "wait for a writer (reading thread)")
    phases.wrap(batching.Batcher, "execute", "writer: whole batch incl. commit")
    phases.wrap(RawLanding, "stored", "writer: unchanged-record lookup")
    phases.wrap(RawLanding, "land", "writer: raw landing")
    phases.wrap(ErpMerge, "merge", "writer: ERP merge (after the ERP-phase lock)")
    phases.wrap(ErpMerge, "_stored_ids", "writer: ERP merge: stored-id lookups")
    phases.wrap(ErpMerge, "_insert_placeholders", "writer: ERP merge: placeholders")
    for name in ("delete_raw_lines_of_deleted", "sweep_raw", "sweep_erp", "record_rejects",
                 "publish"):
        phases.wrap(writer, name, f"writer: {name}")


def run_target(config: dict[str, Any], data: Path, postmaster: int) -> dict[str, Any]:
    """One in-process run of the target on `data`; its phases and CPU."""
    from target_tsh_erp.target import TargetTshErp  # noqa: PLC0415

    phases = Phases()
    instrument(phases)
    wall, cpu, server = time.perf_counter(), time.process_time(), _cpu_of_tree(postmaster)
    target = TargetTshErp(config=config, validate_config=True)
    stdout, sys.stdout = sys.stdout, io.StringIO()
    try:
        with data.open("rb") as handle:
            target.listen(handle)
    finally:
        sys.stdout = stdout
        phases.restore()
    return {
        "wall_s": round(time.perf_counter() - wall, 2),
        "python_cpu_s": round(time.process_time() - cpu, 2),
        "postgres_cpu_s": round(_cpu_of_tree(postmaster) - server, 2),
        "phases_s": {name: round(value, 2) for name, value in sorted(phases.seconds.items())},
    }


def startup(config: dict[str, Any]) -> dict[str, float]:
    """Start-up phases in a fresh interpreter: imports, config, connect + migrations."""
    code = (
        "import json, sys, time\n"
        "w = time.perf_counter(); c = time.process_time(); out = {}\n"
        "def mark(name):\n"
        "    global w, c\n"
        "    out[name] = [round(time.perf_counter() - w, 3), round(time.process_time() - c, 3)]\n"
        "    w = time.perf_counter(); c = time.process_time()\n"
        "import psycopg; mark('import psycopg')\n"
        "import target_tsh_erp.sdk; mark('import the Singer SDK (target_tsh_erp.sdk)')\n"
        "from target_tsh_erp.target import TargetTshErp; mark('import target_tsh_erp')\n"
        "t = TargetTshErp(config=json.loads(sys.argv[1]), validate_config=True)\n"
        "mark('config validation, Target()')\n"
        "_ = t._batcher.connection; mark('connect + migrations check + sync.started')\n"
        "print(json.dumps(out))\n"
    )
    import subprocess  # noqa: PLC0415

    done = subprocess.run([sys.executable, "-c", code, json.dumps(config)], check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Make the file, start a database, run the target twice; print every figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000, help="items")
    parser.add_argument("--documents", type=int, default=0,
                        help="documents per kind instead of items")
    args = parser.parse_args()
    from target_tsh_erp.database import embedded  # noqa: PLC0415

    work = Path(tempfile.mkdtemp(prefix="profile-target-"))
    try:
        data = work / "input.singer"
        if args.documents:
            import bench_documents  # noqa: PLC0415

            counts = bench_documents.make_file(data, args.documents)
            counts.pop("validated")
            records = sum(counts.values())
        else:
            import bench_target  # noqa: PLC0415

            bench_target.make_file(data, args.records)
            records = args.records
        with embedded(work / "pgdata") as database:
            postmaster = int((work / "pgdata" / "postmaster.pid").read_text().split()[0])
            config = {"database_url": database.url}
            summary: dict[str, Any] = {"records": records, "startup": startup(config)}
            summary["first load"] = run_target(config, data, postmaster)
            summary["update run"] = run_target(config, data, postmaster)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for run in ("first load", "update run"):
        figures = summary[run]
        print(f"{run}: {records / figures['wall_s']:,.0f} rows/s, wall {figures['wall_s']} s,"
              f" Python CPU {figures['python_cpu_s']} s, PostgreSQL CPU"
              f" {figures['postgres_cpu_s']} s")
        for name, seconds in figures["phases_s"].items():
            print(f"  {name:<48} {seconds:7.2f} s  {seconds * 1e6 / records:7.1f} us/record")
    print("start-up (wall s, CPU s):", summary["startup"])
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
