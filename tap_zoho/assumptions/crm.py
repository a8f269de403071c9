"""Register entries for CRM v8 (metadata shapes, optional calls, page tokens)."""

from __future__ import annotations

from tap_zoho.assumptions.model import Assumption

CRM: tuple[Assumption, ...] = (
    Assumption(
        id="crm.field-json-type",
        applies_to="every CRM field's JSON schema (built from `/settings/fields`)",
        we_assume="a field's `json_type` gives the JSON shape of its values and `data_type` "
        "only refines it (`Tag` is data_type `text` but json_type `jsonarray`)",
        docs_say="both are documented; which one wins is not, and the official SDK models "
        "Products `Tax` as `[{id, value}]` objects",
        verified_by="each value's JSON shape against the field's schema",
        fallback="a json_type the tap does not know gets an open schema (any JSON value), "
        "with a warning; nothing is dropped",
        emulator_answer="crm-unknown-json-type",
    ),
    Assumption(
        id="crm.record-count",
        applies_to="`GET /crm/v8/{module}/actions/count` (progress totals only)",
        we_assume="the count call is allowed for every module the tap reads",
        docs_say="documented, but it needs its own permission and costs a credit",
        verified_by="the count answer's status and code",
        fallback="the module is read without a total; one warning per module and run",
        emulator_answer="crm-count-forbidden",
    ),
    Assumption(
        id="crm.page-token-expiry",
        applies_to="CRM record lists past 2,000 records (`page_token`)",
        we_assume="an expired page token answers `EXPIRED_VALUE` (as the OAS and the "
        "official SDK say)",
        docs_say="older v2-v6 pages show `INVALID_DATA` for the same case",
        verified_by="the error code and the `page_token` it names",
        fallback="either code restarts the listing from the last `Modified_Time` bookmark "
        "of the run, with a warning",
        emulator_answer="crm-page-token-invalid-data",
    ),
)
"""CRM entries, in the order the docs page shows them."""
