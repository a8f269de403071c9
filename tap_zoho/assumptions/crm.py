"""Register entries for CRM v8 (metadata shapes, optional calls, page tokens)."""

from __future__ import annotations

from tap_zoho.assumptions.model import Assumption

CRM: tuple[Assumption, ...] = (
    Assumption(
        id="crm.field-json-type",
        applies_to="every CRM field's JSON schema (built from `/settings/fields`, or from a "
        "saved catalog, whose property descriptions keep both types)",
        we_assume="a field's `json_type` (string, integer, double, boolean, jsonobject, "
        "jsonarray) gives the JSON shape of its values and `data_type` only refines it: "
        "`Tag` is data_type `text` but json_type `jsonarray` (`[{name, id, color_code}]`), "
        "Products `Tax` is a `multiselectpicklist` of `{id, value}` objects",
        docs_say="both are documented per field; which one decides the shape is not. Zoho's "
        "official SDK types `Tag` as a list of `tags.Tag` and Products `Tax` as a list of "
        "`record.Tax` whatever their data_type",
        verified_by="at discovery, each field's json_type is one of the six documented "
        "shapes; each value is then checked against its property by the record normalizer "
        "(a value that does not fit is kept as sent and reported once per field)",
        fallback="a json_type the tap does not know gets an open schema (any JSON value), so "
        "nothing is dropped; one warning per stream, and a use per field in the summary",
        emulator_answer="crm-unknown-json-type",
    ),
    Assumption(
        id="crm.record-count",
        applies_to="`GET /crm/v8/{module}/actions/count`, which decides whether a module's "
        "first load uses Bulk Read (`crm_bulk_threshold`)",
        we_assume='the count is allowed for every module the tap reads and answers `{"count": N}`',
        docs_say="documented (the OAS types `count` as a string), but it needs its own "
        "permission, costs a credit, and an org's profile can refuse it (403 NO_PERMISSION)",
        verified_by="the count answer: any error (403, another 4xx, 5xx after the client's "
        "retries) or a body without a numeric `count` fails the check; 204 means no records",
        fallback="the first load pages through REST whatever the module's size (every record "
        "is read; a module past `crm_bulk_threshold` costs ceil(records / 200) credits per "
        "field batch instead of 50 per 200,000); one warning per module and run",
        emulator_answer="crm-count-forbidden",
    ),
    Assumption(
        id="crm.page-token-expiry",
        applies_to="CRM record lists (`page_token`, valid 24 h), the module streams' REST reads",
        we_assume="an expired page token answers the code `EXPIRED_VALUE`",
        docs_say="Zoho's v8 get-records page names `EXPIRED_VALUE`; the OAS error enum has "
        "neither it nor the other page-token codes, and older pages answer `INVALID_DATA` "
        "with `EXPIRED_VALUE` only as the reason",
        verified_by="the error code of a request that carried a page token (the same request "
        "without it was accepted, so `INVALID_DATA` there is about the token)",
        fallback="either code restarts every field batch's chain one second before the last "
        "`Modified_Time` read (records of that second are emitted again; nothing is "
        "skipped); `INVALID_DATA` also warns once per stream",
        emulator_answer="crm-page-token-invalid-data",
    ),
)
"""CRM entries, in the order the docs page shows them."""
