"""`tap-zoho --test` against the emulator: every product, organization and CRM module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tap_zoho.testing import emulator_config
from zoho_emulator.crm.catalog import ORG_ID
from zoho_emulator.settings import DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

TAP = str(Path(sys.executable).with_name("tap-zoho"))


def run_cli(config, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [TAP, "--config", str(path), "--test"], capture_output=True, text=True,
        env={**os.environ, "LOGLEVEL": "DEBUG"}, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def zoho():
    """One emulator for the module; each CLI run mints a token."""
    with run_emulator(scale=4, requests_per_minute=0, daily_limit=0, token_mint_limit=100) as z:
        yield z


def assert_plain(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert DEMO_CLIENT_SECRET not in stderr
    assert DEMO_REFRESH_TOKEN not in stderr


def test_crm_org_and_every_module_checked_broken_ones_explained(zoho, tmp_path):
    config = emulator_config(zoho.base_url, products=["books", "crm"])
    done = run_cli(config, tmp_path)
    assert_plain(done.stderr)
    assert done.returncode == 0, done.stderr  # unnamed broken modules are skipped, not fatal
    assert f"crm organization {ORG_ID}: OK" in done.stderr
    for module in ("Leads", "Contacts", "Sales_Orders", "Warehouse_Visits"):
        assert f"crm module {module}: OK" in done.stderr
    assert "crm module Cases: NOT READABLE" in done.stderr
    assert "lacks the scope for module Cases" in done.stderr
    assert "crm module Quotes: NOT READABLE" in done.stderr
    assert "profile may not read module Quotes" in done.stderr
    assert "no field metadata for module Campaigns" in done.stderr
    assert "books organization 10234695: OK" in done.stderr


def test_a_named_crm_module_without_scope_fails_the_test(zoho, tmp_path):
    config = emulator_config(
        zoho.base_url, products=["crm"], crm_modules=["Leads", "Cases", "Nope"]
    )
    done = run_cli(config, tmp_path)
    assert_plain(done.stderr)
    assert done.returncode == 1
    assert "crm module Leads: OK" in done.stderr
    assert "crm module Cases: FAILED: the refresh token lacks the scope" in done.stderr
    assert "OAUTH_SCOPE_MISMATCH" in done.stderr
    assert "crm module Nope: FAILED: not an API-supported module" in done.stderr
    assert "crm module Contacts" not in done.stderr  # only what crm_modules names


def test_inaccessible_organization_in_plain_words(zoho, tmp_path):
    config = emulator_config(zoho.base_url, products=["books"], organization_ids=["999"])
    done = run_cli(config, tmp_path)
    assert_plain(done.stderr)
    assert done.returncode == 1
    assert "books organization 999: FAILED: this organization is not accessible" in done.stderr
    assert "6041" in done.stderr


def test_revoked_token_and_wrong_region_client_in_plain_words(zoho, tmp_path):
    revoked = emulator_config(zoho.base_url, products=["crm"], refresh_token="1000.bad.token")
    done = run_cli(revoked, tmp_path)
    assert_plain(done.stderr)
    assert done.returncode == 1
    assert "Credentials: FAILED" in done.stderr
    assert "Generate a new refresh token" in done.stderr
    foreign = emulator_config(zoho.base_url, products=["crm"], client_id="1000.OTHERREGION")
    done = run_cli(foreign, tmp_path)
    assert_plain(done.stderr)
    assert done.returncode == 1
    assert "Credentials: FAILED" in done.stderr
    assert f"accounts server {zoho.base_url}" in done.stderr
    assert "region 'us'" in done.stderr
