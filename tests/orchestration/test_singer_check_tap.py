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
    # singer-check-tap's own `--tap` mode returns before its reader thread has finished
    # (a race in singer-tools: the summary can be None under load), so this test runs the
    # tap itself and hands its output to the checker's stdin mode; then it re-runs the tap
    # with the last STATE, as `--tap` mode would.
    first = _check(singer_tools_venv, config, tmp_path / "first.jsonl", state=None)
    expected = "books_invoices" if "books" in products else "crm_deals"
    assert expected in first.report, first.report[-4000:]
    assert first.state is not None, "the tap emitted no STATE"
    second = _check(singer_tools_venv, config, tmp_path / "second.jsonl", state=first.state)
    assert second.state is not None, "the tap emitted no STATE when resumed"


class Checked:
    """What singer-check-tap said about one tap run, and the run's last STATE."""

    def __init__(self, report: str, state: dict[str, object] | None) -> None:
        self.report = report
        self.state = state


def _check(venv: Path, config: Path, output: Path, state: dict[str, object] | None) -> Checked:
    command = [str(PROJECT_ROOT / ".venv" / "bin" / "tap-zoho"), "--config", str(config)]
    if state is not None:
        state_path = output.with_suffix(".state.json")
        state_path.write_text(json.dumps(state), encoding="utf-8")
        command += ["--state", str(state_path)]
    with output.open("wb") as sink:
        tap = subprocess.run(command, stdout=sink, stderr=subprocess.PIPE, timeout=500,
                             check=False)  # fmt: skip
    assert tap.returncode == 0, tap.stderr.decode(errors="replace")[-4000:]
    with output.open("rb") as source:
        checked = subprocess.run(
            [str(venv / "bin" / "singer-check-tap")], stdin=source, capture_output=True,
            text=True, timeout=300, check=False,
        )
    report = checked.stdout + checked.stderr
    assert checked.returncode == 0, report[-4000:]
    assert "The output is valid" in report, report[-4000:]
    last_state = None
    for line in output.read_bytes().splitlines():
        message = json.loads(line)
        if message.get("type") == "STATE":
            last_state = message["value"]
    return Checked(report, last_state)
