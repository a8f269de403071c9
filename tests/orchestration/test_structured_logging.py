"""The tap's JSON log lines under Meltano 4.4.1 (`structured-logging`): parsed, not clashing.

The tap's own event names travel as the extra `zoho_event`; Meltano's structlog keeps the
message in `event`, so a record whose extra were named `event` would not even log.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scripts.meltano_runner import MeltanoProject


def test_tap_log_lines_reach_meltano_as_structured_entries(project: MeltanoProject) -> None:
    done = project.run("run", "tap-zoho", "target-jsonl")
    assert "Traceback" not in done.output
    log = project.root / ".meltano" / "logs" / "meltano.jsonl"
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    tap = [entry for entry in entries if entry.get("name") == "tap-zoho" and "zoho_event" in entry]
    events = {entry["zoho_event"] for entry in tap}
    assert {"tds.zoho.api.success", "tds.zoho.tap.summary"} <= events, sorted(events)
    summary = next(entry for entry in tap if entry["zoho_event"] == "tds.zoho.tap.summary")
    assert summary["plugin_logger"] == "tap_zoho"
    assert summary["failed"] == [], summary
    assert summary["event"].startswith("tds.zoho.tap.summary")
