"""`meltano invoke tap-zoho doctor`: the first step of a production deployment, through Meltano."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tap_zoho.assumptions.findings import FILE_NAME, Findings

if TYPE_CHECKING:
    from scripts.meltano_runner import MeltanoProject


def test_doctor_through_meltano_writes_where_the_tap_reads(project: MeltanoProject) -> None:
    """Meltano puts `--config <file>` (and catalog/state) before the word `doctor`; the
    findings land at the tap's default `doctor_findings` place, and the next run uses them."""
    done = project.run("invoke", "tap-zoho", "doctor")
    assert "as assumed" in done.output
    assert "calls books:10234695" in done.output
    written = project.root / ".meltano" / "run" / "tap-zoho" / FILE_NAME
    findings = Findings.load(written)
    assert {f.scope for f in findings.items} >= {"books:10234695", "inventory:20987654"}
    synced = project.run("run", "tap-zoho", "target-jsonl")
    assert "using the doctor's findings" in synced.output
