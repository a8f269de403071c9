"""What `tap-zoho doctor` found on a real organization, as a file the tap reads back.

The doctor checks each register entry on the live organization and writes one finding
per (assumption, scope, subject). A later run given the file (`doctor_findings`) takes
the safe path at once where the doctor saw the other answer, instead of discovering it
again on every run; the fallback is still counted and logged (at INFO, naming the
doctor's finding), and the run still checks every answer it gets, so a file that has
gone stale can never make the tap read less.

The file holds observations only: no token, no secret, no record values beyond field
names and Zoho's own error codes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
FILE_NAME = "tap-zoho-doctor.json"

logger = logging.getLogger("tap_zoho.assumptions")


def default_path() -> Path:
    """Where the doctor writes and the tap looks by default.

    Beside the Meltano project's run state when run by Meltano (`MELTANO_PROJECT_ROOT`),
    else the current folder.
    """
    root = os.environ.get("MELTANO_PROJECT_ROOT")
    if root:
        return Path(root) / ".meltano" / "run" / "tap-zoho" / FILE_NAME
    return Path(FILE_NAME)


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation of one assumption in one place."""

    assumption: str
    """The register id (`list.sort-echo`)."""
    scope: str
    """`<product>:<organization id>` (`books:10234695`, `crm:<org>`)."""
    subject: str
    """The entity, module or call observed (`contacts`, `/settings/warehouses`)."""
    holds: bool | None
    """True: Zoho answered as assumed; False: the other answer; None: not checkable."""
    observed: str
    """What the doctor saw, in a few words."""
    tap_will: str
    """What the tap does about it."""


class FindingsError(ValueError):
    """A findings file that cannot be read (the message names the file and why)."""


class Findings:
    """The doctor's findings, queryable by the code that chooses a fast or safe path."""

    def __init__(self, findings: list[Finding], checked_at: str = "") -> None:
        """Index the findings by (assumption, scope, subject)."""
        self.items = list(findings)
        self.checked_at = checked_at
        self._by_key = {(f.assumption, f.scope, f.subject): f for f in self.items}

    def known_other(self, assumption: str, scope: str, subject: str) -> bool:
        """Whether the doctor saw the other answer for exactly this place."""
        finding = self._by_key.get((assumption, scope, subject))
        return finding is not None and finding.holds is False

    def observed(self, assumption: str, scope: str, subject: str) -> Finding | None:
        """The finding for exactly this place, if the doctor made one."""
        return self._by_key.get((assumption, scope, subject))

    def save(self, path: Path) -> None:
        """Write atomically (a reader never sees half a file), readable by the owner only."""
        document: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "checked_at": self.checked_at,
            "findings": [asdict(finding) for finding in self.items],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(document, out, indent=1, sort_keys=True)
            Path(temporary).chmod(0o600)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Findings:
        """Read a file the doctor wrote.

        Raises:
            FindingsError: missing, not JSON, or another format version.
        """
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            msg = f"doctor findings {path}: cannot be read ({error.__class__.__name__})"
            raise FindingsError(msg) from None
        if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
            msg = f"doctor findings {path}: not format {FORMAT_VERSION}; run the doctor again"
            raise FindingsError(msg)
        try:
            items = [Finding(**entry) for entry in document.get("findings", [])]
        except TypeError:
            msg = f"doctor findings {path}: unexpected entries; run the doctor again"
            raise FindingsError(msg) from None
        return cls(items, str(document.get("checked_at", "")))


def findings_for_run(setting: str | None) -> Findings | None:
    """The findings a tap run uses: the `doctor_findings` file, else the default one.

    No file at the default place is the normal case before the doctor has run. A file
    named elsewhere that is missing, or any file that cannot be read, is a warning, not
    a failure: the findings only save calls, and every answer is checked anyway.
    """
    path = Path(setting) if setting else default_path()
    if not path.exists():
        if path.resolve() != default_path().resolve():
            logger.warning("doctor findings %s: no such file; running without them", path)
        return None
    try:
        findings = Findings.load(path)
    except FindingsError as error:
        logger.warning("%s; running without the doctor's findings", error)
        return None
    logger.info(
        "using the doctor's findings of %s (%d other answers)",
        findings.checked_at or "an unknown date",
        sum(1 for finding in findings.items if finding.holds is False),
    )
    return findings
