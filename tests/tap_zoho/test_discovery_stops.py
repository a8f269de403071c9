"""Quota, credits and token throttling that strike during discovery, over HTTP and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.testing import run_emulator

TAP = str(Path(sys.executable).with_name("tap-zoho"))


def run_cli(config: dict[str, object], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [TAP, "--config", str(path)], capture_output=True, text=True, timeout=300, check=False
    )


def streams_with_records(stdout: str) -> set[str]:
    messages = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return {m["stream"] for m in messages if m.get("type") == "RECORD"}


@pytest.mark.timeout(200)
def test_crm_credits_spent_in_discovery_stop_crm_only_and_books_still_syncs(tmp_path):
    # 5 credits in the emulator: CRM's metadata calls run out long before discovery ends.
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=0, crm_daily_credits=5,
                      token_mint_limit=100) as zoho:
        config = emulator_config(zoho.base_url, products=["books", "crm"])
        done = run_cli(config, tmp_path)
        result = run_tap(config)
    output = done.stdout + done.stderr
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in output
    message = [line for line in done.stderr.splitlines() if "Zoho CRM API credits" in line]
    assert len(message) == 1, message
    assert "crm discovery" in message[0]
    assert "free up by" in message[0]
    assert "resume from the saved state" in message[0]
    emitted = streams_with_records(done.stdout)
    assert any(stream.startswith("books_") for stream in emitted)
    assert not any(stream.startswith("crm_") for stream in emitted)
    for secret in (config["client_secret"], config["refresh_token"]):
        assert str(secret) not in output
    # the stop is the tap's own quota stop (same bookkeeping as a stop inside a stream)
    assert [product for product, _ in result.tap.quota_stops] == ["crm"]
    assert result.records.get("books_invoices")


@pytest.mark.timeout(200)
def test_token_throttled_through_discovery_fails_with_one_line_and_no_traceback(tmp_path):
    # The emulator mints no token at all: the client backs off (2 + 4 + 8 s), then gives up.
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=0,
                      token_mint_limit=0) as zoho:
        config = emulator_config(zoho.base_url, products=["books", "crm"])
        done = run_cli(config, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Traceback" not in output
    assert output.count("keeps throttling access-token creation") == 1
    assert "Wait 10 minutes and retry" in output
    assert not streams_with_records(done.stdout)
    for secret in (config["client_secret"], config["refresh_token"]):
        assert str(secret) not in output
