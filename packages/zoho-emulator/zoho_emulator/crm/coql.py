# ruff: noqa: EM101, TRY003 - CrmError takes Zoho's code and message as data, not prose
"""`POST /crm/v8/coql`: the part of COQL a keyset reader needs, parsed strictly.

Supported: `select f1, f2 from Module [where <cond>] [order by f [asc|desc], ...]
[limit [offset,] count | limit count offset n]` where `<cond>` combines
`field (=|!=|>|>=|<|<=) value`, `field is [not] null`, `field [not] in (...)` with
`and`/`or` and parentheses. Values are quoted strings, numbers, true/false, null.
Refused as Zoho refuses them: a column selected twice (`DUPLICATE_DATA`), more than 25
conditions (`LIMIT_EXCEEDED`), and three or more conditions on one level without
brackets (`SYNTAX_ERROR`: write `(a and b) and c`).

A lower bound on `Modified_Time` (or on `id` when ordering by id) is pulled out of the
condition so that a read at any depth of a million-record module starts by binary search.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from zoho_emulator.crm import errors
from zoho_emulator.crm.catalog import ModuleFault, find_module, parse_record_id
from zoho_emulator.crm.store import Converted
from zoho_emulator.crm.timefmt import parse_datetime
from zoho_emulator.responses import json_response

if TYPE_CHECKING:
    from zoho_emulator.crm.catalog import FieldSpec, ModuleSpec
    from zoho_emulator.crm.service import Crm

MAX_FIELDS = 50
MAX_LIMIT = 2_000
MAX_OFFSET_REACH = 100_000
DEFAULT_LIMIT = 200
MAX_IN_VALUES = 50
MAX_CRITERIA = 25
"""Conditions in one WHERE clause (Zoho's COQL limits)."""
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)|"
    r"(?P<op>>=|<=|!=|<>|=|>|<|\(|\)|,|\*)|(?P<word>[A-Za-z_$][A-Za-z0-9_.$]*))"
)
_COMPARATORS = {"=", "!=", "<>", ">", ">=", "<", "<="}
_TIME_FIELDS = {"Modified_Time", "Created_Time"}


def syntax_error(clause: str, near: str) -> errors.CrmError:
    """COQL's SYNTAX_ERROR with the clause and token it tripped on."""
    return errors.CrmError(
        "SYNTAX_ERROR", "error occurred while parsing the query", 400,
        {"clause": clause, "near": near},
    )  # fmt: skip


def invalid_query(reason: str, **details: Any) -> errors.CrmError:  # noqa: ANN401
    """COQL's INVALID_QUERY (bad column, value or module)."""
    return errors.CrmError(
        "INVALID_QUERY", "invalid query formed", 400, {"reason": reason, **details}
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """`field op value` (op also `is null`, `is not null`, `in`, `not in`)."""

    field: FieldSpec | None
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Junction:
    """`left and|or right`."""

    op: str
    left: Condition
    right: Condition


Condition = Comparison | Junction


@dataclass(slots=True)
class Query:
    """A parsed select query."""

    module: ModuleSpec
    fields: list[FieldSpec]
    where: Condition | None
    order: list[tuple[str, bool]]
    offset: int
    limit: int


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip().rstrip(";")
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise syntax_error("select", text[position : position + 10].strip())
            kind = match.lastgroup or "word"
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
            while position < len(text) and text[position].isspace():
                position += 1
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, clause: str) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise syntax_error(clause, "end of query")
        self.position += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.position += 1
            return True
        return False

    def expect(self, word: str, clause: str) -> None:
        if not self.keyword(word):
            token = self.peek()
            raise syntax_error(clause, token[1] if token else "end of query")


