"""Rate-limit utilisation: a full Books sync paced by the tap against the emulator's limit.

Zoho allows 100 requests per rolling minute per organization; with 300 ms per call a
sequential client fills half of each minute with calls. We keep that ratio (limit x
latency = 30 s per minute) and scale the limit so the run spans a little over two
windows. The minimum time the limit allows is computed by simulating the best possible
schedule: request k starts no earlier than the end of request k-1 and no earlier than
window floor(k / limit) opens; each request costs what it cost in an unlimited run of
the same sync (latency plus processing, measured here). Target: actual <= 1.03 x minimum,
with zero 429s. Run:
    .venv/bin/python benchmarks/tap/bench_ratelimit.py [scale]
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time

from scripts.emulator_process import emulator_process, serve_options
from tap_zoho.api.auth import TokenManager
from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config

ORG = "10234695"
WINDOW = 60.0
BUSY_SECONDS_PER_WINDOW = 30.0  # 100 requests x 300 ms


def sync(base_url: str, requests_per_minute: int) -> float:
    TokenManager.forget_all()
    config = emulator_config(
        base_url, products=["books"], organization_ids=[ORG],
        requests_per_minute=requests_per_minute,
    )  # fmt: skip
    tap = TapZoho(config=config)
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # noqa: PTH123
        started = time.perf_counter()
        tap.sync_all()
        return time.perf_counter() - started


def minimum_seconds(count: int, limit: int, cost: float) -> float:
    end = 0.0
    for index in range(count):
        start = max(end, (index // limit) * WINDOW)
        end = start + cost
    return end


def main(scale: int) -> None:
    options = serve_options(requests_per_minute=0, daily_limit=0)
    with emulator_process(None, scale=str(scale), extra_args=options) as zoho:
        sync(zoho.base_url, 0)
        count = int(zoho.stats()["total_requests"])
    limit = math.ceil(count / 2.2)
    latency_ms = round(BUSY_SECONDS_PER_WINDOW / limit * 1000)
    options = serve_options(requests_per_minute=0, daily_limit=0, latency_ms=latency_ms)
    with emulator_process(None, scale=str(scale), extra_args=options) as zoho:
        unlimited = sync(zoho.base_url, 0)
    cost = unlimited / count
    options = serve_options(requests_per_minute=limit, daily_limit=0, latency_ms=latency_ms)
    with emulator_process(None, scale=str(scale), extra_args=options) as zoho:
        actual = sync(zoho.base_url, limit)
        limited_stats = zoho.stats()
    minimum = minimum_seconds(count, limit, cost)
    sys.stdout.write(
        f"requests={count} limit={limit}/min latency={latency_ms}ms "
        f"per-request cost unlimited={cost * 1000:.0f}ms\n"
        f"minimum the limit allows: {minimum:.1f}s; actual: {actual:.1f}s; "
        f"ratio {actual / minimum:.3f} (target <= 1.03)\n"
        f"429 responses: {limited_stats['rate_limited']} (target 0); "
        f"requests served: {limited_stats['total_requests']}\n"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
