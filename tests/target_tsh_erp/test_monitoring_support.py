"""Demo-like monitoring data in a real PostgreSQL and a run log, shared by the tests.

Not a test module of its own (it defines no test): the metrics, page and browser tests
import `build_demo` so they all look at one operator's morning: two organizations, a
failed run, a quota near its reserve, a stale stream, webhooks pending and dead, drift.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from psycopg import sql

from target_tsh_erp.reconcile.report import RECONCILE_COMPLETED
from target_tsh_erp.store import Incoming
from target_tsh_erp.store.events import SYNC_COMPLETED, SYNC_FAILED, SYNC_STARTED, publish
from zoho_webhooks.storage import migrate as migrate_webhooks

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import psycopg

    from target_tsh_erp.settings import WriterSettings
    from target_tsh_erp.store import ErpWriter

ORG_A, ORG_B = "10234695", "20469390"
SECRET = "1000.0123456789abcdef0123.fedcba9876543210fedc"
"""Put in the run log on purpose: no page or metric may ever show it."""


@dataclass
class Demo:
    """Where the demo lives and the moment it describes."""

    now: datetime
    run_log: Path
    webhook_schema: str


def _line(stamp: datetime, text: str) -> str:
    return json.dumps({"timestamp": stamp.isoformat().replace("+00:00", "Z"),
                       "event": f"{stamp:%Y-%m-%d %H:%M:%S} | INFO | tap_zoho | {text}",
                       "level": "info"})


def _set_time(conn: psycopg.Connection[Any], schema: str, stamp: datetime) -> None:
    """Outbox rows get `now()`: move the newest one to the moment the demo says."""
    conn.execute(sql.SQL(
        "UPDATE {}.events_outbox SET created_at = %s"
        " WHERE id = (SELECT max(id) FROM {}.events_outbox)"
    ).format(sql.Identifier(schema), sql.Identifier(schema)), (stamp,))


def _runs(conn: psycopg.Connection[Any], settings: WriterSettings, now: datetime) -> None:
    erp, channel = settings.erp_schema, settings.notify_channel
    for minutes_ago, outcome in [(75, "success"), (60, "success"), (45, "success"),
                                 (30, "success"), (15, "failed")]:
        start = now - timedelta(minutes=minutes_ago)
        publish(conn, erp, channel, SYNC_STARTED, {"target": "target-tsh-erp"})
        _set_time(conn, erp, start)
        if outcome == "success":
            publish(conn, erp, channel, SYNC_COMPLETED, {
                "erp_written": {"invoices": minutes_ago, "products": 3},
                "received": {"books_invoices": minutes_ago + 3}, "rejected": 1})
        else:
            publish(conn, erp, channel, SYNC_FAILED,
                    {"reason": "OperationalError: connection to the ERP lost"})
        _set_time(conn, erp, start + timedelta(minutes=2))
    publish(conn, erp, channel, RECONCILE_COMPLETED, {
        "drift": 2, "calls": {ORG_A: 2},
        "lines": [{"organization_id": ORG_A, "entity": "invoices", "measure": "count",
                   "zoho": "12", "erp": "10", "difference": "2", "verdict": "drift"}]})
    _set_time(conn, erp, now - timedelta(minutes=20))


def _run_log(path: Path, now: datetime) -> None:
    lines = []
    left = {ORG_A: 1900, ORG_B: 800}
    for minutes_ago in (75, 60, 45, 30, 15):
        at = now - timedelta(minutes=minutes_ago)
        for org in (ORG_A, ORG_B):
            left[org] -= 150
            lines.append(_line(at, f"done books_invoices org {org}: 12 records, 2 pages, "
                                   f"150 requests (60/min), daily quota left {left[org]}"))
        lines.append(_line(at, f"tds.zoho.api.success stream=books_invoices calls=300 "
                               f"seconds=1.5 Authorization: Zoho-oauthtoken {SECRET}"))
        lines.append(_line(at, "tds.zoho.crm.credits stream=crm_accounts credits=9000 "
                               "calls=9000 by_call={'list': 9000} run_total=9000"))
    # inventory of org A finished once, three hours ago: stale against a 15-minute schedule
    lines.append(_line(now - timedelta(hours=3), f"done inventory_items org {ORG_A}: 40 "
                       "records, 1 pages, 5 requests (5/min), daily quota left 4000 of 5000"))
    lines.append(_line(now - timedelta(minutes=14), (
        f"stream crm_deals, organization {ORG_A}: GET /crm/v8/Deals failed with HTTP 401, "
        "Zoho code INVALID_TOKEN: invalid oauth token; skipped (its bookmark is kept), "
        "the other streams and organizations go on")))
    lines.append(_line(now - timedelta(minutes=13), (
        f"stream crm_deals, organization {ORG_A}: GET /crm/v8/Deals failed with HTTP 401, "
        f"Zoho code INVALID_TOKEN: token {SECRET} rejected (Authorization: Zoho-oauthtoken "
        f"{SECRET}, refresh_token={SECRET[::-1]}); skipped (its bookmark is kept), "
        "the other streams and organizations go on")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _inbox(conn: psycopg.Connection[Any], schema: str, now: datetime) -> None:
    migrate_webhooks(conn, schema)
    for key, status, minutes_ago in [("a", "pending", 40), ("b", "pending", 2),
                                     ("c", "dead", 90), ("d", "done", 5)]:
        conn.execute(sql.SQL(
            "INSERT INTO {}.inbox (delivery_key, source, module, operation, payload,"
            " received_at, status) VALUES (%s, 'books', 'invoices', 'update', %s, %s, %s)"
        ).format(sql.Identifier(schema)),
            (key, b"{}", now - timedelta(minutes=minutes_ago), status))


def build_demo(
    conn: psycopg.Connection[Any], writer: ErpWriter, settings: WriterSettings, tmp: Path
) -> Demo:
    """Fill the schemas of `settings` and a run log with one demo morning; commit."""
    now = datetime.now(UTC).replace(microsecond=0)
    writer.ensure_stream(conn, "books_items")
    writer.write(conn, {"books_items": [Incoming({
        "organization_id": ORG_A, "item_id": str(n), "name": f"Item {n}", "rate": 10.0,
        "status": "active",
        "last_modified_time": (now - timedelta(minutes=50 + n)).isoformat()}, 1)
        for n in range(3)]})
    _runs(conn, settings, now)
    webhook_schema = f"{settings.erp_schema}_webhooks"
    _inbox(conn, webhook_schema, now)
    conn.commit()
    run_log = tmp / "logs" / "meltano.jsonl"
    run_log.parent.mkdir(parents=True, exist_ok=True)
    _run_log(run_log, now)
    return Demo(now=now, run_log=run_log, webhook_schema=webhook_schema)


def free_port() -> int:
    """A loopback port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(
    database_url: str, settings: WriterSettings, demo: Demo, tmp: Path, *extra: str
) -> Iterator[str]:
    """`tsh-erp status --serve` as an operator starts it, in its own process; its URL.

    The process is ours: it is stopped (SIGTERM, then killed) when the block ends.
    """
    config = {"database_url": database_url, "erp_schema": settings.erp_schema,
              "raw_schema": settings.raw_schema}
    (tmp / "serve.json").write_text(json.dumps(config), encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "target_tsh_erp.cli", "status", "--serve", "--port", str(port),
         "--config", str(tmp / "serve.json"), "--run-log", str(demo.run_log),
         "--webhook-schema", demo.webhook_schema, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                msg = f"tsh-erp status --serve did not come up: {output}"
                raise RuntimeError(msg)
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
