"""CRM metadata calls that keep failing: one line naming the call, exit 1, no traceback.

5xx answers and dropped connections outlasting the client's retries are not a module's
fault (no module can be skipped for them) and not a quota (nothing to resume): the run
stops, saying which metadata call failed and how, over the real CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tap_zoho.testing import emulator_config
from zoho_emulator.faults import FaultKind, FaultRule
from zoho_emulator.testing import run_emulator

TAP = str(Path(sys.executable).with_name("tap-zoho"))


def run_cli(config: dict[str, object], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run(
        [TAP, "--config", str(path)], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.timeout(200)
@pytest.mark.parametrize(
    ("rule", "call", "reason"),
    [
        # Leads' fields answer; Contacts' (the second module) keep answering 503.
        (FaultRule(FaultKind.SERVER_ERROR, "crm:/settings/fields", after=1, status=503),
         "GET /crm/v8/settings/fields?module=Contacts (fields of module Contacts)", "HTTP 503"),
        (FaultRule(FaultKind.CONNECTION_RESET, "crm:/settings/modules"),
         "GET /crm/v8/settings/modules (the module list)", "last: "),
    ],
    ids=["5xx-fields", "reset-modules"],
)  # fmt: skip
def test_metadata_call_failing_past_the_retries_stops_with_one_line(rule, call, reason, tmp_path):
    with run_emulator(scale=5, requests_per_minute=0, daily_limit=0, token_mint_limit=100) as zoho:
        zoho.emulator.faults.add(rule)
        config = emulator_config(zoho.base_url, products=["books", "crm"])
        done = run_cli(config, tmp_path)
        injected = sum(zoho.emulator.faults.injected.values())
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-2000:]
    assert "Traceback" not in output
    assert injected >= 2  # the client did retry before giving up
    lines = [line for line in done.stderr.splitlines() if "Zoho CRM discovery failed" in line]
    assert len(lines) == 1, done.stderr[-2000:]
    assert call in lines[0]
    assert reason in lines[0]
    assert "Run again later" in lines[0]
    assert not [line for line in done.stdout.splitlines() if '"RECORD"' in line]
    for secret in (config["client_secret"], config["refresh_token"]):
        assert str(secret) not in output
