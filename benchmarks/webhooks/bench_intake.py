"""Intake: signed webhooks acknowledged durably per second, and p99 acknowledgement time.

    .venv/bin/python benchmarks/webhooks/bench_intake.py            # 20,000 webhooks
    .venv/bin/python benchmarks/webhooks/bench_intake.py --count 50000

`zoho-webhooks serve --no-worker` (one uvicorn process) on an embedded PostgreSQL with
fsync on; every 2xx means the delivery's inbox row is committed. The load comes from a
second process (loadgen.py) over loopback keep-alive connections, each webhook a
distinct signed Inventory item payload. Reference in the same run: the same HTTP stack
answering 202 without checking or storing anything (reference_server.py). Targets:
>= 1,000 webhooks/s, p99 < 100 ms; the ratio to the reference shows what the signature
check, validation and durable inbox cost.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import orjson
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    percentile,
    raw_request,
    run_load,
    start_service,
    stop,
    wait_http,
    write_requests,
)

from target_tsh_erp.database import embedded
from zoho_emulator.webhook_signing import SIGNATURE_HEADER, sign

SECRET = "bench-webhook-secret"
ORG = "10234695"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(count: int, folder: Path, prefix: str = "9") -> Path:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    params = {"organization_id": ORG, "event": "updated"}
    out = []
    for index in range(count):
        body = orjson.dumps({"item": {
            "item_id": f"{prefix}{index:016d}", "name": f"Bench item {index}", "sku": f"B-{index}",
            "rate": 10.5, "status": "active", "unit": "pcs", "last_modified_time": now,
            "created_time": now, "description": "x" * 200,
        }})
        out.append(raw_request(
            f"/webhooks/inventory?organization_id={ORG}&event=updated", body,
            {"Content-Type": "application/json;charset=UTF-8",
             SIGNATURE_HEADER: sign(SECRET, body, params)},
        ))
    path = folder / "requests.bin"
    write_requests(path, out)
    return path


def measure(label: str, requests_file: Path, port: int, connections: int) -> dict[str, float]:
    result = run_load(requests_file, port, connections)
    lat = result["latencies"]
    ok = sum(n for status, n in result["statuses"].items() if 200 <= int(status) < 300)
    rate = ok / result["seconds"]
    row = {"rate": rate, "p50": percentile(lat, 0.50), "p99": percentile(lat, 0.99),
           "ok": ok, "sent": result["sent"]}
    print(f"{label:<34} {rate:>8,.0f}/s  p50 {row['p50']:6.1f} ms  p99 {row['p99']:6.1f} ms"
          f"  2xx {ok}/{result['sent']} {result['statuses']}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        folder = Path(tmp)
        requests_file = build(args.count, folder)
        (folder / "warm").mkdir()
        warm = build(500, folder / "warm", prefix="8")
        with embedded(folder / "pgdata") as db:
            port = free_port()
            reference = subprocess.Popen([sys.executable, str(Path(__file__).parent /
                                                             "reference_server.py"), str(port)])
            wait_http(f"http://127.0.0.1:{port}/health", reference)
            run_load(warm, port, args.connections)
            ref = measure("reference (HTTP stack only)", requests_file, port, args.connections)
            stop(reference)

            env = {"ZOHO_WEBHOOK_SECRET": SECRET, "ZOHO_WEBHOOKS_DATABASE_URL": db.url}
            port = free_port()
            service = start_service(env, port, "--no-worker")
            try:
                run_load(warm, port, args.connections)
                intake = measure("zoho-webhooks intake (durable)", requests_file, port,
                                 args.connections)
            finally:
                stop(service)
            with psycopg.connect(db.url) as conn:
                stored = conn.execute("SELECT count(*) FROM zoho_webhooks.inbox").fetchone()
            assert stored is not None
            print(f"inbox rows: {stored[0]} (expected {args.count + 500})")
            assert stored[0] == args.count + 500, "every acknowledged webhook is in the inbox"
    print(json.dumps({
        "intake_per_s": round(intake["rate"]), "intake_p99_ms": round(intake["p99"], 1),
        "reference_per_s": round(ref["rate"]), "ratio_to_reference": round(
            intake["rate"] / ref["rate"], 3),
        "targets_met": intake["rate"] >= 1000 and intake["p99"] < 100,
    }))


if __name__ == "__main__":
    main()
