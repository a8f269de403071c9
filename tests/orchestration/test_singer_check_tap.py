"""tap-zoho's output passes an independent Singer validator, `singer-check-tap`.

singer-tools is not built on the Singer SDK (it validates messages with its own
jsonschema, draft 4), so this catches what the SDK's own tests would share a blind spot
with. It also re-runs the tap with the state the tap emitted.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest

from scripts.meltano_runner import PROJECT_ROOT
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN

if TYPE_CHECKING:
    from pathlib import Path

    from scripts.emulator_process import EmulatorProcess

pytestmark = pytest.mark.timeout(600)


@pytest.mark.parametrize("products", [["books", "inventory"], ["crm"]], ids=["finance", "crm"])
def test_singer_check_tap_accepts_the_taps_output(
    singer_tools_venv: Path, emulator: EmulatorProcess, tmp_path: Path, products: list[str]
) -> None:
    config = tmp_path / "tap-config.json"
    config.write_text(json.dumps({
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "refresh_token": DEMO_REFRESH_TOKEN,
        "accounts_url": emulator.base_url,
        "products": products,
        "requests_per_minute": 100000,
    }), encoding="utf-8")  # fmt: skip
    checked = subprocess.run(
        [
            str(singer_tools_venv / "bin" / "singer-check-tap"),
            "--tap", str(PROJECT_ROOT / ".venv" / "bin" / "tap-zoho"),
            "--config", str(config),
        ],
        capture_output=True, text=True, timeout=500, check=False,
    )  # fmt: skip
    report = checked.stdout + checked.stderr
    assert checked.returncode == 0, report[-4000:]
    assert "The output is valid" in report, report[-4000:]
    # The summary table lists every stream with records; a tap that emitted nothing
    # would pass the checker vacuously.
    expected = "books_invoices" if "books" in products else "crm_deals"
    assert expected in report, report[-4000:]
