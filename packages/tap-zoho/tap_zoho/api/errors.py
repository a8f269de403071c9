"""Errors of the Zoho client, each carrying what an operator needs to act on it.

No message built here ever contains a token, a client secret or a refresh token: paths
are logged without their query strings and response bodies are reduced to Zoho's
`code` and `message`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ZohoError(Exception):
    """Base class of every error the client raises."""


class ZohoAuthError(ZohoError):
    """The accounts server refused to mint an access token; retrying will not help."""


class ZohoTokenThrottledError(ZohoAuthError):
    """Zoho's 10-tokens-per-10-minutes limit stayed in force after our retries."""


class ZohoAPIError(ZohoError):
    """A fatal API answer (4xx other than rate limits, or a non-zero `code`)."""

    def __init__(  # noqa: PLR0913 - every part is shown to the operator
        self,
        *,
        status: int,
        code: int | str | None,
        message: str,
        path: str,
        stream: str | None = None,
        hint: str = "",
    ) -> None:
        """Keep the parts so that callers (the webhook service) can branch on `code`."""
        self.status = status
        self.code = code
        self.zoho_message = message
        self.path = path
        self.stream = stream
        where = f"stream {stream}: " if stream else ""
        text = f"{where}GET {path} failed with HTTP {status}, Zoho code {code}: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class ZohoNotFoundError(ZohoAPIError):
    """The record does not exist (Zoho code 1002 / HTTP 404)."""


class ZohoUnexpectedAnswerError(ZohoAPIError):
    """A successful answer whose shape the tap cannot read without guessing.

    Raised instead of reading it as empty: a detail without the record's key, a list
    without its list. It fails one stream's organization (with the path and the keys
    seen), never the run, and never passes for "no data".
    """

    def __init__(
        self,
        *,
        path: str,
        message: str,
        stream: str | None = None,
        organization_id: str | None = None,
        code: int | str | None = 0,
    ) -> None:
        """Say where (stream, organization, path) and what was seen."""
        super().__init__(status=200, code=code, message=message, path=path, stream=stream)
        where = f"stream {stream}: " if stream else ""
        org = f" (organization {organization_id})" if organization_id else ""
        ZohoError.__init__(self, f"{where}GET {path}{org} gave an unexpected answer: {message}")
        self.organization_id = organization_id


class ZohoRetryExhaustedError(ZohoError):
    """A transient failure (5xx, reset, timeout, bad JSON) outlasted every retry."""


class ZohoQuotaExhaustedError(ZohoError):
    """The day's request quota (or the configured reserve) is used up.

    The tap treats this as a clean stop: bookmarks of finished partitions are kept and
    the run ends with a message saying when the quota resets.
    """

    def __init__(
        self, *, product: str, organization_id: str, remaining: int | None, reset_seconds: int
    ) -> None:
        """Say which quota, how much is left and when it resets."""
        self.product = product
        self.organization_id = organization_id
        self.remaining = remaining
        self.reset_seconds = reset_seconds
        resets_at = datetime.now(UTC) + timedelta(seconds=reset_seconds)
        self.resets_at = resets_at
        left = "exhausted" if remaining is None else f"{remaining} requests left"
        super().__init__(
            f"Zoho {product} daily API quota for organization {organization_id}: {left} "
            f"(at or below daily_budget_reserve); it resets in {reset_seconds}s, at "
            f"{resets_at.isoformat(timespec='seconds')}. Stopping cleanly; run again after "
            "the reset to resume from the saved state."
        )


class ZohoCreditsExhaustedError(ZohoQuotaExhaustedError):
    """Zoho CRM's API credits (rolling 24 h per org) are spent, or down to our reserve.

    A clean stop like the Books daily quota: the tap keeps the bookmarks (and a Bulk Read
    checkpoint) of what it read and says when credits free up again.
    """

    def __init__(self, *, organization_id: str, reason: str, reset_seconds: int) -> None:
        """`reason` says whose limit: the configured budget or Zoho's refusal."""
        self.product = "crm"
        self.organization_id = organization_id
        self.remaining = None
        self.reset_seconds = reset_seconds
        resets_at = datetime.now(UTC) + timedelta(seconds=reset_seconds)
        self.resets_at = resets_at
        ZohoError.__init__(
            self,
            f"Zoho CRM API credits for organization {organization_id}: {reason}. Credits "
            f"are counted over a rolling 24 h; they free up by "
            f"{resets_at.isoformat(timespec='seconds')} at the latest (in {reset_seconds}s)"
            ". Stopping cleanly; run again "
            "after that to resume from the saved state.",
        )
