"""Register entries for Books v3 and Inventory v1 (list, detail and value behaviour)."""

from __future__ import annotations

from tap_zoho.assumptions.model import Assumption

FINANCE: tuple[Assumption, ...] = (
    Assumption(
        id="list.sort-echo",
        applies_to="Books/Inventory contacts, Inventory packages and transfer orders (the "
        "`sorted` streams)",
        we_assume="`sort_column=last_modified_time&sort_order=D` lists newest first, so "
        "paging can stop at the first row older than the bookmark",
        docs_say="sort_column is documented for these lists, but not `sort_order=D` with "
        "`last_modified_time`; if Zoho ignores it, an early stop reads nothing after the "
        "first page",
        verified_by="the page's `page_context` echoes `sort_column=last_modified_time` and "
        "`sort_order=D`, and the rows on it are newest first",
        fallback="no early stop: the list is read to the end and rows older than the "
        "bookmark are dropped client-side",
        emulator_answer="sort-ignored",
    ),
    Assumption(
        id="list.page-context",
        applies_to="every paginated Books/Inventory list",
        we_assume="every page carries `page_context.has_more_page`",
        docs_say="the OAS omits `page_context` for chart of accounts, sales orders, "
        "purchase orders, journals and vendor payments",
        verified_by="`page_context` is an object with a boolean `has_more_page`",
        fallback="a page without it that holds `per_page` rows is followed by a request "
        "for the next page (one extra, empty page when the last one is exactly full); a "
        "shorter page ends the list",
        emulator_answer="no-page-context",
    ),
    Assumption(
        id="list.modified-filter",
        applies_to="lists filtered by `last_modified_time` (the `server` streams: Books "
        "invoices, sales orders, purchase orders, bills, vendor payments, chart of "
        "accounts; Inventory items, composite items, sales orders)",
        we_assume="Zoho filters the list server-side to rows modified at or after the time",
        docs_say="documented for Books invoices and bills; elsewhere only 'search by last "
        "modified time', and not at all for Inventory sales orders",
        verified_by="no returned row is older than the filter",
        fallback="the list is treated as unfiltered: read to the end, rows older than the "
        "bookmark dropped client-side",
        emulator_answer="modified-filter-ignored",
    ),
    Assumption(
        id="list.modified-filter-zone",
        applies_to="the same `last_modified_time` filters",
        we_assume="the filter's UTC offset is honoured",
        docs_say="silent; Zoho may read the wall time in the organization's time zone",
        verified_by="by construction: the tap sends the time in the organization's own time "
        "zone, with its offset, which is the same instant under either reading; rows older "
        "than the filter are still caught by `list.modified-filter`",
        fallback="none needed at run time; an organization whose time zone cannot be "
        "resolved from `/organizations` gets the filter in UTC, with a warning",
        emulator_answer="modified-filter-org-local",
    ),
    Assumption(
        id="list.filter-all",
        applies_to="lists sent `filter_by=Status.All` (or `PaymentMode.All`, ...) to include "
        "inactive and void records",
        we_assume="Zoho accepts the all-records filter on that list",
        docs_say="documented for some lists only; a refusal is code 2 'Invalid value passed "
        "for filter_by'",
        verified_by="the answer to the first page: code 2 naming filter_by",
        fallback="the list is read again without `filter_by` (Zoho's default), and where "
        "that default leaves out inactive records (contacts, items, composite items) once "
        "more with `filter_by=Status.Inactive`; rows are deduplicated by id",
        emulator_answer="filter-all-refused",
    ),
    Assumption(
        id="detail.key",
        applies_to="every detail call (`GET /<entity>/<id>`)",
        we_assume="the record sits under the key in `tap_zoho.api.entities` "
        "(`purchaseorder`, `salesorder`, ...)",
        docs_say="Inventory's OAS says `purchase_order` where Books says `purchaseorder`",
        verified_by="the key is present and holds an object",
        fallback="the documented alternate keys are tried; if none is present that "
        "organization's stream fails with the path and the keys seen (never 0 rows "
        "silently)",
        emulator_answer="oas-detail-keys",
    ),
    Assumption(
        id="row.modified-time",
        applies_to="every row of an incremental Books/Inventory list",
        we_assume="each row carries `last_modified_time`",
        docs_say="present in the OAS list rows of the incremental streams, but not marked required",
        verified_by="the row has a parseable `last_modified_time`",
        fallback="the row is emitted (and its detail fetched, on every run that lists it) "
        "but does not move the bookmark; counted",
        emulator_answer="rows-without-modified-time",
    ),
    Assumption(
        id="value.datetime-range",
        applies_to="every date and datetime value",
        we_assume="dates and datetimes are within years 1-9999 after conversion to UTC",
        docs_say="silent",
        verified_by="parsing and converting each value",
        fallback="the value is emitted as null and the original kept in `zoho_unparsed` of "
        "the record; counted",
        emulator_answer="out-of-range-dates",
    ),
    Assumption(
        id="record.declared-fields",
        applies_to="every Books/Inventory record",
        we_assume="the stream's schema declares every key Zoho sends",
        docs_say="the OAS is incomplete (`location_id`, `location_name` on invoice rows are "
        "in the OAS but were not in the schemas) and Zoho adds fields over time",
        verified_by="comparing each record's keys with the schema",
        fallback="undeclared keys are emitted inside the record's `zoho_extra` object, so "
        "`zoho_raw` keeps every key Zoho sent; counted",
        emulator_answer="extra-fields",
    ),
    Assumption(
        id="list.aggregate-keys",
        applies_to="the Books invoice list's `response_option` (read by `tsh-erp reconcile`)",
        we_assume="`response_option=3` answers the number of invoices in "
        "`page_context.total` and the sums in `page_context.sum_total` and `sum_balance`",
        docs_say="the OAS documents `response_option` (0-4: rows, count, sums) but not the "
        "keys that carry the figures",
        verified_by="each key is present and numeric in the answer; the changed-since count "
        "is checked against the rows listed",
        fallback="the entity's line says 'not in Zoho's answer' with the keys Zoho did send, "
        "and no drift is claimed for it",
        emulator_answer="aggregates-elsewhere",
    ),
    Assumption(
        id="list.aggregate-other-lists",
        applies_to="the Books lists `tsh-erp reconcile` maps besides invoices (contacts, "
        "items, sales orders, purchase orders, customer payments)",
        we_assume="these lists ignore `response_option` as they ignore any parameter they "
        "do not take (the OAS documents it on the invoice list only), so reconcile has no "
        "Zoho count for them",
        docs_say="silent: `response_option` is documented for `GET /invoices` alone",
        verified_by="`tap-zoho doctor` asks each list once with `response_option=2` (the "
        "count only) and looks for a numeric `page_context.total`, where the invoice list "
        "puts it",
        fallback="where the doctor saw the count (the other answer, in that organization "
        "and list), `tsh-erp reconcile` compares it with the ERP's live rows; elsewhere its "
        "line says 'no documented aggregate'; a later answer without the count says 'not in "
        "Zoho's answer'",
        emulator_answer="aggregates-everywhere",
    ),
    Assumption(
        id="inventory.warehouses",
        applies_to="Inventory per-warehouse stock (`inventory_item_stock`, `warehouses`)",
        we_assume="the organization uses warehouses (`/settings/warehouses`)",
        docs_say="organizations on multi-location inventory use `/locations` instead",
        verified_by="the answer of `/settings/warehouses`: an error code (an organization "
        "on locations may also answer an empty list, which needs no fallback)",
        fallback="the organization's places are read from `/locations` only "
        "(`location_type` = `location`), with a warning; item stock comes from the "
        "`locations[]` of item details either way",
        emulator_answer="locations-only",
    ),
)
"""Books/Inventory entries, in the order the docs page shows them."""
