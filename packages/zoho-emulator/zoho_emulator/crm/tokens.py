# ruff: noqa: EM101 - CrmError takes Zoho's code and message as data, not prose
"""`page_token`s: opaque, bound to the request's parameters and the user, 24 h lifetime.

A token carries the sort key of the last record served, so the next page resumes by
binary search (no offset scan), and the number of records served so far, so the
100,000-record ceiling per token chain can be enforced.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

import orjson

from zoho_emulator.crm.errors import CrmError

TOKEN_LIFETIME = 86_400
MAX_TOKEN_RECORDS = 100_000


@dataclass(frozen=True, slots=True)
class PageCursor:
    """Where a page token says to resume."""

    binding: str
    primary: int
    index: int
    served: int
    expires: int


class PageTokens:
    """Signs and checks page tokens (HMAC with a per-emulator key, so they are opaque)."""

    def __init__(self, key: bytes) -> None:
        """`key` is derived from the seed so tokens survive nothing but this emulator."""
        self._key = key

    def binding(self, module: str, params: dict[str, str]) -> str:
        """A digest of what the token is bound to: the module and the list parameters."""
        text = module + "|" + "&".join(f"{k}={params[k]}" for k in sorted(params))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def issue(self, cursor: PageCursor) -> str:
        """An opaque token for the cursor."""
        payload = orjson.dumps(
            [cursor.binding, cursor.primary, cursor.index, cursor.served, cursor.expires]
        )
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:10]
        return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def read(
        self, token: str, binding: str, now: int, *, expiry_as_invalid_data: bool = False
    ) -> PageCursor:
        """The cursor of a token presented with the given parameters.

        An expired token answers `EXPIRED_VALUE` (Zoho's v8 get-records page);
        `expiry_as_invalid_data` (the `crm-page-token-invalid-data` answer) gives the
        older pages' `INVALID_DATA` instead, with the reason in the details.

        Raises:
            CrmError: INVALID_DATA for a forged or malformed token; EXPIRED_VALUE (or
                INVALID_DATA) for an expired one; TOKEN_BOUND_DATA_MISMATCH when the
                parameters differ from the first call.
        """
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            mac, payload = raw[:10], raw[10:]
            genuine = hmac.compare_digest(
                mac, hmac.new(self._key, payload, hashlib.sha256).digest()[:10]
            )
            bound, primary, index, served, expires = orjson.loads(payload) if genuine else [0] * 5
        except (ValueError, binascii.Error, orjson.JSONDecodeError, TypeError) as error:
            raise CrmError(
                "INVALID_DATA", "invalid data", 400, {"param_name": "page_token"}
            ) from error
        if not genuine:
            raise CrmError("INVALID_DATA", "invalid data", 400, {"param_name": "page_token"})
        if expires <= now:
            if expiry_as_invalid_data:
                raise CrmError(
                    "INVALID_DATA", "The page token has expired", 400,
                    {"param_name": "page_token", "reason": "EXPIRED_VALUE"},
                )  # fmt: skip
            raise CrmError(
                "EXPIRED_VALUE", "The given page token has expired", 400,
                {"param_name": "page_token"},
            )  # fmt: skip
        if bound != binding:
            raise CrmError(
                "TOKEN_BOUND_DATA_MISMATCH",
                "The given page token is bound to other parameters",
                400,
                {"param_name": "page_token"},
            )
        return PageCursor(bound, int(primary), int(index), int(served), int(expires))
