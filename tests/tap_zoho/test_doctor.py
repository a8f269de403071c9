"""`tap-zoho doctor` against the emulator, under its default answers and the other ones."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tap_zoho.api.entities import ENTITIES
from tap_zoho.assumptions import REGISTER
from tap_zoho.assumptions.findings import Findings
from tap_zoho.finance.registry import list_streams
from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.answers import PROFILES
from zoho_emulator.settings import DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

ORGS = ("10234695", "20987654")
CALLS_PER_ORGANIZATION = 50
"""The issue's budget: about 50 calls per organization (Books and Inventory together)."""
NOT_CHECKABLE = frozenset({"crm.page-token-expiry", "crm.bulk-tag-cell", "webhook.delivery-shape"})
"""Needs a day-old page token / an asynchronous Bulk Read job of 50 credits (create, poll,
download) / Zoho's webhook settings: the doctor says so (holds None)."""
CRM_CALLS = 10
"""CRM credits the doctor may spend: org, modules, three modules' fields, the count, and
three record calls (the newest record, it whole, the list at its own Modified_Time)."""
LOCATIONS_ORG = "inventory:20987654"
"""The emulator's second organization keeps Inventory stock per location."""


def _doctor(base_url: str, folder: Path) -> tuple[subprocess.CompletedProcess[str], Findings]:
    config = folder / "config.json"
    config.write_text(json.dumps({
        "client_id": "1000.DEMOCLIENTID", "client_secret": DEMO_CLIENT_SECRET,
        "refresh_token": DEMO_REFRESH_TOKEN, "accounts_url": base_url, "api_domain": base_url,
    }))  # fmt: skip
    output = folder / "findings.json"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("tap-zoho")), "doctor", "--config", str(config),
         "--output", str(output)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done, Findings.load(output)


def _calls(stdout: str) -> dict[str, int]:
    return {
        line.split()[1].rstrip(":"): int(line.split()[2])
        for line in stdout.splitlines()
        if line.startswith("calls ")
    }


def test_default_answers_hold_within_the_call_budget(tmp_path: Path) -> None:
    with run_emulator(scale=30, requests_per_minute=0, daily_limit=0) as zoho:
        done, findings = _doctor(zoho.base_url, tmp_path)
    other = {(f.assumption, f.scope) for f in findings.items if f.holds is False}
    assert other == {("inventory.warehouses", LOCATIONS_ORG)}, done.stdout
    checked = {f.assumption for f in findings.items if f.holds is not None}
    assert checked == set(REGISTER) - NOT_CHECKABLE
    calls = _calls(done.stdout)
    for org in ORGS:
        assert calls[f"books:{org}"] + calls[f"inventory:{org}"] <= CALLS_PER_ORGANIZATION
    crm = [scope for scope in calls if scope.startswith("crm:")]
    assert len(crm) == 1
    assert calls[crm[0]] <= CRM_CALLS
    bulk_tag = [f for f in findings.items if f.assumption == "crm.bulk-tag-cell"]
    assert [(f.holds, "50 credits" in f.observed) for f in bulk_tag] == [(None, True)]
    assert "OTHER ANSWER" in done.stdout
    assert "as assumed" in done.stdout
    written = tmp_path / "findings.json"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    text = written.read_text()
    for secret in (DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN, "access_token"):
        assert secret not in text
        assert secret not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "answer",
    sorted(
        name for name in PROFILES["docs-only"]
        if next(e.id for e in REGISTER.values() if e.emulator_answer == name) not in NOT_CHECKABLE
    ),
)  # fmt: skip
def test_each_other_answer_is_seen(tmp_path: Path, answer: str) -> None:
    """Every checkable register entry shows the other answer when the emulator gives it."""
    assumption = next(e.id for e in REGISTER.values() if e.emulator_answer == answer)
    with run_emulator(
        scale=30, requests_per_minute=0, daily_limit=0, answers=frozenset({answer})
    ) as zoho:
        done, findings = _doctor(zoho.base_url, tmp_path)
    seen = [f for f in findings.items if f.assumption == assumption]
    assert any(f.holds is False for f in seen), done.stdout
    unchecked = {f.assumption for f in findings.items if f.holds is None}
    assert unchecked >= NOT_CHECKABLE


def test_a_run_given_the_findings_skips_the_calls_zoho_refuses(tmp_path: Path) -> None:
    """The tap reads the doctor's file: refused filter_by and warehouses calls are saved,
    the records are the same, and each fallback is still counted."""
    answers = frozenset({"filter-all-refused", "locations-only"})
    with run_emulator(scale=8, requests_per_minute=0, daily_limit=0, answers=answers) as zoho:
        _doctor(zoho.base_url, tmp_path)
        config = emulator_config(zoho.base_url)
        zoho.emulator.stats.reset()
        unaware = run_tap(config)
        unaware_requests = zoho.emulator.stats.snapshot()["total_requests"]
        zoho.emulator.stats.reset()
        aware = run_tap({**config, "doctor_findings": str(tmp_path / "findings.json")})
        aware_requests = zoho.emulator.stats.snapshot()["total_requests"]
    assert aware.counts == unaware.counts
    assert aware.counts["inventory_warehouses"] > 0
    filtered_lists = sum(
        1 for product in ("books", "inventory") for entity in list_streams(product)
        if ENTITIES[product][entity].all_filter
    )  # fmt: skip
    saved = unaware_requests - aware_requests
    assert saved == len(ORGS) * (filtered_lists + 1), (unaware_requests, aware_requests)
    for run in (unaware, aware):
        assert run.tap.fallbacks.count("list.filter-all") > 0
        assert run.tap.fallbacks.count("inventory.warehouses") == len(ORGS)
    assert "as the doctor found" in aware.logs


def test_an_unreadable_findings_file_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    broken = tmp_path / "findings.json"
    broken.write_text("{not json")
    with run_emulator(scale=4, requests_per_minute=0, daily_limit=0) as zoho:
        run = run_tap(
            {**emulator_config(zoho.base_url), "doctor_findings": str(broken)},
            streams={"books_contacts"},
        )
    assert run.counts["books_contacts"] > 0
    assert "running without the doctor's findings" in run.logs
