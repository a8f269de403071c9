"""Shared row type and cheap coercions: validate what the mapping needs, nothing more.

The SDK's full JSON-schema validation of every record dominates a target's cost; instead
each value the ERP stores is checked here as it is converted, and a bad one rejects the
record with a reason that names the field.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "MappingError",
    "Row",
    "as_bool",
    "as_date",
    "as_int",
    "as_number",
    "as_text",
    "as_timestamp",
    "base_row",
    "in_range",
    "lookup_id",
    "lookup_name",
    "require",
]


class MappingError(ValueError):
    """A record the ERP cannot take: wrong type, missing required value, unknown enum."""


class Row(NamedTuple):
    """One ERP row: its table and its column values (natural key included)."""

    table: str
    values: dict[str, Any]


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""Earliest date-time the ERP stores. Zoho dates nothing before it; earlier values are
"no date" sentinels of other systems (year 1), and a year-1 time with a positive offset
is year 0 in UTC, which PostgreSQL stores but Python cannot read back."""
_DOUBLE_MAX = Decimal("1.7976931348623157e308")
"""Numbers beyond a double's range are refused: ERP clients read numerics as doubles."""
_INT_MAX = int(_DOUBLE_MAX)
_SAFE_YEARS = (1901, 9998)
"""Years no UTC offset can move out of range: only other years need a conversion."""
_INT32 = range(-(2**31), 2**31)


def in_range(moment: datetime) -> bool:
    """Whether an offset-aware date-time lies within [1900, 9999] once in UTC.

    Python cannot hold a UTC time after 9999-12-31 (`9999-12-31T23:00:00-08:00` is year
    10000 in UTC, which PostgreSQL stores): such a modification time would make every
    later version of the record look older, so the row could never change again.
    """
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return False
    return utc >= EARLIEST


def require(record: Mapping[str, Any], field: str) -> str:
    """A required identifier-like value as text."""
    value = record.get(field)
    if value is None or value == "":
        msg = f"missing required value {field!r}"
        raise MappingError(msg)
    if isinstance(value, (dict, list, bool)):
        msg = f"{field!r} must be a string, got {type(value).__name__}"
        raise MappingError(msg)
    return str(value)


def as_text(record: Mapping[str, Any], field: str) -> str | None:
    """Text or None; objects and arrays are not text."""
    value = record.get(field)
    if type(value) is str:
        return value or None
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        msg = f"{field!r} must be text, got {type(value).__name__}"
        raise MappingError(msg)
    return str(value)


def as_number(record: Mapping[str, Any], field: str) -> float | int | Decimal | None:
    """A JSON number (or a numeric string) for a NUMERIC column; finite, within a double.

    Runs for every numeric column of every record: the common JSON numbers are checked
    inline, anything else in `_other_number`.
    """
    value = record.get(field)
    if type(value) is float and value - value == 0.0:  # NaN and infinities give NaN
        return value
    if type(value) is int and -_INT_MAX <= value <= _INT_MAX:
        return value
    if value is None or value == "":
        return None
    return _other_number(field, value)


def _other_number(field: str, value: object) -> float | int | Decimal:
    """A number `as_number` did not take inline: Decimal, numeric text, or a reject."""
    if isinstance(value, bool):
        msg = f"{field!r} must be a number, got a boolean"
        raise MappingError(msg)
    if isinstance(value, (int, float, Decimal)):
        return _finite(field, value)
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            pass
        else:
            return _finite(field, number)
    msg = f"{field!r} must be a number, got {value!r}"
    raise MappingError(msg)


def _finite(field: str, value: float | Decimal) -> float | int | Decimal:
    """The number if it is finite and within a double's range; the reject names the field.

    A number the reader kept exact (a `Decimal`, an integer of any size) may be beyond
    what a double holds (`1e400`): the raw layer keeps it, the ERP refuses it.
    """
    if isinstance(value, Decimal):
        finite = value.is_finite() and abs(value) <= _DOUBLE_MAX
    elif type(value) is float:
        finite = math.isfinite(value)
    else:  # an int (a float subclass with an int's value is no JSON value)
        finite = -_INT_MAX <= value <= _INT_MAX
    if not finite:
        msg = f"{field!r} is not a finite number within a double's range: {value}"
        raise MappingError(msg)
    return value


def as_int(record: Mapping[str, Any], field: str) -> int | None:
    """An integer (Zoho sends some integers as strings)."""
    value = as_number(record, field)
    if value is None:
        return None
    if int(value) != value:
        msg = f"{field!r} must be an integer, got {value!r}"
        raise MappingError(msg)
    if int(value) not in _INT32:
        msg = f"{field!r} is out of an integer column's range: {value}"
        raise MappingError(msg)
    return int(value)


