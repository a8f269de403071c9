# ruff: noqa: EM101, TRY003 - CrmError takes Zoho's code and message as data, not prose
"""`GET /crm/v8/{module}/search`: criteria, email, phone or word, as the v8 OAS documents.

Why it is served: Zoho's official SDK and integrations search; a path that is not
served would fall through to get-by-id (`/{module}/{id}` with id `search`) and answer
something no Zoho gives.

- `criteria`: `(Field:operator:value)` groups joined by `and`/`or`, each pair of
  operands bracketed (`((a)and(b))or(c)`); at most 15 criteria
  (`CRITERIA_LIMIT_EXCEEDED`, the OAS's message); operators `equals, not_equal,
  starts_with, in, greater_than, greater_equal, less_than, less_equal, between`; an
  unknown field or operator is `INVALID_QUERY` with the OAS's details.
- `email` / `phone`: any email / phone field equals the value; `word`: any text field
  contains it (case-insensitive), as Zoho's global-word search does.
- None of them: `EXPECTED_PARAM_MISSING` with `param_names`.
- Pagination by `page`/`per_page` (≤ 200) up to 2,000 results (`LIMIT_REACHED`, limit
  "2000"); no match → 204. Search answers the full list row (every list field).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from zoho_emulator.crm import errors, system_keys
from zoho_emulator.crm.reads import MAX_PER_PAGE, converted_param, int_param, readable_module
from zoho_emulator.crm.timefmt import parse_datetime
from zoho_emulator.responses import json_response

if TYPE_CHECKING:
    from collections.abc import Mapping

    from zoho_emulator.crm.catalog import FieldSpec, ModuleSpec
    from zoho_emulator.crm.service import Crm

MAX_CRITERIA = 15
MAX_RESULTS = 2_000
SEARCH_PARAMS = ("criteria", "email", "phone", "word")
OPERATORS = frozenset({
    "equals", "not_equal", "starts_with", "in", "greater_than", "greater_equal", "less_than",
    "less_equal", "between",
})  # fmt: skip
TEXT_TYPES = frozenset({"text", "textarea", "email", "phone", "website", "picklist", "autonumber"})
_LEAF = re.compile(r"\(\s*([A-Za-z_$][\w$.]*)\s*:\s*([A-Za-z_]+)\s*:([^()]*)\)")
_WORD = re.compile(r"\(|\)|and\b|or\b", re.IGNORECASE)

Predicate = Callable[[dict[str, Any]], bool]


def _invalid_query(reason: str, api_name: str, **details: Any) -> errors.CrmError:  # noqa: ANN401
    return errors.CrmError(
        "INVALID_QUERY", "Invalid query formed", 400,
        {"reason": reason, "api_name": api_name, **details},
    )  # fmt: skip


def _plain(value: Any) -> str:  # noqa: ANN401 - any JSON value
    """The text a criterion compares with: lookups by id, objects by name or value."""
    if isinstance(value, dict):
        return str(value.get("id") or value.get("name") or value.get("value") or "")
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(actual: Any, operator: str, raw: str) -> bool:  # noqa: ANN401
    values = actual if isinstance(actual, list) else [actual]
    texts = [_plain(value) for value in values if value is not None]
    if operator in {"equals", "in"}:
        wanted = (
            {part.strip().lower() for part in raw.split(",")}
            if operator == "in"
            else {raw.strip().lower()}
        )
        return any(text.lower() in wanted for text in texts)
    if operator == "not_equal":
        return all(text.lower() != raw.strip().lower() for text in texts)
    if operator == "starts_with":
        return any(text.lower().startswith(raw.strip().lower()) for text in texts)
    if not texts:
        return False
    if operator == "between":
        low, _, high = raw.partition(",")
        return _ordered(texts[0], low.strip(), ">=") and _ordered(texts[0], high.strip(), "<=")
    symbol = {"greater_than": ">", "greater_equal": ">=", "less_than": "<", "less_equal": "<="}
    return _ordered(texts[0], raw.strip(), symbol[operator])


def _ordered(actual: str, bound: str, symbol: str) -> bool:
    """Numbers as numbers, datetimes as instants (any offset, as Zoho compares them), else text.

    Record times are rendered in the user's zone (`+05:30`); a client may send its bound
    in UTC (`/actions/count` with `Created_Time:less_equal:...Z`): compared as text, the
    two orders disagree.
    """
    left: Any = actual
    right: Any = bound
    if (number := _number(actual)) is not None and (limit := _number(bound)) is not None:
        left, right = number, limit
    elif (moment := parse_datetime(actual)) is not None and (
        edge := parse_datetime(bound)
    ) is not None:
        left, right = moment, edge
    return bool({
        ">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right,
    }[symbol])  # fmt: skip


def _criteria(spec: ModuleSpec, text: str) -> tuple[Predicate, list[FieldSpec]]:
    """The predicate of a `criteria` parameter and the fields it reads."""
    tokens: list[Predicate | str] = []
    fields: list[FieldSpec] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        leaf = _LEAF.match(text, position)
        if leaf is not None:
            tokens.append(_leaf(spec, leaf, fields))
            position = leaf.end()
            continue
        word = _WORD.match(text, position)
        if word is None:
            raise _invalid_query("invalid criteria", "criteria")
        tokens.append(word.group(0).lower())
        position = word.end()
    if sum(1 for token in tokens if callable(token)) > MAX_CRITERIA:
        raise errors.CrmError(
            "CRITERIA_LIMIT_EXCEEDED", "no of criterium that can be given exceed the limit 15",
            400, {},
        )  # fmt: skip
    parsed, rest = _expression(tokens)
    if rest:
        raise _invalid_query("invalid criteria", "criteria")
    return parsed, fields


def _leaf(spec: ModuleSpec, match: re.Match[str], fields: list[FieldSpec]) -> Predicate:
    name, operator, raw = match.group(1), match.group(2).lower(), match.group(3)
    field = spec.by_name.get(name)
    if field is None and name != "id":
        raise _invalid_query("the given field is not available", name)
    if operator not in OPERATORS:
        raise _invalid_query("invalid operator found", name, operator=operator)
    if field is not None:
        fields.append(field)
    return lambda row: _compare(row.get(name), operator, raw)


def _expression(tokens: list[Predicate | str]) -> tuple[Predicate, list[Predicate | str]]:
    """`term ((and|or) term)*`, left to right, as written."""
    left, rest = _term(tokens)
    while rest and rest[0] in {"and", "or"}:
        op = rest[0]
        right, rest = _term(rest[1:])
        left = _join(op, left, right)
    return left, rest


def _join(op: object, left: Predicate, right: Predicate) -> Predicate:
    if op == "and":
        return lambda row: left(row) and right(row)
    return lambda row: left(row) or right(row)


def _term(tokens: list[Predicate | str]) -> tuple[Predicate, list[Predicate | str]]:
    if not tokens:
        raise _invalid_query("invalid criteria", "criteria")
    first = tokens[0]
    if callable(first):
        return first, tokens[1:]
    if first == "(":
        inner, rest = _expression(tokens[1:])
        if not rest or rest[0] != ")":
            raise _invalid_query("invalid criteria", "criteria")
        return inner, rest[1:]
    raise _invalid_query("invalid criteria", "criteria")


def _any_of(
    spec: ModuleSpec, types: frozenset[str], value: str, *, contains: bool
) -> tuple[Predicate, list[FieldSpec]]:
    fields = [field for field in spec.fields if field.data_type in types and not field.list_hidden]
    wanted = value.strip().lower()

    def predicate(row: dict[str, Any]) -> bool:
        for field in fields:
            text = _plain(row.get(field.api_name)).lower()
            if (wanted in text) if contains else (text == wanted):
                return True
        return False

    return predicate, fields


def matcher(spec: ModuleSpec, query: Mapping[str, str]) -> tuple[Predicate, list[FieldSpec]]:
    """The predicate a search (or a count) asks for, and the fields it must read.

    Raises:
        CrmError: EXPECTED_PARAM_MISSING without any search parameter, or the criteria's
            own errors.
    """
    if "criteria" in query:
        return _criteria(spec, query["criteria"])
    if "email" in query:
        return _any_of(spec, frozenset({"email"}), query["email"], contains=False)
    if "phone" in query:
        return _any_of(spec, frozenset({"phone"}), query["phone"], contains=False)
    if "word" in query:
        return _any_of(spec, TEXT_TYPES, query["word"], contains=True)
    raise errors.CrmError(
        "EXPECTED_PARAM_MISSING", "One of the expected parameter is missing", 400,
        {"param_names": list(SEARCH_PARAMS)},
    )  # fmt: skip


def matching_indexes(crm: Crm, spec: ModuleSpec, query: Mapping[str, str]) -> list[int]:
    """Indexes of live records (ascending id) that match the search parameters."""
    predicate, fields = matcher(spec, query)
    converted = converted_param(query)
    with crm.store.lock:
        keys = list(crm.store.ordered(spec.api_name, descending=False, converted=converted))
    found: list[int] = []
    for start in range(0, len(keys), 500):
        chunk = [index for _, index in keys[start : start + 500]]
        with crm.store.lock:
            rows = crm.store.records(spec.api_name, chunk, fields)
        found.extend(index for index, row in zip(chunk, rows, strict=True) if predicate(row))
    return found


def search_records(crm: Crm, module: str, query: Mapping[str, str]) -> Response:
    """`GET /crm/v8/{module}/search`."""
    spec = readable_module(module, crm)
    per_page = int_param(query, "per_page", MAX_PER_PAGE)
    if per_page > MAX_PER_PAGE:
        raise errors.invalid_param("per_page", maximum_length=MAX_PER_PAGE)
    page = int_param(query, "page", 1)
    if page * per_page > MAX_RESULTS:
        raise errors.CrmError(
            "LIMIT_REACHED", "maximum response iteration limit reached", 400,
            {"limit": str(MAX_RESULTS)},
        )  # fmt: skip
    found = matching_indexes(crm, spec, query)[:MAX_RESULTS]
    window = found[(page - 1) * per_page : page * per_page]
    if not window:
        return Response(status_code=204)
    fields = [field for field in spec.fields if not field.list_hidden]
    with crm.store.lock:
        data = crm.store.records(spec.api_name, window, fields)
    data = [system_keys.add_to_record(crm, row) for row in data]
    info = {
        "per_page": per_page, "count": len(data), "page": page,
        "more_records": len(found) > page * per_page,
    }  # fmt: skip
    return json_response({"data": data, "info": info})


__all__ = ["matching_indexes", "search_records"]