def parse(text: str) -> Query:  # noqa: C901, PLR0912, PLR0915 - one grammar
    """Parse and check a select query against the module's fields."""
    parser = _Parser(text)
    parser.expect("select", "select")
    names: list[str] = []
    while True:
        kind, value = parser.take("select")
        if kind != "word" or value.lower() in {"from", "where"}:
            raise syntax_error("select", value)
        names.append(value)
        if not (parser.peek() == ("op", ",") and parser.take("select")):
            break
    parser.expect("from", "from")
    kind, module_name = parser.take("from")
    if kind != "word":
        raise syntax_error("from", module_name)
    module = find_module(module_name)
    if module is None or not module.api_supported or not module.has_records:
        raise invalid_query("invalid module", module_name=module_name)
    if module.fault is ModuleFault.SCOPE:
        raise errors.scope_mismatch()
    if len(names) > MAX_FIELDS:
        raise errors.CrmError(
            "LIMIT_EXCEEDED", "select column limit exceeded", 400, {"limit": MAX_FIELDS}
        )
    duplicates = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if duplicates:
        raise errors.CrmError(
            "DUPLICATE_DATA", "duplicate column in select", 400,
            {"clause": "select", "column_name": duplicates[0]},
        )  # fmt: skip
    fields = [_column(module, name) for name in names if name != "id"]
    where = None
    if parser.keyword("where"):
        counted = [0]
        where = _condition(parser, module, counted)
        if counted[0] > MAX_CRITERIA:
            raise errors.CrmError(
                "LIMIT_EXCEEDED", "criteria limit exceeded", 400,
                {"limit": MAX_CRITERIA, "clause": "where"},
            )  # fmt: skip
    order: list[tuple[str, bool]] = []
    if parser.keyword("order"):
        parser.expect("by", "order by")
        while True:
            kind, name = parser.take("order by")
            if kind != "word":
                raise syntax_error("order by", name)
            if name != "id":
                _column(module, name)
            descending = parser.keyword("desc")
            if not descending:
                parser.keyword("asc")
            order.append((name, descending))
            if not (parser.peek() == ("op", ",") and parser.take("order by")):
                break
    offset, limit = 0, DEFAULT_LIMIT
    if parser.keyword("limit"):
        first = _integer(parser, "limit")
        if parser.peek() == ("op", ","):
            parser.take("limit")
            offset, limit = first, _integer(parser, "limit")
        else:
            limit = first
            if parser.keyword("offset"):
                offset = _integer(parser, "offset")
    if parser.peek() is not None:
        raise syntax_error("query", parser.take("query")[1])
    if limit < 1 or limit > MAX_LIMIT:
        raise errors.CrmError(
            "LIMIT_EXCEEDED", "limit exceeded", 400, {"limit": MAX_LIMIT, "clause": "limit"}
        )
    if offset + limit > MAX_OFFSET_REACH:
        raise errors.CrmError(
            "LIMIT_EXCEEDED", "offset limit exceeded", 400,
            {"limit": MAX_OFFSET_REACH, "clause": "offset"},
        )  # fmt: skip
    return Query(module, fields, where, order, offset, limit)


def _column(module: ModuleSpec, name: str) -> FieldSpec:
    spec = module.by_name.get(name)
    if spec is None or spec.list_hidden:
        raise invalid_query("invalid column", column_name=name)
    return spec


def _integer(parser: _Parser, clause: str) -> int:
    kind, value = parser.take(clause)
    if kind != "number" or not value.isdigit():
        raise syntax_error(clause, value)
    return int(value)


def _junction_word(parser: _Parser) -> str | None:
    token = parser.peek()
    if token is not None and token[0] == "word" and token[1].lower() in {"and", "or"}:
        return token[1].lower()
    return None


def _condition(parser: _Parser, module: ModuleSpec, counted: list[int]) -> Condition:
    """At most two operands per level: Zoho refuses `a and b and c` without brackets.

    Each further condition must be grouped, `(a and b) and c`, as Zoho's COQL page says.
    """
    left = _atom(parser, module, counted)
    op = _junction_word(parser)
    if op is None:
        return left
    parser.take("where")
    right = _atom(parser, module, counted)
    following = _junction_word(parser)
    if following is not None:
        raise syntax_error("where", following)
    return Junction(op, left, right)


def _atom(  # noqa: C901 - one grammar rule
    parser: _Parser, module: ModuleSpec, counted: list[int]
) -> Condition:
    if parser.peek() == ("op", "("):
        parser.take("where")
        inner = _condition(parser, module, counted)
        if parser.take("where") != ("op", ")"):
            raise syntax_error("where", "(")
        return inner
    counted[0] += 1
    kind, name = parser.take("where")
    if kind != "word":
        raise syntax_error("where", name)
    spec = None if name == "id" else _column(module, name)
    if parser.keyword("is"):
        negated = parser.keyword("not")
        parser.expect("null", "where")
        return Comparison(spec, "is not null" if negated else "is null", None)
    negated = parser.keyword("not")
    if parser.keyword("in"):
        if parser.take("where") != ("op", "("):
            raise syntax_error("where", "in")
        values = []
        while True:
            values.append(_value(parser, spec, name))
            token = parser.take("where")
            if token == ("op", ")"):
                break
            if token != ("op", ","):
                raise syntax_error("where", token[1])
        if len(values) > MAX_IN_VALUES:
            raise errors.CrmError("LIMIT_EXCEEDED", "in values limit exceeded", 400, {"limit": 50})
        return Comparison(spec, "not in" if negated else "in", tuple(values))
    if negated:
        raise syntax_error("where", "not")
    kind, op = parser.take("where")
    if kind != "op" or op not in _COMPARATORS:
        raise syntax_error("where", op)
    return Comparison(spec, "!=" if op == "<>" else op, _value(parser, spec, name))


