"""One benchmark report for the whole pipeline: `make bench` / `make bench-quick`.

    .venv/bin/python -m benchmarks.run --quick    # a few minutes, small scales
    .venv/bin/python -m benchmarks.run --full     # the real scales (long)

Runs every component benchmark that exists (missing ones are listed as missing), then
the cross-cutting figures measured here: API economy (full and incremental syncs vs the
lower bound, detail calls vs changed headers) and the whole `meltano run` pipeline vs the
bare pipe. Writes benchmarks/results/<date>[-quick].json, a Markdown report and PNG
charts next to it.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.report import components, economy, pipeline, render

RESULTS = Path(__file__).resolve().parent / "results"
SCALES = {
    "quick": {"economy": 100, "pipeline": 25, "pipeline_rounds": 2, "timeout": 180},
    "full": {"economy": 2000, "pipeline": 500, "pipeline_rounds": 2, "timeout": 7200},
}


def _guarded(label: str, measure: Any, *args: Any) -> dict[str, Any]:
    """A failing measurement is reported with its error, not hidden and not fatal."""
    print(f"[bench] {label} ...", flush=True)
    started = time.monotonic()
    try:
        result: dict[str, Any] = measure(*args)
    except Exception as error:  # noqa: BLE001 - the report must say what failed
        result = {"error": f"{type(error).__name__}: {error}",
                  "trace": traceback.format_exc()[-2000:]}
    print(f"[bench] {label}: {time.monotonic() - started:.0f} s", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the suite and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--full", action="store_true")
    parser.add_argument("--only", choices=("components", "economy", "pipeline"),
                        action="append", help="run only these parts (repeatable)")
    args = parser.parse_args(argv)
    label = "quick" if args.quick else "full"
    scales = SCALES[label]
    parts = set(args.only or ("components", "economy", "pipeline"))
    started = time.monotonic()
    now = datetime.now(UTC)
    results: dict[str, Any] = {
        "date": now.strftime("%Y-%m-%d"), "started_utc": now.isoformat(timespec="seconds"),
        "mode": label, "command": f"python -m benchmarks.run --{label}",
        "host": f"{platform.node()} {platform.machine()}, Python {platform.python_version()}",
    }
    if "components" in parts:
        results["components"] = []
        for entry in components.discover():
            print(f"[bench] {entry.path} ...", flush=True)
            outcome = components.run_one(entry, quick=args.quick, timeout=scales["timeout"])
            print(f"[bench] {entry.path}: {outcome['status']}", flush=True)
            results["components"].append(outcome)
    if "economy" in parts:
        results["api_economy"] = _guarded("API economy", economy.measure, scales["economy"])
    if "pipeline" in parts:
        results["pipeline"] = _guarded("meltano run pipeline", pipeline.measure,
                                       scales["pipeline"], scales["pipeline_rounds"])
    results["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    stem = results["date"] + ("-quick" if args.quick else "")
    images = render.charts(results, RESULTS, stem)
    results["charts"] = images
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / f"{stem}.md").write_text(render.markdown(results, images))
    print(f"[bench] wrote {RESULTS / stem}.json, .md and {len(images)} charts"
          f" in {results['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
