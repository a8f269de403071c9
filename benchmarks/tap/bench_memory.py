"""Peak RSS of the tap process syncing one stream of 10k, 100k and 1M records.

The tap runs as its own process (`tap-zoho` console script) with stdout to /dev/null;
the emulator serves from another process. Target: at most 200 MB and flat across sizes
(records stream through; nothing is accumulated). Run:
    .venv/bin/python benchmarks/tap/bench_memory.py [sizes...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.emulator_process import emulator_process, serve_options
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config, select_only

ORG = "10234695"
STREAM = "books_invoices"
TAP = str(Path(sys.executable).with_name("tap-zoho"))


def peak_rss_mb(base_url: str, folder: Path) -> tuple[float, float]:
    config = emulator_config(base_url, products=["books"], organization_ids=[ORG])
    catalog = select_only(TapZoho(config=config).catalog_dict, {STREAM})
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "catalog.json").write_text(json.dumps(catalog))
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:  # noqa: PTH123
        process = subprocess.Popen(
            [TAP, "--config", str(folder / "config.json"), "--catalog",
             str(folder / "catalog.json")],
            stdout=sink, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        msg = f"tap-zoho exited with {status}"
        raise RuntimeError(msg)
    return usage.ru_maxrss / 1024, time.perf_counter() - started


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            options = serve_options(requests_per_minute=0, daily_limit=0, concurrency_limit=0)
            with emulator_process(None, scale=str(size), extra_args=options) as zoho:
                rss, seconds = peak_rss_mb(zoho.base_url, Path(tmp))
            sys.stdout.write(
                f"{size:>9,} records: peak RSS {rss:6.1f} MB, {seconds:6.1f}s "
                f"({size / seconds:,.0f} records/s)\n"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
