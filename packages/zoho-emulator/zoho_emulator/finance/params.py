"""Parsing list parameters the way Books/Inventory do, and refusing what they refuse."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from typing_extensions import override

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams

    from zoho_emulator.finance.catalog import Endpoint, Predicate

JAVA_INT_MAX = 2**31 - 1
"""Zoho parses paging numbers as Java ints; larger values are invalid, not clamped."""
MAX_PER_PAGE = 200
"""Zoho's maximum page size; larger requests are clamped (reference 2.2)."""

RESPONSE_OPTIONS = frozenset({"0", "1", "2", "3", "4"})
"""The five answer formats Zoho's OAS documents for `response_option`; others are refused
(a list that does not document it ignores it, as Zoho ignores unknown parameters)."""

MODIFIED_PATTERN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?"
    r"(Z|[+-]\d{2}:?\d{2})$",
    re.ASCII,
)


class InvalidParameterError(ValueError):
    """A parameter Zoho would refuse: answered with code 2 and the parameter's name."""

    @override
    def __init__(self, name: str) -> None:
        """Remember which parameter."""
        super().__init__(f"Invalid value passed for {name}")
        self.name = name


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A validated list request."""

    page: int
    per_page: int
    applied_filter: str
    predicate: Predicate
    modified_since: int | None
    same_date_as: int | None
    """Journals: the epoch whose organization-local date the records' date must equal."""
    sort_column: str | None
    descending: bool
    response_option: int = 0
    """What the answer holds (`Endpoint.aggregates` lists only): 0 the rows; 1 the rows,
    their count and the sums of `total` and `balance`; 2 the count; 3 the count and the
    sums; 4 the rows and the sums (Zoho's OAS, `GET /invoices`)."""


def parse_modified_time(value: str) -> int:
    """Epoch seconds of a `last_modified_time` filter value.

    Accepts `+0530`, `+05:30`, `-0800` and `Z`. A `+` that was not percent-encoded
    arrives as a space (`2024-01-05T10:00:00 0530`): Zoho cannot parse that, and neither
    do we, so a client that forgets to encode gets an error instead of a silent shift.
    """
    match = MODIFIED_PATTERN.match(value)
    if match is None:
        raise InvalidParameterError("last_modified_time")  # noqa: EM101 - the parameter name is the message
    year, month, day, hour, minute, second, zone = match.groups()
    if zone == "Z":
        offset = timedelta(0)
    else:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if zone[0] == "-":
            offset = -offset
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(offset),
        )
    except ValueError:
        raise InvalidParameterError("last_modified_time") from None  # noqa: EM101 - the parameter name is the message
    return int(moment.timestamp())


def _positive_int(params: QueryParams, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= JAVA_INT_MAX:
        raise InvalidParameterError(name)
    return int(raw)


def _response_option(params: QueryParams, endpoint: Endpoint) -> int:
    """The answer format asked for; 0 (the rows) where the list does not document one."""
    raw = params.get("response_option")
    if raw is None or not endpoint.aggregates:
        return 0
    if raw not in RESPONSE_OPTIONS:
        raise InvalidParameterError("response_option")  # noqa: EM101 - the parameter name is the message
    return int(raw)


def parse_list_query(params: QueryParams, endpoint: Endpoint) -> ListQuery:
    """Validate a list call's parameters against what the endpoint documents.

    Raises:
        InvalidParameterError: for a value Zoho refuses.
    """
    page = _positive_int(params, "page", 1)
    per_page = min(_positive_int(params, "per_page", MAX_PER_PAGE), MAX_PER_PAGE)
    sort_column = params.get("sort_column")
    if sort_column is not None and sort_column not in endpoint.sort_columns:
        raise InvalidParameterError("sort_column")  # noqa: EM101 - the parameter name is the message
    sort_order = params.get("sort_order")
    if sort_order is not None and (not endpoint.sort_columns or sort_order not in {"A", "D"}):
        raise InvalidParameterError("sort_order")  # noqa: EM101 - the parameter name is the message
    filter_by = params.get("filter_by")
    if filter_by is not None and filter_by not in endpoint.filters:
        raise InvalidParameterError("filter_by")  # noqa: EM101 - the parameter name is the message
    applied = (
        filter_by
        or endpoint.default_filter
        or (next(iter(endpoint.filters)) if endpoint.filters else "")
    )
    predicate: dict[str, frozenset[Any]] = dict(endpoint.filters.get(applied, {}))
    for name, field_name in endpoint.extra_filters.items():
        value = params.get(name)
        if value is None:
            continue
        allowed_values = endpoint.extra_values.get(name)
        if not value or (allowed_values is not None and value not in allowed_values):
            raise InvalidParameterError(name)
        allowed = frozenset({value})
        predicate[field_name] = predicate.get(field_name, allowed) & allowed
    modified_since = same_date_as = None
    raw_modified = params.get("last_modified_time")
    if raw_modified is not None and endpoint.modified_filter:
        if endpoint.modified_means_same_date:
            same_date_as = parse_modified_time(raw_modified)
        else:
            modified_since = parse_modified_time(raw_modified)
    default_order = sort_column is None or sort_column == "created_time"
    descending = sort_order != "A"
    return ListQuery(
        page=page,
        per_page=per_page,
        applied_filter=applied,
        predicate=predicate,
        modified_since=modified_since,
        same_date_as=same_date_as,
        sort_column=None if default_order else sort_column,
        descending=descending,
        response_option=_response_option(params, endpoint),
    )
