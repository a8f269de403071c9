"""CRM switches for the other answer (see `zoho_emulator.answers`).

Each is honoured where the route builds the answer; the tap's register entry it
exercises is named by id.
"""

from __future__ import annotations

from zoho_emulator.switch import OtherAnswer

CRM_ANSWERS: tuple[OtherAnswer, ...] = (
    OtherAnswer(
        "crm-unknown-json-type",
        "crm.field-json-type",
        "one field of every module has a `json_type` the tap does not know",
    ),
    OtherAnswer(
        "crm-count-forbidden",
        "crm.record-count",
        "`/{module}/actions/count` answers 403 NO_PERMISSION",
    ),
    OtherAnswer(
        "crm-page-token-invalid-data",
        "crm.page-token-expiry",
        "an expired page token answers INVALID_DATA instead of EXPIRED_VALUE",
    ),
)
