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
    OtherAnswer(
        "crm-undeclared-fields",
        "crm.declared-fields",
        "records, subform rows, deleted-record entries and Bulk Read CSVs carry "
        "`Record_Status__s`, a key no field metadata lists and not a `$` key",
    ),
    OtherAnswer(
        "crm-modified-since-exclusive",
        "crm.modified-since-inclusive",
        "`If-Modified-Since` lets through only what changed strictly after its time "
        "(records, a single record, deleted records)",
    ),
    OtherAnswer(
        "crm-bulk-tag-json",
        "crm.bulk-tag-cell",
        "Bulk Read writes a `Tag` cell as the JSON array REST sends instead of `;`-joined names",
    ),
)
