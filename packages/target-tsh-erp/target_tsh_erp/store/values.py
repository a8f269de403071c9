"""Values as PostgreSQL can hold them: JSON text, keys as text, checked timestamps.

Every record lands raw, so whatever a tap sends must become storable here, once, where
the record is staged: the raw and ERP layers then see the same record and no batch stops
on a value text or jsonb cannot hold.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson

from target_tsh_erp.mapping.common import in_range
from target_tsh_erp.store.batch import Incoming, MissingKeyError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from target_tsh_erp.store.raw_tables import RawStream

__all__ = [
    "MAX_STORED_DEPTH",
    "checked_timestamp",
    "json_default",
    "json_text",
    "key_text",
    "key_values",
    "record_json",
    "storable",
]


_INT64 = range(-(2**63), 2**64)
"""Integers orjson writes itself; larger ones are written from their text."""


def json_default(value: object) -> object:
    """The fallback of orjson: decimals exactly, datetimes as ISO text.

    A `Decimal` a double holds exactly is written as that double (what the reader made
    of it before it kept exact decimals, so stored hashes stay the same); any other
    finite one is written from its own text (`1E+400`, `0.1000000000000000000001`): the
    raw layer keeps numbers as received.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            return float(value)  # NaN and infinities: orjson writes null, as before
        if value == value.to_integral_value():
            integral = int(value)
            return integral if integral in _INT64 else orjson.Fragment(str(integral))
        as_float = float(value)
        if math.isfinite(as_float) and Decimal(repr(as_float)) == value:
            return as_float
        return orjson.Fragment(str(value))
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _big_ints_as_text(value: Any) -> Any:  # noqa: ANN401 - any JSON value
    """The value with integers beyond 64 bits replaced by their JSON text (orjson's limit)."""
    if isinstance(value, dict):
        return {k: _big_ints_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_big_ints_as_text(v) for v in value]
    if type(value) is int and value not in _INT64:
        return orjson.Fragment(str(value))
    return value


def json_text(value: Any) -> str:  # noqa: ANN401 - any JSON value
    """JSON text of a parsed value, numbers exactly as parsed.

    orjson refuses integers beyond 64 bits (a 30-digit number is valid JSON and the
    reader keeps it exactly); only then is the value walked to write them as text.

    Raises:
        orjson.JSONEncodeError: nesting deeper than orjson's 254 levels.
    """
    try:
        return orjson.dumps(value, default=json_default).decode()
    except orjson.JSONEncodeError as error:
        if "64-bit" not in str(error):
            raise
        return orjson.dumps(_big_ints_as_text(value), default=json_default).decode()


_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
"""A JSON NUL escape (backslash, u0000) that is not an escaped backslash plus `u0000`."""


def record_json(record: Mapping[str, Any]) -> str:
    """The record as JSON text for a `jsonb` column.

    jsonb cannot hold the NUL character: it is dropped (as target-postgres's
    `sanitize_null_text_characters` does); everything else is kept as sent.
    """
    text = json_text(record)
    return _NUL_ESCAPE.sub(r"\1", text) if "\\u0000" in text else text


MAX_STORED_DEPTH = 128
"""Nesting kept as JSON in the raw layer; deeper values are stored as their JSON text.

orjson refuses more than 254 levels, so a deeper record is fitted (see `_fitted`),
stored, and rejected rather than stopping the batch.
"""


def _without_nul(value: Any) -> Any:  # noqa: ANN401 - any JSON value
    """The value with NUL removed from every string and key (text and jsonb refuse it)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _deep_json(value: Any) -> str:  # noqa: ANN401 - any JSON value
    """JSON text of a value of any depth, with an explicit stack.

    orjson stops at 254 levels and the standard library encoder at Python's recursion
    limit; a record the reader accepted (orjson reads up to 1024 levels) must not be lost.
    """
    parts: list[str] = []
    stack: list[tuple[bool, Any]] = [(False, value)]
    while stack:
        is_token, current = stack.pop()
        if is_token:
            parts.append(current)
        elif isinstance(current, (dict, list)):
            is_dict = isinstance(current, dict)
            entries = (list(current.items()) if isinstance(current, dict)
                       else list(enumerate(current)))
            stack.append((True, "}" if is_dict else "]"))
            for index in range(len(entries) - 1, -1, -1):
                name, child = entries[index]
                stack.append((False, child))
                comma = "," if index else ""
                label = json.dumps(str(name), ensure_ascii=False) + ":" if is_dict else ""
                stack.append((True, comma + label))
            stack.append((True, "{" if is_dict else "["))
        else:
            parts.append(json_text(current))
    return "".join(parts)


def _fitted(value: Any, depth: int = 0) -> Any:  # noqa: ANN401 - any JSON value
    """The value with containers at `MAX_STORED_DEPTH` replaced by their JSON text.

    Lossless: `json.loads` of such a string gives the deep part back.
    """
    if isinstance(value, (dict, list)) and depth >= MAX_STORED_DEPTH:
        return _deep_json(value)
    if isinstance(value, dict):
        return {k: _fitted(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_fitted(v, depth + 1) for v in value]
    return value


def key_text(value: object) -> str:
    """One key value as the text the raw key columns hold."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return json_text(value)


def key_values(info: RawStream, record: Mapping[str, Any]) -> list[str]:
    """The record's key as text, in key order.

    Raises:
        MissingKeyError: a key property is absent or null.
    """
    values: list[str] = []
    for name in info.key_properties:
        value = record.get(name)
        if value is None:
            msg = f"stream {info.stream!r}: record is missing key property {name!r}"
            raise MissingKeyError(msg)
        values.append(key_text(value))
    return values


def checked_timestamp(value: object) -> str | None:
    """The value if it is a date-time with an offset within the ERP's range, else None.

    Out of range (see `mapping.common.in_range`) is None too: a modification time in
    year 10000 stored here would make every later version of the record look older.
    """
    if isinstance(value, datetime):
        return value.isoformat() if in_range(value) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return value if 1900 < parsed.year < 9999 or in_range(parsed) else None  # noqa: PLR2004 - years no offset moves out of range


def storable(item: Incoming) -> tuple[Incoming, str, str, bool]:
    """The record as PostgreSQL can hold it, its JSON text, why it is rejected, if cut.

    The check costs one orjson pass, which the raw layer needs anyway; the record is
    copied only when it holds a NUL or nests deeper than orjson allows (254 levels).
    """
    reason = ""
    nul_removed = False
    try:
        text = json_text(item.record)
    except orjson.JSONEncodeError as error:
        if "Recursion limit" not in str(error):
            raise
        reason = (f"record nested deeper than 254 levels: stored with parts at depth"
                  f" {MAX_STORED_DEPTH} and below as JSON text, not mapped")
        item = Incoming(_fitted(item.record), item.version)
        text = json_text(item.record)
    # The plain substring test first: the regex has no literal prefix to search for,
    # so on its own it walks every character (it was half the target's CPU time).
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        item = Incoming(_without_nul(item.record), item.version)
        text = json_text(item.record)
        nul_removed = True
    return item, text, reason, nul_removed
