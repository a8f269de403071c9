"""What one run of the tap shares between its streams, built by the tap and handed down.

Streams read settings, the client, the organizations, quota stops, the fallback ledger,
failures and time zones from a `ZohoRun` instead of reaching back into the tap, so the
stream modules do not depend on `tap_zoho.tap` (which depends on them).
"""

from __future__ import annotations

import logging
from datetime import UTC, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.api.errors import ZohoAPIError, ZohoQuotaExhaustedError, ZohoRetryExhaustedError
from tap_zoho.assumptions import REGISTER, FallbackLedger
from tap_zoho.assumptions.findings import findings_for_run
from tap_zoho.isolation import RunFailures
from tap_zoho.settings import resolve

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

logger = logging.getLogger("tap_zoho")


class ZohoRun:
    """Settings, client, organizations, quota stops, fallbacks, failures and zones of a run.

    Everything is built on first use: a `--test` run must be able to report missing
    settings (`settings` raises `ValueError` naming them) before anything else is made.
    """

    def __init__(self, config: Mapping[str, Any], initialized_at: int) -> None:
        """Bind the run to the tap's config and start time (milliseconds)."""
        self.config = config
        self.initialized_at = initialized_at
        """The tap's start time in milliseconds: the table version of a complete sync."""
        self.quota_stops: dict[tuple[str, str], ZohoQuotaExhaustedError] = {}
        """Daily quotas that stopped this run, per (product, organization)."""
        self.discovery_gaps: list[str] = []
        """Metadata discovery could not read (the catalog is then not kept on disk)."""
        self._organizations: dict[str, list[dict[str, Any]]] = {}
        self._zones: dict[tuple[str, str], tzinfo] = {}
        self._last_detail: tuple[tuple[str, ...], dict[str, Any] | None] | None = None

    def shared_detail(
        self, key: tuple[str, ...], fetch: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        """A document's detail, fetched once for the sibling streams that read it.

        A line stream and its line manifest are children of the same header and the SDK
        syncs them one after the other for each header: the second reads the detail the
        first fetched, so the manifest costs no request. `key` names the document version
        (product, organization, entity, id, modification time); only the last detail is
        kept, so memory stays one document whatever the run's size.
        """
        if self._last_detail is not None and self._last_detail[0] == key:
            return self._last_detail[1]
        detail = fetch()
        self._last_detail = (key, detail)
        return detail

    @cached_property
    def settings(self) -> dict[str, Any]:
        """The config with `ZOHO_*` environment fallbacks (secrets stay in memory)."""
        return resolve(self.config)

    @cached_property
    def client(self) -> UnifiedZohoClient:
        """The one client every stream of this run shares."""
        return UnifiedZohoClient.from_config(self.settings)

    @cached_property
    def fallbacks(self) -> FallbackLedger:
        """Where Zoho answered other than assumed in this run (see docs/assumptions.md)."""
        return FallbackLedger(REGISTER, findings_for_run(self.settings.get("doctor_findings")))

    @cached_property
    def failures(self) -> RunFailures:
        """Streams and organizations that failed in this run (the others went on)."""
        return RunFailures()

    def stream_failed(self, stream: str, organization_id: str | None, error: BaseException) -> None:
        """One stream (or one organization of it) failed; the run goes on without it."""
        self.failures.add(stream, organization_id, error)

    def products(self) -> list[str]:
        """Products this run syncs."""
        return list(self.settings.get("products") or [])

    def visible_organizations(self, product: str) -> list[dict[str, Any]]:
        """`GET /organizations` of a product, once per run."""
        if product not in self._organizations:
            self._organizations[product] = self.client.organizations(
                product, label=f"{product}_organizations"
            )
        return self._organizations[product]

    def organization_ids(self, product: str) -> list[str]:
        """The configured organizations, or every one the token can see."""
        configured = self.settings.get("organization_ids")
        if configured:
            return [str(org) for org in configured]
        try:
            return [str(org["organization_id"]) for org in self.visible_organizations(product)]
        except ZohoQuotaExhaustedError as exhausted:
            self.quota_stopped(f"{product}_organizations", exhausted)
            return []

    def quota_stopped(self, stream: str, exhausted: ZohoQuotaExhaustedError) -> None:
        """A daily quota ran out: say so once per (product, organization)."""
        key = (exhausted.product, exhausted.organization_id)
        if key not in self.quota_stops:
            self.quota_stops[key] = exhausted
            logger.warning("%s (stream %s)", exhausted, stream)

    def quota_gone(self, product: str, organization_id: str) -> bool:
        """Whether the daily quota of a product's organization is spent (seen by the client)."""
        return self.client.governor.quota(product, organization_id).exhausted

    def organization_zone(self, product: str, organization_id: str, stream: str) -> tzinfo:
        """The organization's time zone (from `/organizations`), for `last_modified_time`.

        Zoho may read a filter's wall time in the organization's zone; a time written in
        that zone with its offset is the same instant under either reading. An
        organization or zone the tap cannot resolve falls back to UTC with a warning
        (`list.modified-filter-zone`); a row the filter then lets slip past is still
        caught by the `list.modified-filter` check.
        """
        key = (product, organization_id)
        if key in self._zones:
            return self._zones[key]
        name: str | None = None
        try:
            for organization in self.visible_organizations(product):
                if str(organization.get("organization_id")) == organization_id:
                    name = str(organization.get("time_zone") or "") or None
        except ZohoAPIError as error:
            why = f"GET /organizations failed ({error.code}: {error.zoho_message})"
        except ZohoRetryExhaustedError as error:
            why = f"GET /organizations failed ({error})"
        else:
            why = f"/organizations gives no time zone for organization {organization_id}"
        zone: tzinfo = UTC
        if name is not None:
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                why = f"unknown time zone {name!r}"
            else:
                self._zones[key] = zone
                return zone
        self.fallbacks.fell_back(
            "list.modified-filter-zone", stream=stream, organization_id=organization_id,
            detail=f"{why}; the last_modified_time filter is sent in UTC",
        )  # fmt: skip
        self._zones[key] = zone
        return zone
