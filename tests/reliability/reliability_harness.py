"""Real-process harness: `tap-zoho | target-tsh-erp` against an emulator over HTTP.

Both sides run as the console scripts a user runs (real subprocesses, a real pipe), the
emulator serves real HTTP on loopback, the ERP database is a real embedded PostgreSQL.
A run can SIGKILL the tap or the target after a seeded delay; the resume run starts from
the last STATE the target emitted (what Meltano would have stored). `ground_truth_diff`
compares the raw and ERP tables with the emulator's ground truth.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from target_tsh_erp.testing import to_utc
from zoho_emulator.crm.service import Crm
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN

BIN = Path(sys.executable).parent
ORGS = ("10234695", "20987654")

# stream -> (entity, product, id field, ERP table or None)
FINANCE_CHECKS: dict[str, tuple[str, str, str, str | None]] = {
    "books_invoices": ("invoices", "books", "invoice_id", "invoices"),
    "books_contacts": ("contacts", "books", "contact_id", None),
    "books_sales_orders": ("salesorders", "books", "salesorder_id", None),
    "books_bills": ("bills", "books", "bill_id", None),
    "inventory_items": ("items", "inventory", "item_id", "products"),
    "inventory_sales_orders": ("salesorders", "inventory", "salesorder_id", None),
    "inventory_purchase_orders": ("purchaseorders", "inventory", "purchaseorder_id", None),
}
CRM_CHECKS: dict[str, str] = {"crm_accounts": "Accounts", "crm_contacts": "Contacts",
                              "crm_deals": "Deals"}  # fmt: skip

SECRETS = (DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN, "demo-webhook-secret")


@dataclass
class RunOutcome:
    """What one pipeline run did."""

    tap_rc: int | None
    target_rc: int | None
    states: list[dict[str, Any]]
    tap_log: str
    target_log: str
    seconds: float
    killed: str | None = None

    @property
    def last_state(self) -> dict[str, Any] | None:
        """The last state the target confirmed (after its commit)."""
        return self.states[-1] if self.states else None

    @property
    def has_traceback(self) -> bool:
        """A bare traceback is never an acceptable way to fail."""
        return "Traceback (most recent call last)" in self.tap_log + self.target_log

    def traceback_text(self) -> str:
        """The first traceback in the logs, for a failure report."""
        text = self.tap_log + self.target_log
        start = text.find("Traceback (most recent call last)")
        return text[start:start + 3000] if start >= 0 else ""

    def clear_message(self) -> str:
        """The line a user would read: a clean stop first, then errors, then warnings."""
        lines = (self.tap_log + "\n" + self.target_log).splitlines()
        for marker in ("Stopping cleanly", "| ERROR", "| CRITICAL", "| WARNING"):
            for line in reversed(lines):
                if marker in line:
                    return line.split("| ", 3)[-1].strip()[-300:]
        return ""


@dataclass
class Pipeline:
    """One emulator, one database schema pair, one working folder."""

    base_url: str
    database_url: str
    erp_schema: str
    raw_schema: str
    work: Path
    products: tuple[str, ...] = ("books", "inventory", "crm")
    tap_overrides: dict[str, Any] = field(default_factory=dict)
    runs: int = 0

    def _tap_config(self) -> Path:
        path = self.work / "tap.json"
        config = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
                  "refresh_token": DEMO_REFRESH_TOKEN, "accounts_url": self.base_url,
                  "products": list(self.products), "requests_per_minute": 0,
                  # As the project's meltano.yml configures the tap.
                  "metadata_cache_dir": str(self.work / "metadata"),
                  **self.tap_overrides}  # fmt: skip
        path.write_text(json.dumps(config))
        path.chmod(0o600)
        return path

    def _target_config(self) -> Path:
        path = self.work / f"target-{self.erp_schema}.json"
        path.write_text(json.dumps({
            "database_url": self.database_url, "erp_schema": self.erp_schema,
            "raw_schema": self.raw_schema, "notify_channel": f"ev_{self.erp_schema}",
            "batch_size_rows": 200,
        }))
        return path

    def run(
        self,
        state: dict[str, Any] | None = None,
        *,
        kill: str | None = None,
        kill_after: float = 0.0,
        timeout: float = 240,
    ) -> RunOutcome:
        """Run the pipeline once; optionally SIGKILL `kill` ('tap'|'target') after a delay."""
        self.runs += 1
        n = self.runs
        tap_args = [str(BIN / "tap-zoho"), "--config", str(self._tap_config())]
        if state:
            state_path = self.work / f"state-{n}.json"
            state_path.write_text(json.dumps(state))
            tap_args += ["--state", str(state_path)]
        tap_log_path = self.work / f"tap-{n}.log"
        target_log_path = self.work / f"target-{n}.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        started = time.monotonic()
        with tap_log_path.open("wb") as tap_log, target_log_path.open("wb") as target_log:
            tap = subprocess.Popen(tap_args, stdout=subprocess.PIPE, stderr=tap_log, env=env)
            target = subprocess.Popen(
                [str(BIN / "target-tsh-erp"), "--config", str(self._target_config())],
                stdin=tap.stdout, stdout=subprocess.PIPE, stderr=target_log, env=env)
            assert tap.stdout is not None
            tap.stdout.close()  # the target owns the read end now
            killed: list[str] = []
            timer: threading.Timer | None = None
            if kill is not None:
                victim = tap if kill == "tap" else target

                def _kill() -> None:
                    if victim.poll() is None:
                        victim.send_signal(signal.SIGKILL)
                        killed.append(kill)

                timer = threading.Timer(kill_after, _kill)
                timer.start()
            assert target.stdout is not None
            out = target.stdout.read()
            target.stdout.close()
            try:
                target_rc = target.wait(timeout=timeout)
                tap_rc = tap.wait(timeout=timeout)
            finally:
                if timer is not None:
                    timer.cancel()
                for process in (tap, target):
                    if process.poll() is None:
                        process.kill()
                        process.wait()
        states = []
        for line in out.decode("utf-8", "replace").splitlines():
            try:
                states.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return RunOutcome(tap_rc, target_rc, states,
                          tap_log_path.read_text(errors="replace"),
                          target_log_path.read_text(errors="replace"),
                          time.monotonic() - started, killed[0] if killed else None)


def _table_exists(conn: Any, schema: str, table: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                       (f'"{schema}"."{table}"',)).fetchone()
    return bool(row and row[0])


def _raw_rows(conn: Any, schema: str, stream: str, id_field: str) -> list[tuple[Any, ...]]:
    if not _table_exists(conn, schema, stream):
        return []
    query = sql.SQL(
        "SELECT organization_id, record->>{idf}, record FROM {t} WHERE deleted_at IS NULL"
    ).format(idf=sql.Literal(id_field), t=sql.Identifier(schema, stream))
    return conn.execute(query).fetchall()


def _compare(
    problems: list[str],
    stream: str,
    rows: list[tuple[Any, ...]],
    truth: dict[tuple[str, str], str],
    modified_field: str,
) -> None:
    """Missing, duplicated, unexpected keys, and stale modification times."""
    seen: dict[tuple[str, str], int] = {}
    for org, key, record in rows:
        seen[(org, key)] = seen.get((org, key), 0) + 1
        expected = truth.get((org, key))
        if expected is not None:
            got = record.get(modified_field)
            if got is None or to_utc(str(got)) != expected:
                problems.append(f"{stream} {org}/{key}: {modified_field} {got} != {expected}"
                                " (stale value won)")
    missing = truth.keys() - seen.keys()
    extra = seen.keys() - truth.keys()
    duplicated = [k for k, c in seen.items() if c > 1]
    if missing:
        problems.append(f"{stream}: {len(missing)} missing, e.g. {sorted(missing)[:3]}")
    if extra:
        problems.append(f"{stream}: {len(extra)} not in Zoho, e.g. {sorted(extra)[:3]}")
    if duplicated:
        problems.append(f"{stream}: {len(duplicated)} duplicated, e.g. {duplicated[:3]}")


def ground_truth_diff(
    conn: Any,
    emulator: Any,
    erp_schema: str,
    raw_schema: str,
    products: tuple[str, ...] = ("books", "inventory", "crm"),
) -> list[str]:
    """Every difference between the tables and Zoho's ground truth (empty when exact)."""
    problems: list[str] = []
    finance = emulator.finance
    for stream, (entity, product, id_field, erp_table) in FINANCE_CHECKS.items():
        if product not in products:
            continue
        truth = {
            (org, str(r[id_field])): to_utc(r["last_modified_time"])
            for org in ORGS for r in finance.records(org, entity, product=product)
        }
        rows = _raw_rows(conn, raw_schema, stream, id_field)
        _compare(problems, stream, rows, truth, "last_modified_time")
        if erp_table and _table_exists(conn, erp_schema, erp_table):
            erp = conn.execute(sql.SQL(
                "SELECT organization_id, zoho_id, count(*) FROM {t}"
                " WHERE NOT is_placeholder AND deleted_at IS NULL GROUP BY 1, 2"
            ).format(t=sql.Identifier(erp_schema, erp_table))).fetchall()
            erp_keys = {(o, k) for o, k, _ in erp}
            if {k for k in truth if k[0] in ORGS} - erp_keys:
                problems.append(f"erp.{erp_table}: {len(truth.keys() - erp_keys)} missing")
            if any(c > 1 for _, _, c in erp):
                problems.append(f"erp.{erp_table}: duplicated rows")
    if "crm" in products:
        crm = Crm.of(emulator)
        if crm is not None:
            crm_org = _crm_org(conn, raw_schema)
            for stream, module in CRM_CHECKS.items():
                truth = {(crm_org, str(r["id"])): to_utc(r["Modified_Time"])
                         for r in crm.records(module)}
                rows = _raw_rows(conn, raw_schema, stream, "id")
                _compare(problems, stream, rows, truth, "Modified_Time")
    conn.commit()
    return problems


def _crm_org(conn: Any, raw_schema: str) -> str:
    if not _table_exists(conn, raw_schema, "crm_accounts"):
        return "?"
    row = conn.execute(sql.SQL("SELECT organization_id FROM {} LIMIT 1").format(
        sql.Identifier(raw_schema, "crm_accounts"))).fetchone()
    return str(row[0]) if row else "?"


def secret_hits(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Secrets (and access tokens) that appear in a log text."""
    return [s for s in (*SECRETS, *extra) if s and s in text]
