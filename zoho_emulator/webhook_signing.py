"""The one place that defines how emulated Books/Inventory webhooks are signed.

Zoho documents the scheme only for Zoho Billing (reference 5.2), which shares the
finance platform: header `X-Zoho-Webhook-Signature`, lowercase hex HMAC-SHA256 keyed
with the webhook secret over the query parameters sorted by name and concatenated as
`namevalue` (no separators), followed by the raw request body. The emulator sends no
query parameters by default, so the signature covers exactly the raw body bytes.
The webhook service imports `verify` from here, so sender and receiver cannot drift.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"


def signed_payload(body: bytes, params: Mapping[str, str] | None = None) -> bytes:
    """What is signed: sorted `namevalue` query parameters, then the raw body."""
    pairs = params or {}
    prefix = "".join(f"{name}{pairs[name]}" for name in sorted(pairs))
    return prefix.encode() + body


def sign(secret: str, body: bytes, params: Mapping[str, str] | None = None) -> str:
    """The header value for a request with this raw body (and query parameters)."""
    return hmac.new(secret.encode(), signed_payload(body, params), hashlib.sha256).hexdigest()


def verify(
    secret: str, body: bytes, signature: str | None, params: Mapping[str, str] | None = None
) -> bool:
    """Whether a received signature is valid, compared in constant time."""
    if not signature:
        return False
    return hmac.compare_digest(sign(secret, body, params), signature.strip().lower())
