"""The CRM calls the tap makes, over the shared `UnifiedZohoClient`, with credits counted.

The client owns auth, pacing, retries and error mapping; this layer names the CRM
endpoints, charges each call to its stream in the credit ledger and keeps calls in
flight within the edition's concurrency limit.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tap_zoho.api.errors import (
    ZohoAPIError,
    ZohoCreditsExhaustedError,
    ZohoQuotaExhaustedError,
)
from tap_zoho.crm.credits import (
    BULK_CREATE_CREDITS,
    BULK_FREE_CREDITS,
    GET_CREDITS,
    CreditLedger,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from datetime import datetime

    import requests

    from tap_zoho.api.client import UnifiedZohoClient

PRODUCT = "crm"
PER_PAGE = 200
IDS_PER_CALL = 100
BULK_READ_PATH = "/read"
SECONDS_PER_DAY = 86_400


def if_modified_since(moment: datetime) -> str:
    """Zoho's header value: ISO-8601 with a colon offset (UTC here)."""
    return moment.isoformat(timespec="seconds")


class CrmApi:
    """CRM v8 and Bulk Read v8 for one token (one CRM org)."""

    def __init__(
        self,
        client: UnifiedZohoClient,
        *,
        concurrency: int,
        credit_budget: int = 0,
        credit_reserve: int = 0,
    ) -> None:
        """Share the tap's client; `concurrency` is the edition's in-flight limit.

        `credit_budget` (0: none) is what this run may spend of the org's rolling-24 h
        credits, `credit_reserve` the part of it left for other integrations: Zoho
        publishes no remaining-credit header, so the tap counts its own spending.
        """
        self.client = client
        self.credits = CreditLedger()
        self.credit_budget = credit_budget
        self.credit_reserve = credit_reserve
        self._slots = threading.BoundedSemaphore(max(concurrency, 1))
        self._org_id: str | None = None
        self._first_call: float | None = None
        self.stopped: ZohoQuotaExhaustedError | None = None
        """Set once credits ran out: every later call stops at once, none is sent."""

    def _afford(self, cost: int) -> None:
        """Stop before a call that would spend the budget's reserve.

        Raises:
            ZohoCreditsExhaustedError: budget minus reserve reached.
        """
        if self.stopped is not None:
            raise self.stopped
        now = time.monotonic()
        if self._first_call is None:
            self._first_call = now
        if not self.credit_budget:
            return
        spent = self.credits.total()
        usable = self.credit_budget - self.credit_reserve
        if spent + cost <= usable:
            return
        frees_in = max(int(SECONDS_PER_DAY - (now - self._first_call)), 0)
        self.stopped = ZohoCreditsExhaustedError(
            organization_id=self._org_id or "-", reset_seconds=frees_in,
            reason=f"this run spent {spent} of crm_daily_credits={self.credit_budget} "
            f"and the next call costs {cost}, which would go into "
            f"crm_credit_reserve={self.credit_reserve}",
        )  # fmt: skip
        raise self.stopped

    @contextmanager
    def _guarded(self, cost: int) -> Iterator[None]:
        """Check the budget before a call; remember a stop Zoho's refusal caused."""
        self._afford(cost)
        try:
            with self._slots:
                yield
        except ZohoQuotaExhaustedError as exhausted:
            self.stopped = exhausted
            raise

    def get(
        self,
        path: str,
        *,
        stream: str,
        params: Mapping[str, Any] | None = None,
        since: datetime | None = None,
        call: str = "get",
    ) -> dict[str, Any]:
        """GET under `/crm/v8`; `{}` for 204/304 (no records)."""
        headers = {"If-Modified-Since": if_modified_since(since)} if since else None
        try:
            with self._guarded(GET_CREDITS):
                body = self.client.request_json(
                    PRODUCT, path, params=params, headers=headers, label=stream,
                    quota_key=self._org_id or "-",
                )  # fmt: skip
        except ZohoAPIError:
            self.credits.charge(stream, call, GET_CREDITS)  # Zoho meters refusals too
            raise
        self.credits.charge(stream, call, GET_CREDITS)
        return body

    def organization_id(self, stream: str = "discovery") -> str:
        """The CRM org id (`GET /org`, once per run)."""
        if self._org_id is None:
            body = self.get("/org", stream=stream, call="org")
            orgs = body.get("org") or []
            if not orgs or not orgs[0].get("id"):
                msg = "Zoho CRM /org returned no organization (scope ZohoCRM.org.READ?)"
                raise ValueError(msg)
            self._org_id = str(orgs[0]["id"])
        return self._org_id

    def remember_organization(self, organization_id: str) -> None:
        """The org id from a saved catalog: no `/org` call needed."""
        self._org_id = self._org_id or organization_id

    # -- Bulk Read (`/crm/bulk/v8`) ------------------------------------------------------
    def bulk_create(self, body: dict[str, Any], *, stream: str) -> dict[str, Any]:
        """Create a Bulk Read job; returns `data[0].details` (id, created_time, ...)."""
        with self._guarded(BULK_CREATE_CREDITS):
            answer = self.client.request_json(
                "crm_bulk", BULK_READ_PATH, method="POST", json_body=body, label=stream,
                quota_key=self._org_id or "-",
            )  # fmt: skip
        self.credits.charge(stream, "bulk_create", BULK_CREATE_CREDITS)
        data = answer.get("data") or [{}]
        return dict(data[0].get("details") or {})

    def bulk_status(self, job_id: str, *, stream: str) -> dict[str, Any]:
        """A job's status (`data[0]`: state, result)."""
        with self._guarded(BULK_FREE_CREDITS):
            answer = self.client.request_json(
                "crm_bulk", f"{BULK_READ_PATH}/{job_id}", label=stream,
                quota_key=self._org_id or "-",
            )  # fmt: skip
        self.credits.charge(stream, "bulk_status", BULK_FREE_CREDITS)
        data = answer.get("data") or [{}]
        return dict(data[0])

    def bulk_download(self, job_id: str, *, stream: str) -> requests.Response:
        """The job's ZIP as an open stream (the caller closes it)."""
        with self._guarded(BULK_FREE_CREDITS):
            response = self.client.open_download(
                "crm_bulk", f"{BULK_READ_PATH}/{job_id}/result", label=stream,
                quota_key=self._org_id or "-",
            )  # fmt: skip
        self.credits.charge(stream, "bulk_download", BULK_FREE_CREDITS)
        return response
