"""Zoho's response envelopes and error bodies, in one place so every route agrees."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json;charset=UTF-8"


def json_response(
    body: Any,  # noqa: ANN401 - any JSON-serialisable value
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Serialise with orjson: list pages are the emulator's hot path."""
    return Response(
        orjson.dumps(body), status_code=status_code, headers=headers, media_type=JSON_MEDIA_TYPE
    )


def finance_error(code: int, message: str, status_code: int) -> Response:
    """Books and Inventory share one error shape: `{"code": <int>, "message": ...}`."""
    return json_response({"code": code, "message": message}, status_code)


def crm_error(
    code: str,
    message: str,
    status_code: int,
    details: dict[str, Any] | None = None,
) -> Response:
    """CRM's flat top-level error shape."""
    return json_response(
        {"code": code, "details": details or {}, "message": message, "status": "error"},
        status_code,
    )


# Books/Inventory errors the kernel serves (codes and texts from Zoho's error page).
FINANCE_NOT_AUTHORIZED = (57, "You are not authorized to perform this operation", 401)
FINANCE_BAD_AUTHTOKEN = (14, "Invalid value passed for authtoken.", 401)
FINANCE_MINUTE_LIMIT = (
    44,
    (
        "For security reasons your organization has been blocked as it have exceeded the "
        "maximum number of requests per minute. Please try after some time."
    ),
    429,
)
FINANCE_CONCURRENCY_LIMIT = (
    1070,
    (
        "You have reached the maximum number of in process requests allowed for your "
        "organization. Please try again later."
    ),
    429,
)


def finance_daily_limit_message(limit: int) -> str:
    """Zoho names the plan's daily limit in the code-45 message."""
    return (
        f"The API call for this organization has exceeded the maximum call rate limit of {limit}."
    )


CRM_INVALID_TOKEN = ("INVALID_TOKEN", "invalid oauth token", 401)
CRM_AUTHENTICATION_FAILURE = ("AUTHENTICATION_FAILURE", "Authentication failed", 401)
CRM_TOO_MANY_REQUESTS = (
    "TOO_MANY_REQUESTS",
    "Too many requests in a short span of time. Please try again later",
    429,
)
