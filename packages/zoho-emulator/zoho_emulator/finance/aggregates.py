"""`response_option` on the Books invoice list: the count and the money sums of a listing.

Zoho's OAS (`GET /invoices`) documents five answer formats: 0 the invoices; 1 the
invoices, their number and the sums of their `total` and `balance`; 2 only the number;
3 the number and the sums; 4 the invoices and the sums. The figures cover every record
the filters select (all pages), not the page served. The OAS names `response_option` in
`page_context` but not the keys of the figures: the emulator answers them as
`page_context.total` (the number, with `total_pages`) and `page_context.sum_total` /
`sum_balance` (UNCONFIRMED names; a client that does not find them must say so, not guess).

The other Books lists do not document `response_option`, and Zoho ignores parameters a
list does not take: by default they answer rows and no count. Under the switch
`aggregates-everywhere` (register entry `list.aggregate-other-lists`) every paginated
list honours it for the count (formats 1, 2 and 3 carry `total`; 2 and 3 no rows), so
that both answers `tap-zoho doctor` may find in a real organization can be tested; no
sums there (which fields would be summed is nowhere documented).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from zoho_emulator.finance.params import RESPONSE_OPTIONS, InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from zoho_emulator.finance.generators.common import Record

WITH_ROWS = frozenset({0, 1, 4})
WITH_COUNT = frozenset({1, 2, 3})
WITH_SUMS = frozenset({1, 3, 4})
SUMMED = (("total", "sum_total"), ("balance", "sum_balance"))
"""Record field -> `page_context` key of its sum."""
ELSEWHERE = {"total": "count", "sum_total": "sum_of_total", "sum_balance": "sum_of_balance"}
"""The names the figures take under the `aggregates-elsewhere` switch (the other plausible
answer: the register entry `list.aggregate-keys`)."""


EVERYWHERE = "aggregates-everywhere"
"""The switch under which the lists that do not document `response_option` honour it."""


def option_elsewhere(raw: str | None) -> int:
    """`response_option` on a list that does not document it, under `aggregates-everywhere`.

    Raises:
        InvalidParameterError: a value outside the documented formats, as on invoices.
    """
    if raw is None:
        return 0
    if raw not in RESPONSE_OPTIONS:
        raise InvalidParameterError("response_option")  # noqa: EM101 - the parameter name is the message
    return int(raw)


def renamed(context: dict[str, Any]) -> dict[str, Any]:
    """The figures under the other names (`aggregates-elsewhere`)."""
    return {ELSEWHERE.get(key, key): value for key, value in context.items()}


def with_rows(option: int) -> bool:
    """Whether the answer lists the records (formats 0, 1 and 4)."""
    return option in WITH_ROWS


def needs_records(option: int) -> bool:
    """Whether the figures need every selected record read (the sums do; a count does not)."""
    return option in WITH_SUMS


def figures(
    option: int, count: int, per_page: int, records: Iterable[Record], *, sums: bool = True
) -> dict[str, Any]:
    """The `page_context` keys of format `option` over the selected `records`.

    `sums=False` (the lists that do not document `response_option`): the count only.

    Sums are added as decimals and sent as JSON numbers rounded to the cent, so 0.1 + 0.2
    is 0.3 here as it is in Zoho's ledger, not 0.30000000000000004.
    """
    context: dict[str, Any] = {"response_option": option}
    if option in WITH_COUNT:
        context["total"] = count
        context["total_pages"] = math.ceil(count / per_page) if count else 0
    if option in WITH_SUMS and sums:
        totals = dict.fromkeys((key for _, key in SUMMED), Decimal(0))
        for record in records:
            for field_name, key in SUMMED:
                value = record.get(field_name)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    totals[key] += Decimal(str(value))
        for key, value in totals.items():
            context[key] = float(value.quantize(Decimal("0.01")))
    return context