def _value(parser: _Parser, spec: FieldSpec | None, name: str) -> Any:  # noqa: ANN401
    kind, raw = parser.take("where")
    if kind == "string":
        text = raw[1:-1].replace("''", "'")
    elif kind == "number":
        text = raw
    elif kind == "word" and raw.lower() in {"true", "false", "null"}:
        return {"true": True, "false": False, "null": None}[raw.lower()]
    else:
        raise syntax_error("where", raw)
    if spec is None:  # id
        if not text.isdigit():
            raise invalid_query("invalid value", column_name=name)
        return int(text)
    if spec.data_type == "datetime":
        moment = parse_datetime(text)
        if moment is None:
            raise invalid_query("invalid datetime value", column_name=name)
        return moment
    if spec.json_type in {"integer", "double"}:
        try:
            return float(text)
        except ValueError:
            raise invalid_query("invalid value", column_name=name) from None
    return text


def _bound(condition: Condition | None, column: str) -> int | None:
    """A lower bound implied by the condition on a numeric column (datetime or id)."""
    if condition is None:
        return None
    if isinstance(condition, Junction):
        left, right = _bound(condition.left, column), _bound(condition.right, column)
        if condition.op == "and":
            candidates = [bound for bound in (left, right) if bound is not None]
            return max(candidates) if candidates else None
        return None if left is None or right is None else min(left, right)
    name = "id" if condition.field is None else condition.field.api_name
    if name != column or not isinstance(condition.value, int):
        return None
    return {">": condition.value + 1, ">=": condition.value, "=": condition.value}.get(condition.op)


def _matches(  # noqa: C901, PLR0911 - one case per operator
    condition: Condition | None, values: dict[str, Any]
) -> bool:
    if condition is None:
        return True
    if isinstance(condition, Junction):
        if condition.op == "and":
            return _matches(condition.left, values) and _matches(condition.right, values)
        return _matches(condition.left, values) or _matches(condition.right, values)
    name = "id" if condition.field is None else condition.field.api_name
    actual = values.get(name)
    if condition.op == "is null":
        return actual is None
    if condition.op == "is not null":
        return actual is not None
    if actual is None:
        return False
    if isinstance(actual, dict):
        actual = actual.get("id")
    if condition.op in {"in", "not in"}:
        found = any(_equal(actual, value) for value in condition.value)
        return found is (condition.op == "in")
    if condition.op == "=":
        return _equal(actual, condition.value)
    if condition.op == "!=":
        return not _equal(actual, condition.value)
    try:
        return bool(
            {
                ">": actual > condition.value,
                ">=": actual >= condition.value,
                "<": actual < condition.value,
                "<=": actual <= condition.value,
            }[condition.op]
        )
    except TypeError:
        return False


def _equal(actual: Any, expected: Any) -> bool:  # noqa: ANN401
    if isinstance(actual, list):
        return expected in actual
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return float(actual) == float(expected)
    return str(actual) == str(expected)


def credit_cost(body: Any) -> int:  # noqa: ANN401
    """Credits by LIMIT: up to 200 records 1, up to 1,000 2, up to 2,000 3."""
    query = body.get("select_query") if isinstance(body, dict) else None
    limit = DEFAULT_LIMIT
    if isinstance(query, str):
        match = re.search(r"\blimit\s+(\d+)(?:\s*,\s*(\d+))?", query, re.IGNORECASE)
        if match:
            limit = int(match.group(2) or match.group(1))
    if limit <= 200:  # noqa: PLR2004 - Zoho's credit bands
        return 1
    return 2 if limit <= 1_000 else 3  # noqa: PLR2004


