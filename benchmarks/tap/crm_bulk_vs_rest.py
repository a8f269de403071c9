"""CRM initial load of a 1,000,000-record module: Bulk Read vs REST paging, and tap memory.

Runs the real tap (`tap-zoho` in its own process, as Meltano runs it) against the
emulator (another process), and counts what the emulator served:
- Bulk: an initial load of Leads at `--scale` (default 1,000,000) with the default
  `crm_bulk_threshold`: requests, credits, wall time and the tap's peak RSS (wait4).
- REST: the same module read by page tokens (`crm_bulk_threshold: 0`) at `--rest-scale`
  (default 20,000; a 1M REST walk is 5,000 sequential requests and long on a shared
  2-core machine). The measured count is checked against the exact formula
  ceil(N / 200) x field batches (+1 page per 100,000-record token-chain restart), and the
  formula gives the 1M figure. `--rest-scale 1000000` measures it instead.

Targets (issue 4): bulk requests <= 1% of REST requests; tap peak RSS during bulk <= 250 MB.

    .venv/bin/python -m benchmarks.tap.crm_bulk_vs_rest [--scale 1000000] [--rest-scale 20000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.emulator.crm_server import crm_server
from tap_zoho.testing import emulator_config, select_only

MODULE = "Leads"
STREAM = "crm_leads"
PER_PAGE = 200
TOKEN_CHAIN = 100_000
TAP = str(Path(sys.executable).parent / "tap-zoho")


def _stats(session: Any, base: str) -> dict[str, Any]:
    return dict(session.get(f"{base}/__emulator/stats", timeout=30).json())


def _crm_requests(stats: dict[str, Any]) -> int:
    routes = stats["requests_by_route"].items()
    return sum(count for route, count in routes if route.startswith("crm:"))


def _run_tap(config: dict[str, Any], catalog: dict[str, Any] | None) -> tuple[int, float, float]:
    """Run tap-zoho; returns (RECORD messages, peak RSS MB, seconds)."""
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder, "config.json")
        config_path.write_text(json.dumps(config))
        command = [TAP, "--config", str(config_path)]
        if catalog is not None:
            catalog_path = Path(folder, "catalog.json")
            catalog_path.write_text(json.dumps(catalog))
            command += ["--catalog", str(catalog_path)]
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        records = 0
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(b'{"type":"RECORD"'):
                records += 1
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        if status != 0:
            msg = f"tap-zoho exited with status {status}"
            raise RuntimeError(msg)
        return records, usage.ru_maxrss / 1024, seconds


def _catalog(config: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "config.json")
        path.write_text(json.dumps(config))
        out = subprocess.run(
            [TAP, "--config", str(path), "--discover"], capture_output=True, check=True
        ).stdout
    return select_only(json.loads(out), {STREAM})


def load(scale: int, threshold: int) -> dict[str, Any]:
    """One initial load of Leads at `scale`; what it cost."""
    with crm_server(scale) as (base, _pid, session):
        config = emulator_config(
            base, products=["crm"], crm_modules=[MODULE], crm_bulk_threshold=threshold
        )
        catalog = _catalog(config)
        batches = math.ceil((len(catalog["streams"][0]["schema"]["properties"]) - 3) / 49)
        before = _stats(session, base)
        records, rss, seconds = _run_tap(config, catalog)
        after = _stats(session, base)
        routes = {
            route: after["requests_by_route"].get(route, 0) - count
            for route, count in before["requests_by_route"].items()
        }
        for route, count in after["requests_by_route"].items():
            routes.setdefault(route, count)
        return {
            "scale": scale,
            "records": records,
            "requests": _crm_requests(after) - _crm_requests(before),
            "credits": after["crm_credits_used"] - before["crm_credits_used"],
            "peak_rss_mb": round(rss, 1),
            "seconds": round(seconds, 1),
            "field_batches": batches,
            "routes": {route: count for route, count in routes.items() if count},
        }


def rest_formula(records: int, batches: int) -> int:
    """Requests of a REST initial load by page tokens."""
    pages = math.ceil(records / PER_PAGE)
    restarts = max(math.ceil(records / TOKEN_CHAIN) - 1, 0)
    return (pages + restarts) * batches


def main() -> None:
    """Measure and print the comparison as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--rest-scale", type=int, default=20_000)
    args = parser.parse_args()
    rest = load(args.rest_scale, threshold=0)
    bulk = load(args.scale, threshold=10_000)
    rest_at_scale = (
        rest["requests"]
        if args.rest_scale == args.scale
        else rest_formula(bulk["records"], rest["field_batches"])
    )
    result = {
        "rest_measured": rest,
        "rest_formula_at_rest_scale": rest_formula(rest["records"], rest["field_batches"]),
        "bulk": bulk,
        "rest_requests_at_scale": rest_at_scale,
        "rest_credits_at_scale": rest_at_scale,  # one credit per REST page
        "bulk_share_of_rest_requests": round(bulk["requests"] / rest_at_scale, 5),
        "targets": {
            "bulk_requests_le_1pct_of_rest": bulk["requests"] <= 0.01 * rest_at_scale,
            "bulk_peak_rss_le_250mb": bulk["peak_rss_mb"] <= 250,
            "all_records": bulk["records"] == args.scale and rest["records"] == args.rest_scale,
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
