"""End to end: a Zoho change to its ERP row, at a steady 50 events/s.

    .venv/bin/python benchmarks/webhooks/bench_e2e.py                 # 30 s at 50/s
    .venv/bin/python benchmarks/webhooks/bench_e2e.py --rate 100 --seconds 60

Processes: the emulator (`zoho-emulator serve`, limits off), the service
(`zoho-webhooks serve`, worker in-process, default settings) and this driver, on one
embedded PostgreSQL. The driver edits one distinct invoice or sales order per tick
through the emulator's control API; the emulator sends its signed workflow webhook
(invoices to /webhooks/books, sales orders to /webhooks/inventory); the service stores,
processes and commits the ERP rows and NOTIFYs `tds.zoho.webhook.processed`, which the
driver LISTENs to. Latency = NOTIFY received - edit requested (emulator included).
Target: p95 < 2 s.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, percentile, start_service, stop, wait_http

from target_tsh_erp.database import embedded

ORG = "10234695"
SECRET = "bench-webhook-secret"
ENTITIES = {"invoices": "books", "salesorders": "inventory"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listen(url: str, arrived: dict[str, float], done: threading.Event) -> threading.Thread:
    ready = threading.Event()

    def run() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("LISTEN tds_zoho_events")
            ready.set()
            while not done.is_set():
                for note in conn.notifies(timeout=0.5):
                    now = time.time()
                    message = json.loads(note.payload)
                    if message.get("event_type") != "tds.zoho.webhook.processed":
                        continue
                    for event in message.get("payload", {}).get("events", []):
                        for record_id in event["record_ids"]:
                            arrived.setdefault(record_id, now)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(30)
    return thread


def register(session: requests.Session, base: str, receiver: str, query: str = "") -> None:
    session.delete(f"{base}/__emulator/webhooks", timeout=10).raise_for_status()
    for entity, product in ENTITIES.items():
        session.post(f"{base}/__emulator/webhooks", timeout=10, json={
            "url": f"{receiver}/webhooks/{product}?organization_id={ORG}&event=updated{query}",
            "entities": [entity], "events": ["updated"], "organization_id": ORG,
            "product": product,
        }).raise_for_status()


def drive(  # noqa: PLR0913, PLR0917 - the run's parts
    session: requests.Session, base: str, ids: dict[str, list[str]], offset: int, total: int,
    rate: float,
) -> tuple[dict[str, float], float]:
    """Edit one distinct record per tick; returns edit times by record id and the rate."""
    sent: dict[str, float] = {}
    began = time.perf_counter()
    for tick in range(total):
        due = began + tick / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        entity = "invoices" if tick % 2 == 0 else "salesorders"
        record_id = ids[entity][offset + tick // 2]
        sent[record_id] = time.time()
        session.post(f"{base}/__emulator/finance/{ORG}/{entity}/update",
                     json={"ids": [record_id]}, timeout=10).raise_for_status()
    return sent, total / (time.perf_counter() - began)


def main() -> None:  # noqa: PLR0915 - one scripted scenario
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    total = int(args.rate * args.seconds)
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-e2e-") as tmp, \
            embedded(Path(tmp) / "pgdata") as db:
        emulator_port = free_port()
        emulator = subprocess.Popen(
            [str(BIN / "zoho-emulator"), "serve", "--port", str(emulator_port), "--scale",
             str(max(300, total + 10)), "--requests-per-minute", "0", "--daily-limit", "0",
             "--webhook-secret", SECRET], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{emulator_port}"
        wait_http(f"{base}/__emulator/stats", emulator)
        service_port = free_port()
        env = {"ZOHO_WEBHOOK_SECRET": SECRET, "ZOHO_WEBHOOKS_DATABASE_URL": db.url,
               "TAP_ZOHO_CLIENT_ID": "1000.DEMOCLIENTID",
               "TAP_ZOHO_CLIENT_SECRET": "demo-client-secret",
               "TAP_ZOHO_REFRESH_TOKEN": "1000.demo.refresh-token",
               "TAP_ZOHO_ACCOUNTS_URL": base, "TAP_ZOHO_API_DOMAIN": base}
        service = start_service(env, service_port)
        session = requests.Session()
        try:
            ids: dict[str, list[str]] = {}
            for entity in ENTITIES:
                rows = session.get(f"{base}/__emulator/finance/{ORG}/{entity}/records",
                                   timeout=60).json()["records"]
                key = "invoice_id" if entity == "invoices" else "salesorder_id"
                ids[entity] = [row[key] for row in rows]
            # Reference: the same edits delivered to a receiver that acknowledges at once.
            reference_port = free_port()
            reference = subprocess.Popen([sys.executable, str(Path(__file__).parent /
                                          "reference_server.py"), str(reference_port)])
            reference_url = f"http://127.0.0.1:{reference_port}"
            wait_http(f"{reference_url}/health", reference)
            register(session, base, reference_url, "&note=1")
            ref_sent, _ = drive(session, base, ids, total // 2, total, args.rate)
            deadline = time.monotonic() + 60
            ref_arrived: dict[str, float] = {}
            while len(ref_arrived) < total and time.monotonic() < deadline:
                time.sleep(0.2)
                ref_arrived = session.get(f"{reference_url}/arrivals", timeout=10).json()
            stop(reference)
            ref_latencies = sorted(ref_arrived[r] - ref_sent[r] for r in ref_sent
                                   if r in ref_arrived)  # fmt: skip

            register(session, base, f"http://127.0.0.1:{service_port}")
            arrived: dict[str, float] = {}
            done = threading.Event()
            listener = listen(db.url, arrived, done)
            sent, achieved = drive(session, base, ids, 0, total, args.rate)
            deadline = time.monotonic() + 60
            while len(arrived.keys() & sent.keys()) < total and time.monotonic() < deadline:
                time.sleep(0.1)
            done.set()
            listener.join(5)
            health = session.get(f"http://127.0.0.1:{service_port}/health", timeout=10).json()
            with psycopg.connect(db.url) as conn:
                lags = sorted(r[0] for r in conn.execute(
                    "SELECT extract(epoch FROM processed_at - received_at)::float8"
                    " FROM zoho_webhooks.inbox WHERE processed_at IS NOT NULL").fetchall())
                received = dict(conn.execute(
                    "SELECT record_ids[1], extract(epoch FROM received_at)::float8"
                    " FROM zoho_webhooks.inbox").fetchall())
        finally:
            stop(service)
            stop(emulator)
    latencies = sorted(arrived[r] - sent[r] for r in sent if r in arrived)
    row = {"events": total, "rate_requested": args.rate, "rate_achieved": round(achieved, 1),
           "arrived": len(latencies), "p50_s": round(percentile(latencies, 0.5), 3),
           "p95_s": round(percentile(latencies, 0.95), 3),
           "p99_s": round(percentile(latencies, 0.99), 3),
           "max_s": round(latencies[-1], 3) if latencies else None,
           "dead_letters": health.get("dead_letters"),
           "reference_edit_to_instant_receiver_p50_s": round(percentile(ref_latencies, 0.5), 3),
           "reference_edit_to_instant_receiver_p95_s": round(percentile(ref_latencies, 0.95), 3),
           "reference_arrived": len(ref_latencies),
           "inbox_to_erp_p50_s": round(percentile(lags, 0.5), 3),
           "inbox_to_erp_p95_s": round(percentile(lags, 0.95), 3),
           "edit_to_inbox_p95_s": round(percentile(sorted(
               received[r] - sent[r] for r in sent if r in received), 0.95), 3),
           "target_met": len(latencies) == total and percentile(latencies, 0.95) < 2.0}
    print(json.dumps(row))


if __name__ == "__main__":
    main()
