"""The CRM calls the tap makes, over the shared `UnifiedZohoClient`, with credits counted.

The client owns auth, pacing, retries and error mapping; this layer names the CRM
endpoints, charges each call to its stream in the credit ledger and keeps calls in
flight within the edition's concurrency limit.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tap_zoho.api.errors import ZohoAPIError
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


def if_modified_since(moment: datetime) -> str:
    """Zoho's header value: ISO-8601 with a colon offset (UTC here)."""
    return moment.isoformat(timespec="seconds")


class CrmApi:
    """CRM v8 and Bulk Read v8 for one token (one CRM org)."""

    def __init__(self, client: UnifiedZohoClient, *, concurrency: int) -> None:
        """Share the tap's client; `concurrency` is the edition's in-flight limit."""
        self.client = client
        self.credits = CreditLedger()
        self._slots = threading.BoundedSemaphore(max(concurrency, 1))
        self._org_id: str | None = None

    @contextmanager
    def _slot(self) -> Iterator[None]:
        with self._slots:
            yield

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
            with self._slot():
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
        with self._slot():
            answer = self.client.request_json(
                "crm_bulk", BULK_READ_PATH, method="POST", json_body=body, label=stream,
                quota_key=self._org_id or "-",
            )  # fmt: skip
        self.credits.charge(stream, "bulk_create", BULK_CREATE_CREDITS)
        data = answer.get("data") or [{}]
        return dict(data[0].get("details") or {})

    def bulk_status(self, job_id: str, *, stream: str) -> dict[str, Any]:
        """A job's status (`data[0]`: state, result)."""
        with self._slot():
            answer = self.client.request_json(
                "crm_bulk", f"{BULK_READ_PATH}/{job_id}", label=stream,
                quota_key=self._org_id or "-",
            )  # fmt: skip
        self.credits.charge(stream, "bulk_status", BULK_FREE_CREDITS)
        data = answer.get("data") or [{}]
        return dict(data[0])

    def bulk_download(self, job_id: str, *, stream: str) -> requests.Response:
        """The job's ZIP as an open stream (the caller closes it)."""
        with self._slot():
            response = self.client.open_download(
                "crm_bulk", f"{BULK_READ_PATH}/{job_id}/result", label=stream,
                quota_key=self._org_id or "-",
            )  # fmt: skip
        self.credits.charge(stream, "bulk_download", BULK_FREE_CREDITS)
        return response
