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
    Assumption(
        id="crm.modified-since-inclusive",
        applies_to="`If-Modified-Since` on CRM record lists and `/{module}/deleted` (the "
        "module streams' incremental reads, `crm_deleted_records`)",
        we_assume="the header lets through records modified at or after its time",
        docs_say="the OAS gives the header's format only (date-time); Zoho's pages speak of "
        "records modified since the given time, without saying whether a record modified "
        "in that very second comes back",
        verified_by="by construction: the header is always at least one second before the "
        "bookmark (`lookback_seconds`, at least 1 s), so a record modified in the "
        "bookmark's second is read again under either reading; page-token restarts also "
        "go one second back",
        fallback="none needed at run time: the records of the bookmark's second are "
        "emitted again (targets upsert by key); `lookback_seconds: 0` is read as 1 s for "
        "CRM",
        emulator_answer="crm-modified-since-exclusive",
    ),
    Assumption(
        id="crm.declared-fields",
        applies_to="every CRM record: module records (REST and Bulk Read), subform rows, "
        "`crm_deleted_records` entries",
        we_assume="a record's keys are the fields `/settings/fields` declares for its module "
        "(for deleted entries, the six of Zoho's `Deleted_Record`), plus Zoho's `$` system "
        "keys (`$approval_state`, `$currency_symbol`, ...) and, on subform rows, "
        "`Parent_Id`, `Created_Time`, `Modified_Time`, `Created_By`, `Modified_By`",
        docs_say="`$` keys appear in Zoho's record samples and the OAS without a list; the "
        "field metadata can leave out system fields, fields Zoho adds later, and a "
        "subform row's own system keys",
        verified_by="comparing each record's keys (each CSV column of a Bulk Read) with "
        "its stream's schema",
        fallback="every key the schema does not declare is emitted inside the record's "
        "`zoho_extra` object as Zoho sent it (the expected `$` and subform-row keys "
        "too, without a warning), so `zoho_raw` keeps every key; any other key warns once "
        "per stream and counts each record",
        emulator_answer="crm-undeclared-fields",
    ),
    Assumption(
        id="crm.bulk-tag-cell",
        applies_to="`Tag` cells of Bulk Read CSVs (a module's first load past "
        "`crm_bulk_threshold`)",
        we_assume="Bulk Read writes `Tag` (an array of `{name, id, color_code}` objects "
        "in REST) as its tag names joined by `;`, as it writes multi-select picklists",
        docs_say="silent: the Bulk Read pages document lookups (by id) and multi-selects "
        "(`;`-joined), not `Tag`",
        verified_by="each `Tag` cell: `;`-joined names, or text starting with `[`",
        fallback="a cell that is a JSON array is emitted as that array (ids and colours "
        "included), with one warning per stream and a count per cell; a cell that starts "
        "with `[` but is not JSON is kept as sent and reported by the normalizer; names "
        "become `[{name}]` (ids and colours arrive with the record's next change)",
        emulator_answer="crm-bulk-tag-json",
    ),
)
"""CRM entries, in the order the docs page shows them."""
