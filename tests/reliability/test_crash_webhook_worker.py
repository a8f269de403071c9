"""Crash campaign, real-time side: SIGKILL `zoho-webhooks work` at seeded moments, resume.

The intake (`serve --no-worker`) acknowledges signed deliveries from the emulator's
sender; a separate worker process applies them to the raw and ERP tables and is killed
at seeded random moments while the inbox still holds work, while Zoho keeps changing.
After the last, undisturbed worker has drained the inbox, every touched record must be in
the ERP tables exactly as Zoho holds it now (deleted ones soft-deleted), each inbox event
must have been applied exactly once, and nothing may be dead-lettered but the poison
events each trial adds (issue 14 D1): they must end dead or applied, never stop a worker.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
import requests
from psycopg import sql

from tests.reliability.conftest import record_campaign
from zoho_emulator.testing import run_emulator
from zoho_webhooks.inbox import WEBHOOK_PROCESSED
from zoho_webhooks.settings import ServiceSettings
from zoho_webhooks.signing import SIGNATURE_HEADER, sign
from zoho_webhooks.testing import (
    DEMO_WEBHOOK_SECRET,
    demo_zoho_settings,
    process_env,
    run_service,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    import psycopg

    from zoho_emulator.testing import RunningEmulator

SEED = int(os.environ.get("CHAOS_SEED", "20261124"))
ORG = "10234695"
WORKER = Path(sys.executable).parent / "zoho-webhooks"
# entity -> (webhook product, ERP table, a text column our edits set, emulator field)
ENTITIES: dict[str, tuple[str, str, str | None, str | None]] = {
    "invoices": ("books", "invoices", "reference_number", "reference_number"),
    "items": ("inventory", "products", "name", "name"),
    "salesorders": ("inventory", "sales_orders", None, None),
}


@dataclass
class Touched:
    """What a trial did in Zoho, to compare with the ERP tables at the end."""

    ids: dict[str, set[str]] = field(default_factory=lambda: {e: set() for e in ENTITIES})
    deleted: dict[str, set[str]] = field(default_factory=lambda: {e: set() for e in ENTITIES})


@pytest.fixture(scope="module")
def zoho() -> Iterator[RunningEmulator]:
    with run_emulator(scale=6, requests_per_minute=0, daily_limit=0) as running:
        yield running


def _settings(zoho: RunningEmulator, n: int) -> ServiceSettings:
    return ServiceSettings(
        webhook_secret=DEMO_WEBHOOK_SECRET, erp_schema=f"erp_wk{n}", raw_schema=f"raw_wk{n}",
        notify_channel=f"events_wk{n}", service_schema=f"zoho_webhooks_wk{n}",
        max_body_bytes=64 * 1024, replay_window_seconds=3600, max_attempts=5,
        retry_base_seconds=0.05, retry_max_seconds=0.2, poll_seconds=0.05,
        zoho=demo_zoho_settings(zoho.base_url),
    )


def _worker(settings: ServiceSettings, database_url: str, log: Path) -> subprocess.Popen[bytes]:
    # Small claims: the drain spans many commits, so kills land between and inside them.
    env = process_env(settings, database_url, CLAIM_BATCH="5")
    with log.open("ab") as sink:
        return subprocess.Popen([str(WORKER), "--log-level", "INFO", "work"], env=env,
                                stdout=sink, stderr=sink)  # fmt: skip


def _pending(db: psycopg.Connection[Any], settings: ServiceSettings) -> int:
    if db.execute("SELECT to_regclass(%s)", (f"{settings.service_schema}.inbox",)).fetchone() == (
        None,
    ):
        return -1
    row = db.execute(sql.SQL("SELECT count(*) FROM {}.inbox WHERE status = 'pending'").format(
        sql.Identifier(settings.service_schema))).fetchone()
    return int(row[0]) if row else 0


def _mutate(zoho: RunningEmulator, rng: random.Random, touched: Touched, tag: str) -> None:
    """Zoho changes: new records, edits (also of records made this trial), deletions."""
    finance = zoho.emulator.finance
    for entity, (_, _, _, edited_field) in ENTITIES.items():
        created = finance.create(ORG, entity, count=rng.randint(8, 20))
        touched.ids[entity].update(created)
        live = sorted(touched.ids[entity] - touched.deleted[entity])
        for record_id in rng.sample(live, k=min(len(live), rng.randint(2, 6))):
            fields = {edited_field: f"{tag} {rng.random():.6f}"} if edited_field else None
            finance.update(ORG, entity, ids=[record_id], fields=fields)
        live = sorted(touched.ids[entity] - touched.deleted[entity])
        gone = rng.sample(live, k=min(len(live), rng.randint(0, 2)))
        if gone:
            finance.delete(ORG, entity, ids=gone)
            touched.deleted[entity].update(gone)


def _poison(base_url: str, zoho: RunningEmulator) -> set[int]:
    """Two signed deliveries processing cannot apply (the date overflowed the normaliser;
    a line that is not an object); their inbox ids."""
    record = next(zoho.emulator.finance.records(ORG, "invoices", detail=True))
    record["last_modified_time"] = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())
    query = {"organization_id": ORG, "event": "updated"}
    ids = set()
    for poison in ({"created_time": "0001-01-01T00:00:00+0530"}, {"line_items": [["x"]]}):
        body = orjson.dumps({"invoice": {**record, **poison}})
        response = requests.post(f"{base_url}/webhooks/books", params=query, data=body, headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(DEMO_WEBHOOK_SECRET,
                                                                       body, query)}, timeout=30)
        ids.add(int(response.json()["inbox_id"]))
    return ids


def _inbox_problems(db: psycopg.Connection[Any], settings: ServiceSettings,
                    poison: set[int]) -> list[str]:  # fmt: skip
    """Every inbox event done, and applied exactly once (the processed outbox says which)."""
    problems: list[str] = []
    schema = sql.Identifier(settings.service_schema)
    rows = db.execute(sql.SQL("SELECT id, status FROM {}.inbox").format(schema)).fetchall()
    statuses = {status for inbox_id, status in rows if inbox_id not in poison}
    if statuses != {"done"}:
        problems.append(f"inbox not all done: {statuses}")
    if {status for inbox_id, status in rows if inbox_id in poison} - {"dead", "done"}:
        problems.append("a poison event is neither dead-lettered nor applied")
    inbox_ids = [inbox_id for inbox_id, status in rows if status == "done"]
    applied = [event["inbox_id"] for (payload,) in db.execute(
        sql.SQL("SELECT payload FROM {}.events_outbox WHERE event_type = %s").format(
            sql.Identifier(settings.erp_schema)), (WEBHOOK_PROCESSED,)).fetchall()
        for event in payload["events"]]  # fmt: skip
    if sorted(applied) != sorted(inbox_ids):
        twice = sorted({i for i in applied if applied.count(i) > 1})
        never = sorted(set(inbox_ids) - set(applied))
        problems.append(f"events applied twice {twice[:5]}, never {never[:5]}")
    return problems


def _record_problem(zoho: RunningEmulator, entity: str, record_id: str,
                    stored: tuple[Any, ...] | None, touched: Touched) -> str | None:  # fmt: skip
    """How one ERP row differs from what Zoho holds now (None: it does not)."""
    product, table, _, edited_field = ENTITIES[entity]
    if stored is None:
        return f"{table} {record_id}: missing"
    deleted_at, value = stored
    if record_id in touched.deleted[entity]:
        return None if deleted_at is not None else f"{table} {record_id}: deleted, still live"
    current = zoho.emulator.finance.record(ORG, entity, record_id, product=product)
    if current is None or deleted_at is not None:
        return f"{table} {record_id}: live in Zoho, deleted in the ERP"
    expected = current.get(edited_field) or None if edited_field else None  # "" -> NULL
    if edited_field and value != expected:
        return f"{table} {record_id}: stale {value!r}, Zoho has {expected!r}"
    return None


def _diff(zoho: RunningEmulator, db: psycopg.Connection[Any], settings: ServiceSettings,
          touched: Touched, poison: set[int]) -> list[str]:  # fmt: skip
    """Every touched record as Zoho holds it now, each inbox event applied once."""
    problems = _inbox_problems(db, settings, poison)
    for entity, (_, table, column, _) in ENTITIES.items():
        wanted = ", ".join(("zoho_id", "deleted_at", column or "NULL"))
        rows = db.execute(sql.SQL("SELECT {} FROM {}.{} WHERE organization_id = %s").format(
            sql.SQL(wanted), sql.Identifier(settings.erp_schema), sql.Identifier(table)),
            (ORG,)).fetchall()  # fmt: skip
        erp = {row[0]: row[1:] for row in rows}
        if len(erp) != len(rows):
            problems.append(f"{table}: duplicated rows")
        for record_id in sorted(touched.ids[entity]):
            problem = _record_problem(zoho, entity, record_id, erp.get(record_id), touched)
            if problem:
                problems.append(problem)
    return problems


@dataclass(frozen=True)
class Campaign:
    """What every trial shares: Zoho, the database, the log folder."""

    zoho: RunningEmulator
    database_url: str
    db: psycopg.Connection[Any]
    workdir: Path


def _trial(campaign: Campaign, n: int, rng: random.Random) -> int:
    """One seeded trial; returns how many kills landed while the inbox held work."""
    zoho, database_url, db, workdir = (campaign.zoho, campaign.database_url, campaign.db,
                                       campaign.workdir)  # fmt: skip
    settings = _settings(zoho, n)
    touched = Touched()
    landed = 0
    webhooks = zoho.emulator.webhooks
    with run_service(settings, database_url, run_worker=False) as intake:
        for entity, (product, *_) in ENTITIES.items():
            for event in ("created", "updated", "deleted"):
                webhooks.register(
                    f"{intake.base_url}/webhooks/{product}?organization_id={ORG}&event={event}",
                    entities=[entity], events=[event], organization_id=ORG, product=product)
        poison = _poison(intake.base_url, zoho)
        try:
            for kill in range(rng.choice((1, 2, 3))):
                _mutate(zoho, rng, touched, f"trial {n} kill {kill}")
                assert webhooks.wait_idle(60), "the emulator could not deliver its webhooks"
                worker = _worker(settings, database_url, workdir / f"worker-{n}.log")
                try:
                    # Kill mid-drain: once the worker has started applying, after a seeded
                    # delay of up to a few of its batches (a kill before start-up proves
                    # little).
                    backlog = _pending(db, settings)
                    deadline = time.monotonic() + 30
                    while _pending(db, settings) == backlog and time.monotonic() < deadline:
                        time.sleep(0.01)
                    time.sleep(rng.uniform(0.0, 0.3))
                    landed += _pending(db, settings) != 0
                finally:
                    worker.send_signal(signal.SIGKILL)
                    worker.wait(timeout=10)
            _mutate(zoho, rng, touched, f"trial {n} final")
            assert webhooks.wait_idle(60), "the emulator could not deliver its webhooks"
            refused = [d for d in webhooks.deliveries if d.status not in {200, 202}]
            assert not refused, f"the intake refused deliveries: {refused[:3]}"
            worker = _worker(settings, database_url, workdir / f"worker-{n}.log")
            try:
                deadline = time.monotonic() + 120
                while _pending(db, settings) != 0:
                    assert worker.poll() is None, (workdir / f"worker-{n}.log").read_text()[-3000:]
                    assert time.monotonic() < deadline, "the worker did not drain the inbox"
                    time.sleep(0.1)
            finally:
                worker.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(timeout=30)
                if worker.poll() is None:
                    worker.kill()
        finally:
            webhooks.clear()
    log = (workdir / f"worker-{n}.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    problems = _diff(zoho, db, settings, touched, poison)
    assert problems == [], f"trial {n}: {problems}"
    return landed


@pytest.fixture
def campaign(zoho: RunningEmulator, database_url: str, db: psycopg.Connection[Any],
             workdir: Path) -> Campaign:  # fmt: skip
    db.autocommit = True
    return Campaign(zoho, database_url, db, workdir)


def test_webhook_worker_crash_quick(campaign: Campaign) -> None:
    """Two seeded trials in make test; at least one kill must land on a non-empty inbox."""
    rng = random.Random(SEED + 7)  # noqa: S311 - seeded chaos, not crypto
    landed = sum(_trial(campaign, 900 + i, rng) for i in range(2))
    assert landed >= 1, "no kill landed while the inbox held work"


@pytest.mark.chaos_long
def test_webhook_worker_crash_campaign(campaign: Campaign) -> None:
    """20 trials (CHAOS_TRIALS=200 for the long form), each on fresh schemas."""
    trials = int(os.environ.get("CHAOS_TRIALS", "20"))
    rng = random.Random(SEED + 8)  # noqa: S311 - seeded chaos, not crypto
    started = time.monotonic()
    landed = sum(_trial(campaign, 1000 + i, rng) for i in range(trials))
    record_campaign({"campaign": "webhook worker SIGKILL", "trials": trials, "exact": trials,
                     "kills_landed": landed, "seconds": round(time.monotonic() - started)})
    assert landed >= trials // 2


def test_oracle_sees_missing_stale_and_undeleted_rows(zoho: RunningEmulator) -> None:
    """The comparison itself must catch each kind of damage, or the campaign proves nothing."""
    touched = Touched()
    item = zoho.emulator.finance.create(ORG, "items", fields={"name": "Oracle"})[0]
    touched.ids["items"].add(item)
    assert _record_problem(zoho, "items", item, (None, "Oracle"), touched) is None
    assert "missing" in str(_record_problem(zoho, "items", item, None, touched))
    assert "stale" in str(_record_problem(zoho, "items", item, (None, "Old name"), touched))
    zoho.emulator.finance.delete(ORG, "items", ids=[item])
    touched.deleted["items"].add(item)
    assert "still live" in str(_record_problem(zoho, "items", item, (None, "Oracle"), touched))
