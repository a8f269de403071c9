"""The reusable Zoho client: auth, pacing, retries, errors, pagination.

Import from here; the webhook service and the CRM streams use the same objects.
"""

from __future__ import annotations

from tap_zoho.api.auth import TokenManager, ZohoCredentials
from tap_zoho.api.client import Page, UnifiedZohoClient
from tap_zoho.api.entities import ENTITIES, EntityRoute
from tap_zoho.api.errors import (
    ZohoAPIError,
    ZohoAuthError,
    ZohoError,
    ZohoNotFoundError,
    ZohoQuotaExhaustedError,
    ZohoRetryExhaustedError,
    ZohoTokenThrottledError,
)
from tap_zoho.api.ratelimit import RequestGovernor
from tap_zoho.api.regions import REGIONS, Region
from tap_zoho.api.retry import RetryPolicy

__all__ = [
    "ENTITIES",
    "REGIONS",
    "EntityRoute",
    "Page",
    "Region",
    "RequestGovernor",
    "RetryPolicy",
    "TokenManager",
    "UnifiedZohoClient",
    "ZohoAPIError",
    "ZohoAuthError",
    "ZohoCredentials",
    "ZohoError",
    "ZohoNotFoundError",
    "ZohoQuotaExhaustedError",
    "ZohoRetryExhaustedError",
    "ZohoTokenThrottledError",
]
