"""CRM checks of the register on the live CRM organization (about six calls)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tap_zoho.api.errors import ZohoAPIError
from tap_zoho.doctor.probe import LABEL

if TYPE_CHECKING:
    from tap_zoho.doctor.probe import Probe

PRODUCT = "crm"
SAMPLE_MODULES = ("Leads", "Contacts", "Products")
"""Modules whose field metadata the doctor reads: the most used ones, and Products for
`Tax` (a multi-select of objects)."""
JSON_SHAPES = frozenset({"string", "integer", "double", "boolean", "jsonobject", "jsonarray"})
"""The `json_type` values Zoho's v8 field metadata documents."""


@dataclass
class CrmDoctor:
    """The CRM checks for the token's CRM organization."""

    probe: Probe
    scope: str = "crm:-"

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One CRM GET, counted against the CRM scope."""
        self.probe.calls[self.scope] = self.probe.calls.get(self.scope, 0) + 1
        return self.probe.client.request_json(PRODUCT, path, params=params, label=LABEL)

    def run(self) -> None:
        """Organization, field shapes of a few modules, the record count."""
        org = self.get("/org").get("org")
        if isinstance(org, list) and org and isinstance(org[0], dict):
            calls = self.probe.calls.pop(self.scope)
            self.scope = f"crm:{org[0].get('id', '-')}"
            self.probe.calls[self.scope] = calls
        modules = self.get("/settings/modules").get("modules") or []
        present = {m.get("api_name") for m in modules if isinstance(m, dict)}
        for module in SAMPLE_MODULES:
            if module in present:
                self.check_fields(module)
        if "Leads" in present:
            self.check_count("Leads")
        self.probe.record(
            self.scope, "crm.page-token-expiry", "page_token", holds=None,
            observed="not checkable in a few calls (needs a page token older than a day)",
            tap_will="restart the listing from its bookmark on either error code",
        )  # fmt: skip

    def check_fields(self, module: str) -> None:
        """`crm.field-json-type`: every field's json_type is a shape the tap knows."""
        try:
            fields = self.get("/settings/fields", {"module": module}).get("fields") or []
        except ZohoAPIError as error:
            self.probe.record(
                self.scope, "crm.field-json-type", module, holds=None,
                observed=f"fields unreadable: code {error.code}: {error.zoho_message}",
                tap_will="leave the module out of discovery, with the reason",
            )  # fmt: skip
            return
        unknown = sorted(
            f"{f.get('api_name')}={f.get('json_type')}"
            for f in fields
            if isinstance(f, dict) and f.get("json_type") not in JSON_SHAPES
        )
        shapes = {
            f.get("api_name"): (f.get("data_type"), f.get("json_type"))
            for f in fields
            if isinstance(f, dict) and f.get("api_name") in {"Tag", "Tax"}
        }
        described = "; ".join(
            f"{name}: data_type {data}, json_type {shape}"
            for name, (data, shape) in shapes.items()
        )
        self.probe.record(
            self.scope, "crm.field-json-type", module, holds=not unknown,
            observed=(f"unknown json_type {unknown}" if unknown else "every json_type known")
            + (f"; {described}" if described else ""),
            tap_will="type fields by json_type (unknown ones as any JSON value, warned)",
        )  # fmt: skip

    def check_count(self, module: str) -> None:
        """`crm.record-count`: may this user count records?"""
        try:
            body = self.get(f"/{module}/actions/count")
        except ZohoAPIError as error:
            self.probe.record(
                self.scope, "crm.record-count", module, holds=False,
                observed=f"refused: HTTP {error.status}, code {error.code}",
                tap_will="page a first load through REST, not Bulk Read; one warning per module",
            )  # fmt: skip
            return
        self.probe.record(
            self.scope, "crm.record-count", module, holds=True,
            observed=f"count {body.get('count')}",
            tap_will="choose Bulk Read or REST for a first load by the count",
        )  # fmt: skip
