"""The console script: a full sync leaks no secret; --test and --about say what they must."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tap_zoho.testing import emulator_config
from zoho_emulator.faults import FaultKind, FaultRule

TAP = str(Path(sys.executable).with_name("tap-zoho"))


def run_cli(args, config, tmp_path, env=None):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    full_env = {**os.environ, "LOGLEVEL": "DEBUG", **(env or {})}
    return subprocess.run(
        [TAP, "--config", str(path), *args], capture_output=True, text=True, env=full_env,
        timeout=300, check=False,
    )  # fmt: skip


def test_full_sync_output_contains_no_secret_or_access_token(fresh_zoho, tmp_path):
    config = emulator_config(fresh_zoho.base_url, products=["books", "inventory"])
    # A revoked token mid-run makes the tap mint a second access token to grep for.
    fresh_zoho.emulator.faults.add(
        FaultRule(FaultKind.REVOKE_TOKENS, route_glob="inventory:auth", after=5, remaining=1)
    )
    done = run_cli([], config, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    output = done.stdout + done.stderr
    minted = fresh_zoho.emulator.tokens.minted
    assert len(minted) == 2
    assert '"type":"RECORD"' in output.replace(" ", "")
    for secret in (config["client_secret"], config["refresh_token"], *minted):
        assert secret not in output
    assert "tds.zoho.token.refreshed" not in done.stdout  # logs never go to the Singer stream
    assert "Minted a Zoho access token" in done.stderr


def test_environment_aliases_supply_credentials(zoho, tmp_path):
    config = emulator_config(zoho.base_url, products=["books"])
    env = {
        "ZOHO_CLIENT_ID": config.pop("client_id"),
        "ZOHO_CLIENT_SECRET": config.pop("client_secret"),
        "ZOHO_REFRESH_TOKEN": config.pop("refresh_token"),
        "ZOHO_ORGANIZATION_ID": "20987654",
    }
    done = run_cli(["--test"], config, tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "books organization 20987654: OK" in done.stderr
    assert "10234695" not in done.stderr


def test_connection_test_names_the_failing_organization(zoho, tmp_path):
    config = emulator_config(zoho.base_url, organization_ids=["10234695", "999"])
    done = run_cli(["--test"], config, tmp_path)
    assert done.returncode == 1
    assert "Credentials: OK" in done.stderr
    assert "books organization 10234695: OK" in done.stderr
    assert "inventory organization 999: FAILED" in done.stderr
    assert "6041" in done.stderr


def test_connection_test_reports_bad_credentials(zoho, tmp_path):
    config = emulator_config(zoho.base_url, refresh_token="1000.bad.token")
    done = run_cli(["--test"], config, tmp_path)
    assert done.returncode == 1
    assert "Credentials: FAILED" in done.stderr
    assert "invalid_code" in done.stderr


def test_about_markdown_documents_every_setting():
    done = subprocess.run([TAP, "--about", "--format=markdown"], capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    for setting in ("client_id", "client_secret", "refresh_token", "region", "accounts_url",
                    "api_domain", "products", "organization_ids", "start_date",
                    "requests_per_minute", "daily_budget_reserve", "lookback_seconds"):  # fmt: skip
        assert f"| {setting} |" in done.stdout
