"""The doctor's access to Zoho: the tap's own client, every call counted and labelled."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tap_zoho.assumptions.findings import Finding

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tap_zoho.api.client import UnifiedZohoClient

LABEL = "doctor"
"""The stream name the doctor's calls carry in log lines and error messages."""


@dataclass
class Probe:
    """One doctor run: the client, the calls made per scope, and what was found."""

    client: UnifiedZohoClient
    calls: dict[str, int] = field(default_factory=dict)
    """Calls per scope (`books:<org>`), to report and to keep within the budget."""
    findings: list[Finding] = field(default_factory=list)

    def get(
        self,
        scope: str,
        product: str,
        path: str,
        *,
        organization_id: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One GET through the tap's client (pacing, retries, error mapping), counted."""
        self.calls[scope] = self.calls.get(scope, 0) + 1
        return self.client.get_json(
            product, path, organization_id=organization_id, params=params, label=LABEL
        )

    def record(  # noqa: PLR0913 - a finding's parts
        self,
        scope: str,
        assumption: str,
        subject: str,
        *,
        holds: bool | None,
        observed: str,
        tap_will: str,
    ) -> None:
        """Keep one finding (see `tap_zoho.assumptions.findings.Finding`)."""
        self.findings.append(Finding(assumption, scope, subject, holds, observed, tap_will))