def as_bool(record: Mapping[str, Any], field: str) -> bool | None:
    """A JSON boolean."""
    value = record.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, bool):
        msg = f"{field!r} must be a boolean, got {value!r}"
        raise MappingError(msg)
    return value


def as_timestamp(record: Mapping[str, Any], field: str) -> str | None:
    """An ISO-8601 date-time with an offset; returned as given (PostgreSQL parses it)."""
    value = record.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed, text = value, value.isoformat()
    elif isinstance(value, str):
        try:
            parsed, text = datetime.fromisoformat(value), value
        except ValueError:
            msg = f"{field!r} is not an ISO-8601 date-time: {value!r}"
            raise MappingError(msg) from None
    else:
        msg = f"{field!r} must be a date-time string, got {value!r}"
        raise MappingError(msg)
    if parsed.tzinfo is None:
        msg = f"{field!r} has no UTC offset: {value!r}"
        raise MappingError(msg)
    if not (_SAFE_YEARS[0] <= parsed.year <= _SAFE_YEARS[1] or in_range(parsed)):
        msg = f"{field!r} is out of range (1900 to 9999 in UTC): {text!r}"
        raise MappingError(msg)
    return text


def as_date(record: Mapping[str, Any], field: str) -> str | None:
    """A `YYYY-MM-DD` date."""
    value = record.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        msg = f"{field!r} must be a YYYY-MM-DD date, got {value!r}"
        raise MappingError(msg)
    try:
        date.fromisoformat(value)
    except ValueError:
        msg = f"{field!r} is not a YYYY-MM-DD date: {value!r}"
        raise MappingError(msg) from None
    return value


def lookup_id(record: Mapping[str, Any], field: str) -> str | None:
    """The `id` of a CRM lookup (`{"name": ..., "id": ...}`), or None."""
    value = record.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        inner = value.get("id")
        return str(inner) if inner not in {None, ""} else None
    if isinstance(value, str):
        return value
    msg = f"{field!r} must be a lookup object, got {value!r}"
    raise MappingError(msg)


def lookup_name(record: Mapping[str, Any], field: str) -> str | None:
    """The `name` of a CRM lookup or owner."""
    value = record.get(field)
    if isinstance(value, dict):
        name = value.get("name")
        return str(name) if name else None
    return None


def base_row(
    record: Mapping[str, Any],
    stream: str,
    zoho_id: str,
    modified_field: str,
    *,
    organization_id: str | None = None,
) -> dict[str, Any]:
    """The columns every ERP row has: natural key, source, modification time, deletion."""
    return {
        "organization_id": organization_id or require(record, "organization_id"),
        "zoho_id": zoho_id,
        "source_stream": stream,
        "source_modified_at": as_timestamp(record, modified_field),
        "deleted_at": as_timestamp(record, "_sdc_deleted_at"),
    }


def document_columns(record: Mapping[str, Any], number_field: str) -> dict[str, Any]:
    """Header columns shared by sales orders, purchase orders and invoices."""
    return {
        "number": as_text(record, number_field),
        "status": as_text(record, "status"),
        "date": as_date(record, "date"),
        "reference_number": as_text(record, "reference_number"),
        "currency_code": as_text(record, "currency_code"),
        "exchange_rate": as_number(record, "exchange_rate"),
        "sub_total": as_number(record, "sub_total"),
        "tax_total": as_number(record, "tax_total"),
        "total": as_number(record, "total"),
        "created_at": as_timestamp(record, "created_time"),
    }


def line_columns(record: Mapping[str, Any]) -> dict[str, Any]:
    """Line columns shared by every document's line items."""
    return {
        "item_zoho_id": as_text(record, "item_id"),
        "name": as_text(record, "name"),
        "sku": as_text(record, "sku"),
        "description": as_text(record, "description"),
        "item_order": as_int(record, "item_order"),
        "quantity": as_number(record, "quantity"),
        "unit": as_text(record, "unit"),
        "rate": as_number(record, "rate"),
        "discount": as_number(record, "discount"),
        "tax_name": as_text(record, "tax_name"),
        "tax_percentage": as_number(record, "tax_percentage"),
        "item_total": as_number(record, "item_total"),
    }


LINE_MODIFIED = "parent_last_modified_time"
"""Line and stock records carry their parent's modification time (tap contract)."""

MODIFIED = "last_modified_time"
"""Books and Inventory records' modification time."""

CRM_MODIFIED = "Modified_Time"
"""CRM records' modification time."""
