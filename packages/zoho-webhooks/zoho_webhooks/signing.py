"""How a Books/Inventory webhook is signed, for each body shape Zoho can send.

Zoho documents the scheme for Zoho Billing (reference 5.2, "securing webhooks"), which
shares the finance platform with Books and Inventory: header `X-Zoho-Webhook-Signature`,
lowercase hex HMAC-SHA256 keyed with the webhook secret over one string built from

- the query parameters and, for an `x-www-form-urlencoded` body, the body's key-value
  pairs, both URL-decoded, sorted together by key and concatenated as `keyvalue` (no
  `=`, no `&`);
- followed, for a JSON (default or raw) body, by the raw body bytes as received.

A form body is therefore signed over its decoded pairs only, never over its bytes.
Zoho does not say how pairs with the same key are ordered; we sort by key only and keep
the order in which they appear (query first, then body), a stable sort.

Pure functions, no I/O: the webhook service verifies with them and the emulator's sender
signs with them, so sender and receiver cannot drift. Product code owns this module;
the emulator imports it, never the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
JSON_MEDIA_TYPE = "application/json"
_HEX_SHA256_LENGTH = 64
MAX_FORM_FIELDS = 2000
"""A webhook's entity parameters are a few dozen; more is not Zoho (and costs parsing)."""

Pairs = Mapping[str, str] | Iterable[tuple[str, str]] | None
"""Query or form parameters: a mapping, or pairs (repeated keys kept), or none."""


class FormBodyError(ValueError):
    """A form body that is not UTF-8 `key=value&...` (the reason names no value)."""


def _pairs(params: Pairs) -> list[tuple[str, str]]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        return [(str(key), str(value)) for key, value in params.items()]
    return [(str(key), str(value)) for key, value in params]


def signed_string(params: Pairs, body: bytes = b"") -> bytes:
    """What is signed: the pairs sorted by key as `keyvalue`, then the raw JSON body."""
    ordered = sorted(_pairs(params), key=lambda pair: pair[0])
    return "".join(key + value for key, value in ordered).encode() + body


def signed_payload(body: bytes, params: Pairs = None) -> bytes:
    """What is signed for a JSON body (default or raw payload) and its query."""
    return signed_string(params, body)


def form_payload(form: Pairs, params: Pairs = None) -> bytes:
    """What is signed for a form body: its decoded pairs sorted with the query's."""
    return signed_string([*_pairs(params), *_pairs(form)])


def digest(secret: str, message: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of a signed string."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, params: Pairs = None) -> str:
    """The header value for a JSON body with these query parameters."""
    return digest(secret, signed_payload(body, params))


def sign_form(secret: str, form: Pairs, params: Pairs = None) -> str:
    """The header value for a form body of these pairs with these query parameters."""
    return digest(secret, form_payload(form, params))


def matches(secret: str, message: bytes, signature: str | None) -> bool:
    """Whether a received header value signs `message`, compared in constant time.

    Anyone can send any header, so a value that cannot be a hex SHA-256 (wrong length,
    non-ASCII, not hex) is simply not a match: `hmac.compare_digest` raises on
    non-ASCII text, and that must never reach the caller as an error.
    """
    if not secret or not signature:
        return False
    candidate = signature.strip().lower()
    if len(candidate) != _HEX_SHA256_LENGTH or not candidate.isascii():
        return False
    return hmac.compare_digest(digest(secret, message).encode(), candidate.encode())


def verify(secret: str, body: bytes, signature: str | None, params: Pairs = None) -> bool:
    """Whether a JSON delivery's signature is valid."""
    return matches(secret, signed_payload(body, params), signature)


def verify_form(secret: str, form: Pairs, signature: str | None, params: Pairs = None) -> bool:
    """Whether a form delivery's signature is valid (over its decoded pairs)."""
    return matches(secret, form_payload(form, params), signature)


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """A form body's decoded pairs, in order, repeated keys kept.

    Zoho declares `charset=UTF-8`; bytes that are not UTF-8, a part without `=`, or more
    than `MAX_FORM_FIELDS` pairs are refused rather than guessed at, because the
    signature is computed over the decoded text and a lenient decoder would verify
    something other than what was sent.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        msg = "form body is not UTF-8"
        raise FormBodyError(msg) from None
    if not text:
        return []
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=True, encoding="utf-8",
                         errors="strict", max_num_fields=MAX_FORM_FIELDS)  # fmt: skip
    except (ValueError, UnicodeDecodeError):
        msg = "form body is not key=value pairs joined by '&' (percent-encoded UTF-8)"
        raise FormBodyError(msg) from None
