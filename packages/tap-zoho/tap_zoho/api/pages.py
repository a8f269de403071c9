"""Checks on list and detail answers where Zoho's docs leave the shape open.

Each check reads the very answer that carries the behaviour the tap would rely on (see
docs/assumptions.md); the callers fall back to the safe path when a check fails. Pure
functions, so the webhook service and the tests can use them without a stream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tap_zoho.api.errors import ZohoUnexpectedAnswerError

if TYPE_CHECKING:
    from tap_zoho.api.errors import ZohoAPIError

FallbackHook = Callable[[str, str], None]
"""Called with (register id, what was observed) each time a fallback is used."""
INVALID_VALUE_CODE = 2
"""Zoho's "Invalid value passed for <parameter>"."""


def rows_of(
    body: Mapping[str, Any], list_key: str, *, path: str, stream: str | None, org: str
) -> list[dict[str, Any]]:
    """The rows of a list answer; an answer without them is an error, never "no rows".

    Raises:
        ZohoUnexpectedAnswerError: no `list_key`, or not a list of objects.
    """
    rows = body.get(list_key)
    if isinstance(rows, list) and all(isinstance(row, dict) for row in rows):
        return list(rows)
    if rows is None:
        problem = f"response has no {list_key!r} list (keys: {sorted(body)[:8]})"
    elif not isinstance(rows, list):
        problem = f"{list_key!r} is {type(rows).__name__}, not a list"
    else:
        problem = f"{list_key!r} holds something other than objects"
    raise ZohoUnexpectedAnswerError(
        path=path, stream=stream, organization_id=org, code=body.get("code"), message=problem
    )


def more_pages(body: Mapping[str, Any], rows: int, per_page: int) -> tuple[bool, bool]:
    """(another page follows, `page_context` said so) for one list answer.

    Without a usable `page_context.has_more_page` (Zoho's OAS omits it on several
    lists), a page that holds `per_page` rows may have a successor: asking costs one
    request, not asking may lose every later row (`list.page-context`).
    """
    context = body.get("page_context")
    if isinstance(context, Mapping) and isinstance(context.get("has_more_page"), bool):
        return bool(context["has_more_page"]), True
    return rows >= per_page, False


def echoes_sort(body: Mapping[str, Any], column: str, order: str) -> bool:
    """Whether the answer's `page_context` confirms the sort the request asked for."""
    context = body.get("page_context")
    return (
        isinstance(context, Mapping)
        and context.get("sort_column") == column
        and context.get("sort_order") == order
    )


def refuses_filter(error: ZohoAPIError, parameter: str = "filter_by") -> bool:
    """Whether an error is Zoho's code 2 refusing the value of `parameter`."""
    return str(error.code) == str(INVALID_VALUE_CODE) and parameter in error.zoho_message


def detail_record(
    body: Mapping[str, Any], key: str, alternates: tuple[str, ...]
) -> tuple[dict[str, Any] | None, str | None]:
    """(the record, the key it was found under) of a detail answer; (None, None) if absent."""
    for candidate in (key, *alternates):
        record = body.get(candidate)
        if isinstance(record, dict):
            return record, candidate
    return None, None
