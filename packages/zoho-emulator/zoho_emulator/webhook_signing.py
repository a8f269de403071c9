"""The emulator signs webhooks with the product's own signing module.

Signature computation lives in `zoho_webhooks.signing` (product code never imports the
emulator); this name stays so tests and benchmarks that sign requests keep one import.
"""

from __future__ import annotations

from zoho_webhooks.signing import (
    SIGNATURE_HEADER,
    form_payload,
    parse_form,
    sign,
    sign_form,
    signed_payload,
    verify,
    verify_form,
)

__all__ = ["SIGNATURE_HEADER", "form_payload", "parse_form", "sign", "sign_form",
           "signed_payload", "verify", "verify_form"]  # fmt: skip
