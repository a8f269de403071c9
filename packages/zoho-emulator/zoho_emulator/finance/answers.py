# ruff: noqa: E501 - one switch per entry reads better than wrapped sentences
"""Books/Inventory switches for the other answer (see `zoho_emulator.answers`).

Each is honoured where the route builds the answer; the tap's register entry it
exercises is named by id.
"""

from __future__ import annotations

from zoho_emulator.switch import OtherAnswer

FINANCE_ANSWERS: tuple[OtherAnswer, ...] = (
    OtherAnswer(
        "sort-ignored",
        "list.sort-echo",
        "lists ignore `sort_column`/`sort_order` (rows in id order) and `page_context` echoes the default sort",
    ),
    OtherAnswer(
        "no-page-context",
        "list.page-context",
        "the lists whose OAS has no `page_context` (chart of accounts, sales orders, purchase orders, journals, vendor payments) answer without it",
    ),
    OtherAnswer(
        "modified-filter-ignored",
        "list.modified-filter",
        "lists ignore `last_modified_time` and answer every row",
    ),
    OtherAnswer(
        "modified-filter-org-local",
        "list.modified-filter-zone",
        "`last_modified_time` filters read the wall time in the organization's time zone and ignore the offset sent",
    ),
    OtherAnswer(
        "filter-all-refused",
        "list.filter-all",
        "lists refuse their all-records `filter_by` value with code 2",
    ),
    OtherAnswer(
        "oas-detail-keys",
        "detail.key",
        "details answer under the key Zoho's OAS names (Inventory purchase orders under `purchase_order`)",
    ),
    OtherAnswer(
        "rows-without-modified-time",
        "row.modified-time",
        "every tenth list row comes without `last_modified_time`",
    ),
    OtherAnswer(
        "out-of-range-dates",
        "value.datetime-range",
        "some rows carry dates and datetimes in year 1 and year 9999 at the edge of the range",
    ),
    OtherAnswer(
        "extra-fields",
        "record.declared-fields",
        "list rows and details carry keys no schema declares",
    ),
    OtherAnswer(
        "aggregates-elsewhere",
        "list.aggregate-keys",
        "the invoice list's `response_option` figures come under other names (`count`, `sum_of_total`, `sum_of_balance`)",
    ),
    OtherAnswer(
        "aggregates-everywhere",
        "list.aggregate-other-lists",
        "every paginated Books/Inventory list honours `response_option` for the count (`page_context.total`; formats 2 and 3 without rows), not only the invoice list",
    ),
    OtherAnswer(
        "locations-only",
        "inventory.warehouses",
        "Inventory organizations use locations: `/settings/warehouses` is refused and stock is per location",
    ),
    OtherAnswer(
        "webhook-form-deliveries",
        "webhook.delivery-shape",
        "workflow webhooks are sent form-encoded (`application/x-www-form-urlencoded;charset=UTF-8`), signed over the sorted decoded pairs",
    ),
)
