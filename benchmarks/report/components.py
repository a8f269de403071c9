"""Find and run the per-component benchmarks; keep what they print, parsed where possible.

Each component owns its script; this module only knows how to call each one in quick and
full form. A script found on disk with no entry here still runs in the full form (and is
listed as skipped in the quick one); an expected script that is absent is reported as
missing, never faked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Known:
    """How to call one component benchmark."""

    path: str
    quick: tuple[str, ...] | None
    """Arguments of the quick form; None: too long for the quick form."""
    full: tuple[str, ...] = ()
    what: str = ""
    json_result: bool = False
    """The script's last line is one JSON object with its figures; none is a failure."""


KNOWN: tuple[Known, ...] = (
    Known("benchmarks/emulator/bench_emulator.py", ("--quick",), (),
          "emulator records/s over HTTP vs in-process; RSS at 1M records"),
    Known("benchmarks/emulator/crm_list_throughput.py", ("--scale", "20000", "--pages", "20"),
          (), "CRM list records/s vs the cheapest call"),
    Known("benchmarks/emulator/crm_bulk_memory.py", ("--scale", "50000"), (),
          "CRM Bulk Read export memory"),
    Known("benchmarks/tap/bench_throughput.py", ("3000",), (),
          "tap-zoho records/s vs a bare singer-sdk tap"),
    Known("benchmarks/tap/bench_memory.py", ("1000", "5000"), (),
          "tap peak RSS at 10k/100k/1M records"),
    Known("benchmarks/tap/bench_ratelimit.py", None, (),
          "run time vs the minimum the rate limit allows; 429s"),
    Known("benchmarks/tap/crm_bulk_vs_rest.py", ("--scale", "10000", "--rest-scale", "1000"),
          (), "CRM initial load: Bulk Read vs REST paging"),
    Known("benchmarks/tap/crm_rest_vs_coql.py", ("--scale", "2000"), (),
          "CRM REST page_token vs COQL"),
    Known("benchmarks/target/bench_target.py", ("--records", "3000"), ("--records", "500000"),
          "target-tsh-erp vs target-postgres (use_copy) vs pipelinewise-target-postgres vs"
          " COPY floor, items as the tap emits them; start-up on one record",
          json_result=True),
    Known("benchmarks/target/bench_documents.py", ("--documents", "300"),
          ("--documents", "30000"),
          "target-tsh-erp on documents + line items vs target-postgres vs"
          " pipelinewise-target-postgres vs COPY floor",
          json_result=True),
    Known("benchmarks/target/profile_phases.py", ("--records", "3000"),
          ("--records", "100000"),
          "where target-tsh-erp's time goes: Python and PostgreSQL CPU, wall per phase,"
          " start-up by phase", json_result=True),
    Known("benchmarks/webhooks/bench_intake.py", ("--count", "2000"), (),
          "webhook intake rate and ack latency vs a bare HTTP reference"),
    Known("benchmarks/webhooks/bench_e2e.py", ("--seconds", "8"), (),
          "webhook to ERP row latency at 50 events/s"),
)
HELPERS = {"crm_server.py", "common.py", "loadgen.py", "reference_server.py",
           "_emulator_process.py"}  # fmt: skip
COMPONENT_DIRS = ("emulator", "tap", "target", "webhooks")


def discover() -> list[Known]:
    """Known scripts (present or not) plus any other runnable script in a component folder."""
    known = {entry.path for entry in KNOWN}
    found = list(KNOWN)
    for folder in COMPONENT_DIRS:
        for path in sorted((ROOT / "benchmarks" / folder).glob("*.py")):
            relative = str(path.relative_to(ROOT))
            if relative in known or path.name in HELPERS or path.name.startswith("_"):
                continue
            if '__name__ == "__main__"' in path.read_text(encoding="utf-8"):
                found.append(Known(relative, None, (), "discovered (no quick arguments known)"))
    return found


def last_json(text: str) -> Any:
    """The last JSON value a script printed (one line or indented), or None."""
    lines = text.splitlines()
    for start in range(len(lines) - 1, -1, -1):
        if lines[start].lstrip().startswith(("{", "[")):
            try:
                return json.loads("\n".join(lines[start:]))
            except json.JSONDecodeError:
                continue
    return None


def json_result(text: str) -> Any:
    """The one-line JSON object a script prints last (the target benchmarks), or None."""
    lines = text.strip().splitlines()
    if not lines:
        return None
    try:
        value = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def run_one(entry: Known, *, quick: bool, timeout: float) -> dict[str, Any]:
    """Run one benchmark script as its own process; never raise."""
    result: dict[str, Any] = {"script": entry.path, "what": entry.what}
    if not (ROOT / entry.path).exists():
        return {**result, "status": "missing"}
    args = entry.quick if quick else entry.full
    if args is None:
        return {**result, "status": "skipped in --quick (full form only)"}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, entry.path, *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout if isinstance(expired.stdout, str) else ""
        return {**result, "status": f"timed out after {timeout:.0f} s", "args": list(args),
                "stdout_tail": out[-2000:]}
    result.update({
        "args": list(args), "seconds": round(time.monotonic() - started, 1),
        "status": "ok" if done.returncode == 0 else f"failed (exit {done.returncode})",
        "parsed": last_json(done.stdout), "stdout_tail": done.stdout[-3000:],
    })
    if entry.json_result and done.returncode == 0:
        parsed = json_result(done.stdout)
        result["parsed"] = parsed
        if parsed is None:
            result["status"] = "failed (no JSON result on its last line)"
        else:  # the text lines before it stay readable in the report's tail
            result["stdout_tail"] = done.stdout.strip().rsplit("\n", 1)[0][-3000:]
    if done.returncode != 0:
        result["stderr_tail"] = done.stderr[-2000:]
    return result
