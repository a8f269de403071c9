"""CRM checks of the register on the live CRM organization (about nine calls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
LIST_HIDDEN = frozenset({"subform", "multiselectlookup", "multiuserlookup"})
"""Data types a list call cannot return (asking for them is refused or ignored)."""
MAX_FIELDS = 50
MODIFIED_TIME = "Modified_Time"
BULK_TAG_OBSERVED = (
    "not checkable in a few calls: Bulk Read jobs are asynchronous (create, poll, "
    "download) and cost 50 credits each"
)
BULK_TAG_TAP_WILL = (
    "type a `;`-joined Tag cell as named objects and a JSON cell as its array (warned)"
)


@dataclass
class CrmDoctor:
    """The CRM checks for the token's CRM organization."""

    probe: Probe
    scope: str = "crm:-"
    declared: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Field metadata read per module (reused by the record checks)."""

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
        sample = next((module for module in SAMPLE_MODULES if module in self.declared), None)
        if sample is not None:
            try:
                self.check_records(sample)
            except ZohoAPIError as error:
                for assumption in ("crm.declared-fields", "crm.modified-since-inclusive"):
                    self.probe.record(
                        self.scope, assumption, sample, holds=None,
                        observed=f"records unreadable: code {error.code}: {error.zoho_message}",
                        tap_will="keep undeclared keys in zoho_extra; re-read the bookmark's "
                        "second",
                    )  # fmt: skip
        self.probe.record(
            self.scope, "crm.page-token-expiry", "page_token", holds=None,
            observed="not checkable in a few calls (needs a page token older than a day)",
            tap_will="restart the listing from its bookmark on either error code",
        )  # fmt: skip
        self.probe.record(
            self.scope, "crm.bulk-tag-cell", "Bulk Read", holds=None,
            observed=BULK_TAG_OBSERVED, tap_will=BULK_TAG_TAP_WILL,
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
        self.declared[module] = [f for f in fields if isinstance(f, dict)]
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
            f"{name}: data_type {data}, json_type {shape}" for name, (data, shape) in shapes.items()
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

    def check_records(self, module: str) -> None:
        """`crm.declared-fields` and `crm.modified-since-inclusive` on one record (3 calls).

        The newest record of the module (one list call), that record whole (a
        single-record GET returns every field, subforms included: the widest view of
        what Zoho sends), then the list again with `If-Modified-Since` set to that
        record's exact `Modified_Time`: it comes back only if the header means at or
        after.
        """
        fields = self.declared[module]
        names = {str(f.get("api_name")) for f in fields}
        listed = [
            str(f.get("api_name"))
            for f in fields
            if f.get("data_type") not in LIST_HIDDEN
            and f.get("api_name") not in {"id", MODIFIED_TIME}
        ][: MAX_FIELDS - 1]
        params: dict[str, Any] = {
            "fields": ",".join([MODIFIED_TIME, *listed]), "per_page": 1,
            "sort_by": MODIFIED_TIME, "sort_order": "desc",
        }  # fmt: skip
        if module == "Leads":
            params["converted"] = "both"
        rows = self.get(f"/{module}", params).get("data") or []
        if not rows or not isinstance(rows[0], dict) or MODIFIED_TIME not in names:
            for assumption in ("crm.declared-fields", "crm.modified-since-inclusive"):
                self.probe.record(
                    self.scope, assumption, module, holds=None,
                    observed=f"no {module} record to look at",
                    tap_will="keep undeclared keys in zoho_extra; re-read the bookmark's second",
                )  # fmt: skip
            return
        newest = rows[0]
        whole = (self.get(f"/{module}/{newest.get('id')}").get("data") or [newest])[0]
        self.check_keys(module, names, {**newest, **whole})
        self.check_since(module, params, str(newest.get(MODIFIED_TIME)), str(newest.get("id")))

    def check_keys(self, module: str, names: set[str], record: dict[str, Any]) -> None:
        """`crm.declared-fields`: keys besides declared fields and Zoho's `$` keys."""
        other = sorted(
            key for key in record if key not in names and key != "id" and not key.startswith("$")
        )
        system = sorted(key for key in record if key.startswith("$"))
        self.probe.record(
            self.scope, "crm.declared-fields", module, holds=not other,
            observed=(f"keys no metadata declares: {', '.join(other[:10])}" if other
                      else "every key declared") + f"; {len(system)} $ keys",
            tap_will="emit undeclared keys inside zoho_extra"
            + (" (warned and counted)" if other else ""),
        )  # fmt: skip

    def check_since(self, module: str, params: dict[str, Any], moment: str, record_id: str) -> None:
        """`crm.modified-since-inclusive`: does a record come back for its own time?"""
        ascending = {**params, "fields": MODIFIED_TIME, "sort_order": "asc"}
        self.probe.calls[self.scope] += 1
        body = self.probe.client.request_json(
            PRODUCT, f"/{module}", params=ascending, label=LABEL,
            headers={"If-Modified-Since": moment},
        )  # fmt: skip
        rows = [row for row in body.get("data") or [] if isinstance(row, dict)]
        first = rows[0] if rows else {}
        try:
            inclusive = datetime.fromisoformat(str(first.get(MODIFIED_TIME))) == (
                datetime.fromisoformat(moment)
            )
        except ValueError:
            inclusive = False
        seen = f"record {first.get('id')} at {first.get(MODIFIED_TIME)}" if rows else "no record"
        holds: bool | None = inclusive
        if not inclusive and str(first.get("id")) == record_id:
            holds = None  # the record itself changed between the calls: no verdict
            seen += " (changed meanwhile; run the doctor again)"
        self.probe.record(
            self.scope, "crm.modified-since-inclusive", module, holds=holds,
            observed=f"If-Modified-Since {moment} (record {record_id}'s time): first {seen}",
            tap_will="send the header at least one second before the bookmark "
            "(either reading re-reads that second)",
        )  # fmt: skip
