"""The CRM settings of tap-zoho (merged into the tap's config schema)."""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

DEFAULT_BULK_THRESHOLD = 10_000
"""A Bulk Read job costs 50 credits and a handful of requests for up to 200,000 records;
REST paging costs one credit and one request per 200 records per 50-field batch. From
10,000 records on, bulk is cheaper in credits even for a module that fits one batch, and
it is ~50x cheaper in requests."""

EDITION_CONCURRENCY = {
    "free": 5, "standard": 10, "professional": 15, "enterprise": 20, "ultimate": 25,
}  # fmt: skip
"""Zoho's concurrent-call limit per org and OAuth app (Kaizen #203)."""

CRM_CONFIG_PROPERTIES = th.PropertiesList(
    th.Property("crm_modules", th.ArrayType(th.StringType),
                description="CRM modules to discover and sync, by API name (Leads, "
                "Sales_Orders, custom modules...); default: every api_supported module."),
    th.Property("crm_bulk_threshold", th.IntegerType, default=DEFAULT_BULK_THRESHOLD,
                description="A module's first load uses the Bulk Read API when it has at "
                "least this many records (0 turns Bulk Read off)."),
    th.Property("crm_edition", th.StringType, default="standard",
                allowed_values=list(EDITION_CONCURRENCY),
                description="The CRM edition: caps concurrent CRM calls at Zoho's limit "
                "(free 5, standard 10, professional 15, enterprise 20, ultimate 25)."),
    th.Property("crm_formula_refresh_hours", th.IntegerType, default=0,
                description="Formula fields change without bumping Modified_Time: every "
                "this many hours, re-read modules that have formula fields in full (0: "
                "never)."),
    th.Property("crm_daily_credits", th.IntegerType, default=0,
                description="CRM API credits this tap may spend per rolling 24 h (0: no "
                "budget; Zoho's own refusal still stops the run cleanly). Zoho counts "
                "credits per org for every integration and sends no remaining count."),
    th.Property("crm_credit_reserve", th.IntegerType, default=0,
                description="Credits of crm_daily_credits to leave unused; when only the "
                "reserve is left the tap stops cleanly with resumable state and says "
                "when credits free up."),
    th.Property("crm_bulk_poll_max_seconds", th.IntegerType, default=3600,
                description="Give up waiting for a Bulk Read job after this long (the "
                "job id stays in state; the next run resumes it)."),
).to_dict()["properties"]  # fmt: skip


def with_crm_settings(schema: dict[str, Any]) -> dict[str, Any]:
    """The tap's config schema plus the CRM settings (the tap's own schema unchanged)."""
    merged = dict(schema)
    merged["properties"] = {**schema.get("properties", {}), **CRM_CONFIG_PROPERTIES}
    return merged