def run(crm: Crm, body: Any) -> Response:  # noqa: ANN401
    """Execute a COQL request body."""
    if not isinstance(body, dict) or "select_query" not in body:
        raise errors.required_param("select_query")
    text = body["select_query"]
    if not isinstance(text, str) or not text.strip():
        raise errors.invalid_param("select_query")
    query = parse(text)
    module = query.module.api_name
    if crm.module(module) is None:  # an optional module this emulator does not serve
        raise invalid_query("invalid module", module_name=module)
    order = query.order or [("id", False)]
    primary, descending = order[0]
    sort_by = primary if primary in {"id", "Created_Time", "Modified_Time"} else None
    store = crm.store
    with store.lock:
        since = _modified_bound(query)
        after = None
        id_bound = _bound(query.where, "id")
        if sort_by in {"id", "Created_Time"} and not descending and id_bound is not None:
            index = parse_record_id(query.module, str(id_bound))
            if index is not None and index > 0:
                after = (index - 1, index - 1)
        if sort_by is None or (len(order) > 1 and not _consistent(order, sort_by)):
            keys = store.ordered(module, descending=False, since=since, converted=Converted.BOTH)
            rows = _filtered(crm, query, keys)
            rows = _sort_rows(rows, order, query.offset + query.limit + 1)
        else:
            keys = store.ordered(
                module, sort_by=sort_by, descending=descending, since=since,
                converted=Converted.BOTH, after=after,
            )  # fmt: skip
            rows = _filtered(crm, query, keys)
        window = list(itertools.islice(rows, query.offset, query.offset + query.limit + 1))
    more = len(window) > query.limit
    data = [_select(query, row) for row in window[: query.limit]]
    if not data:
        return Response(status_code=204)
    return json_response({"data": data, "info": {"count": len(data), "more_records": more}})


def _consistent(order: list[tuple[str, bool]], sort_by: str) -> bool:
    # `order by Modified_Time, id` is the store's own tie-break (index == id order).
    return all(name in {sort_by, "id"} and desc == order[0][1] for name, desc in order)


def _modified_bound(query: Query) -> int | None:
    return _bound(query.where, "Modified_Time")


def _filtered(crm: Crm, query: Query, keys: Any) -> Any:  # noqa: ANN401
    store = crm.store
    module = query.module.api_name
    wanted = {spec.api_name: spec for spec in query.fields}
    _collect(query.where, wanted)
    specs = list(wanted.values())
    for _, index in keys:
        values = store.record(module, index, specs)
        comparable = dict(values)
        comparable["id"] = int(values["id"])
        for name in _TIME_FIELDS & comparable.keys():
            comparable[name] = (
                store.modified_time(module, index)
                if name == "Modified_Time"
                else store.created_time(module, index)
            )
        if _matches(query.where, comparable):
            yield values


def _collect(condition: Condition | None, wanted: dict[str, FieldSpec]) -> None:
    if isinstance(condition, Junction):
        _collect(condition.left, wanted)
        _collect(condition.right, wanted)
    elif isinstance(condition, Comparison) and condition.field is not None:
        wanted.setdefault(condition.field.api_name, condition.field)


def _sort_rows(rows: Any, order: list[tuple[str, bool]], keep: int) -> Any:  # noqa: ANN401
    """The first `keep` rows in the requested order, holding only `keep` rows at a time."""
    compare = functools.partial(_compare, order)
    return iter(heapq.nsmallest(keep, rows, key=functools.cmp_to_key(compare)))


def _compare(order: list[tuple[str, bool]], left: dict[str, Any], right: dict[str, Any]) -> int:
    for name, descending in order:
        first, second = _sortable(left.get(name)), _sortable(right.get(name))
        if first != second:
            sign = -1 if first < second else 1
            return -sign if descending else sign
    return (int(left["id"]) > int(right["id"])) - (int(left["id"]) < int(right["id"]))


def _sortable(value: Any) -> tuple[int, Any]:  # noqa: ANN401
    if value is None:
        return (0, "")
    if isinstance(value, dict):
        return (1, str(value.get("name", "")))
    if isinstance(value, int | float):
        return (1, float(value))
    return (1, str(value))


def _select(query: Query, row: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for spec in query.fields:
        value = row.get(spec.api_name)
        if spec.data_type in {"lookup", "ownerlookup"} and isinstance(value, dict):
            value = {"id": value["id"]}
        body[spec.api_name] = value
    body["id"] = row["id"]
    return body
