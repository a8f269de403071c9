"""Crash campaign: SIGKILL the tap or the target at seeded random moments, resume, compare.

After each trial the raw and ERP tables must equal the emulator's ground truth: nothing
missing, nothing duplicated, no stale value winning (records are changed in Zoho between
the crash and the resume, so a resume that kept an old copy is caught).
"""

from __future__ import annotations

import os
import random
import time

import pytest

from tests.reliability.conftest import record_campaign
from tests.reliability.reliability_harness import ORGS, Pipeline, ground_truth_diff
from zoho_emulator.crm.service import Crm
from zoho_emulator.testing import run_emulator

SEED = int(os.environ.get("CHAOS_SEED", "20261124"))


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(scale=6, requests_per_minute=0, daily_limit=0) as running:
        yield running


def _mutate(zoho, rng: random.Random) -> None:
    """Zoho moves on while the pipeline is down."""
    finance = zoho.emulator.finance
    org = rng.choice(ORGS)
    finance.update(org, "invoices", count=2)
    finance.update(org, "items", count=1)
    finance.create(org, "salesorders", count=1)
    crm = Crm.of(zoho.emulator)
    ids = crm.live_ids("Deals")
    crm.update("Deals", [rng.choice(ids)], {"Description": f"edited {rng.random()}"})


@pytest.fixture(scope="module")
def full_run_seconds(zoho, database_url, logs_root) -> float:
    """How long one clean first run takes here: kills are timed within it, so they land."""
    folder = logs_root / "crash-baseline"
    folder.mkdir(exist_ok=True)
    outcome = Pipeline(zoho.base_url, database_url, "erp_cbase", "raw_cbase", folder).run()
    assert outcome.tap_rc == 0, outcome.tap_log[-2000:]
    return outcome.seconds


def _trial(zoho, database_url, schemas, workdir, db, rng: random.Random,  # noqa: PLR0913, PLR0917
           run_seconds: float) -> dict:  # fmt: skip
    erp, raw = schemas
    pipeline = Pipeline(zoho.base_url, database_url, erp, raw, workdir)
    state = None
    kills = []
    for _ in range(rng.choice((1, 2))):
        # A scheduler restarts a crashed job minutes later, not at once: Zoho (and the
        # emulator) allow 10 access tokens per 10 minutes per refresh token, and each
        # tap process mints one.
        zoho.emulator.clock.advance(600)
        victim = rng.choice(("tap", "target"))
        outcome = pipeline.run(state, kill=victim, kill_after=rng.uniform(0.1, 1.0) * run_seconds)
        assert not outcome.has_traceback or outcome.killed, outcome.tap_log[-2000:]
        kills.append((victim, outcome.killed is not None))
        state = outcome.last_state or state
        _mutate(zoho, rng)
    zoho.emulator.clock.advance(600)
    final = pipeline.run(state)
    assert final.tap_rc == 0, final.tap_log[-3000:]
    assert final.target_rc == 0, final.target_log[-3000:]
    assert not final.has_traceback
    problems = ground_truth_diff(db, zoho.emulator, erp, raw)
    assert problems == [], f"kills={kills}: {problems}"
    return {"kills": kills}


def test_crash_and_resume_quick(zoho, database_url, schemas, workdir, db,  # noqa: PLR0913, PLR0917
                                full_run_seconds):  # fmt: skip
    """Two seeded trials in make test (three kills at most)."""
    rng = random.Random(SEED)  # noqa: S311 - seeded chaos, not crypto
    erp, raw = schemas
    landed = []
    for i in range(2):
        folder = workdir / str(i)
        folder.mkdir()
        landed.append(_trial(zoho, database_url, (f"{erp}_{i}", f"{raw}_{i}"), folder, db, rng,
                             full_run_seconds))
    assert any(hit for trial in landed for _, hit in trial["kills"]), "no kill landed"


@pytest.mark.chaos_long
def test_crash_campaign(zoho, database_url, workdir, db, full_run_seconds):
    """20 trials (CHAOS_TRIALS=200 for the long form), each on fresh schemas."""
    trials = int(os.environ.get("CHAOS_TRIALS", "20"))
    rng = random.Random(SEED + 1)  # noqa: S311 - seeded chaos, not crypto
    landed = 0
    started = time.monotonic()
    for i in range(trials):
        folder = workdir / str(i)
        folder.mkdir()
        result = _trial(zoho, database_url, (f"erp_c{i}", f"raw_c{i}"), folder, db, rng,
                        full_run_seconds)
        landed += sum(hit for _, hit in result["kills"])
    record_campaign({"campaign": "tap | target SIGKILL", "trials": trials, "exact": trials,
                     "kills_landed": landed, "seconds": round(time.monotonic() - started)})
    assert landed >= trials // 2


def test_oracle_sees_missing_stale_and_duplicated_rows(zoho, database_url, schemas, workdir, db):
    """The comparison itself must catch each kind of damage, or the campaign proves nothing."""
    erp, raw = schemas
    assert Pipeline(zoho.base_url, database_url, erp, raw, workdir).run().tap_rc == 0
    assert ground_truth_diff(db, zoho.emulator, erp, raw) == []
    org = ORGS[0]
    zoho.emulator.finance.update(org, "invoices", count=1)  # Zoho moved on: stale copy
    db.execute(f'DELETE FROM "{raw}".books_bills WHERE _raw_id IN'  # noqa: S608
               f' (SELECT min(_raw_id) FROM "{raw}".books_bills)')
    db.execute(f'INSERT INTO "{raw}".inventory_items (organization_id, item_id, record)'  # noqa: S608
               f" SELECT organization_id, 'ghost', record || '{{\"item_id\": \"ghost\"}}'"
               f' FROM "{raw}".inventory_items LIMIT 1')
    problems = " ".join(ground_truth_diff(db, zoho.emulator, erp, raw))
    assert "stale value won" in problems
    assert "books_bills: 1 missing" in problems
    assert "inventory_items: 1 not in Zoho" in problems
