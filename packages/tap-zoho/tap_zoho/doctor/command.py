"""`tap-zoho doctor`: what this Zoho account really does, before the first production run.

It reads the tap's own settings (`--config` files and the `ZOHO_*` environment
fallbacks), checks each entry of the assumptions register on every organization the
settings name, prints one table (assumption, where, observed, what the tap will do)
and writes the findings to a file that the tap reads through `doctor_findings`. It
spends about 45 calls per organization (Books and Inventory together) and nine CRM
credits, reads no more than the first page of any list, and changes nothing in Zoho.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.api.errors import ZohoAuthError, ZohoError
from tap_zoho.assumptions.findings import FILE_NAME, Finding, Findings, default_path
from tap_zoho.doctor.crm import CrmDoctor
from tap_zoho.doctor.finance import FinanceDoctor, organization_zone
from tap_zoho.doctor.probe import LABEL, Probe
from tap_zoho.finance.details import HeaderStream
from tap_zoho.finance.listing import ListStream
from tap_zoho.finance.registry import PRODUCT_STREAMS
from tap_zoho.settings import resolve

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tap_zoho.finance.base import ZohoStream

logger = logging.getLogger("tap_zoho.doctor")
WEBHOOK_NOTE = (
    "webhook.delivery-shape", "webhooks", None,
    "set in Zoho's webhook settings, not readable with a read-only token",
    "zoho-webhooks accepts JSON and form bodies by POST, PUT or DELETE",
)  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tap-zoho doctor",
        description="Check what the tap assumes about Zoho on your organizations "
        "(about 45 read-only calls per organization, nine CRM credits).",
    )
    parser.add_argument(
        "--config", action="append", default=[], metavar="FILE",
        help="the tap's JSON config (repeatable, later files win); ZOHO_* env fallbacks apply",
    )  # fmt: skip
    parser.add_argument(
        "--output", metavar="FILE",
        help="where to write the findings (default: $MELTANO_PROJECT_ROOT/.meltano/run/"
        f"tap-zoho/{FILE_NAME}, else ./{FILE_NAME}: where the tap looks for them)",
    )  # fmt: skip
    for ignored in ("--catalog", "--state", "--properties"):  # what Meltano adds to invoke
        parser.add_argument(ignored, help=argparse.SUPPRESS)
    return parser


def _config(paths: Sequence[str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for path in paths:
        config |= json.loads(Path(path).read_text())
    return resolve(config)


def run(settings: dict[str, Any]) -> Probe:
    """Every check for every configured product and organization.

    A product or organization that cannot be read is reported and the others go on;
    an access token Zoho will not mint stops everything (nothing could be checked).
    """
    probe = Probe(UnifiedZohoClient.from_config(settings))
    products = list(settings.get("products") or [])
    wanted = {str(org) for org in settings.get("organization_ids") or []}
    for product, streams in PRODUCT_STREAMS.items():
        if product in products:
            _finance(probe, product, streams, wanted)
    if "crm" in products:
        try:
            CrmDoctor(probe).run()
        except ZohoAuthError:
            raise
        except ZohoError as error:
            logger.error("crm: checks stopped: %s", error)  # noqa: TRY400 - Zoho's words
    probe.record("*", WEBHOOK_NOTE[0], WEBHOOK_NOTE[1], holds=WEBHOOK_NOTE[2],
                 observed=WEBHOOK_NOTE[3], tap_will=WEBHOOK_NOTE[4])  # fmt: skip
    return probe


def _finance(
    probe: Probe, product: str, streams: Sequence[type[ZohoStream]], wanted: set[str]
) -> None:
    """The checks of one product on each of its organizations (one failing, others go on)."""
    probe.calls[f"{product}:*"] = 1
    try:
        organizations = probe.client.organizations(product, label=LABEL)
    except ZohoAuthError:
        raise
    except ZohoError as error:
        logger.error("%s: cannot list organizations: %s", product, error)  # noqa: TRY400
        return
    names = {cls.entity: vars(cls)["name"] for cls in streams if issubclass(cls, ListStream)}
    headers = tuple(dict.fromkeys(cls.entity for cls in streams if issubclass(cls, HeaderStream)))
    for organization in organizations:
        organization_id = str(organization.get("organization_id"))
        if wanted and organization_id not in wanted:
            continue
        doctor = FinanceDoctor(
            probe, product, organization_id, organization_zone(organization), names, headers
        )
        try:
            doctor.run()
        except ZohoAuthError:
            raise
        except ZohoError as error:
            logger.error("%s: checks stopped: %s", doctor.scope, error)  # noqa: TRY400


def table(probe: Probe) -> str:
    """The findings as a plain-text table: other answers first, one line for what holds.

    Every finding that says otherwise (or could not be checked) gets its own line; the
    findings that hold are folded into one line per assumption and scope.
    """
    verdict = {True: "as assumed", False: "OTHER ANSWER", None: "not checked"}
    order = {False: 0, None: 1, True: 2}
    lines: list[tuple[int, str, str, str, str, str]] = []
    held: dict[tuple[str, str], list[Finding]] = {}
    for finding in probe.findings:
        if finding.holds:
            held.setdefault((finding.assumption, finding.scope), []).append(finding)
            continue
        lines.append((
            order[finding.holds], finding.assumption, f"{finding.scope} {finding.subject}",
            verdict[finding.holds], finding.observed, finding.tap_will,
        ))  # fmt: skip
    for (assumption, scope), findings in held.items():
        subjects = ", ".join(f.subject for f in findings)
        lines.append((2, assumption, scope, verdict[True], subjects, findings[0].tap_will))
    lines.sort()
    rows = [("assumption", "where", "verdict", "observed", "the tap will")]
    rows.extend(line[1:] for line in lines)
    widths = [min(max(len(row[i]) for row in rows), 60) for i in range(4)]
    text = [
        "  ".join(cell[:width].ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  " + row[4]
        for row in rows
    ]  # fmt: skip
    text.append("")
    text.extend(f"calls {scope}: {count}" for scope, count in sorted(probe.calls.items()))
    return "\n".join(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the doctor; 0 when it could check, 1 when it could not (one line why)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        settings = _config(args.config)
    except (OSError, ValueError) as error:
        print(f"tap-zoho doctor: {error}", file=sys.stderr)  # noqa: T201 - CLI message
        return 1
    try:
        probe = run(settings)
    except ZohoError as error:
        print(f"tap-zoho doctor: {error}", file=sys.stderr)  # noqa: T201 - CLI message
        return 1
    output = Path(args.output) if args.output else default_path()
    findings = Findings(probe.findings, datetime.now(UTC).isoformat(timespec="seconds"))
    findings.save(output)
    print(table(probe))  # noqa: T201 - the report is the command's output
    print(f"\nfindings written to {output}; give it to the tap as doctor_findings")  # noqa: T201
    return 0
