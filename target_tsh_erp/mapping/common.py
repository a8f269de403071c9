"""Shared row type and cheap coercions: validate what the mapping needs, nothing more.

The SDK's full JSON-schema validation of every record dominates a target's cost; instead
each value the ERP stores is checked here as it is converted, and a bad one rejects the
record with a reason that names the field.
"""

from __future__ import annotations

from datetime import date, datetime
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
    """A JSON number (or a numeric string) for a NUMERIC column."""
    value = record.get(field)
    kind = type(value)
    if kind is float:
        if value != value:  # noqa: PLR0124 - NaN check
            msg = f"{field!r} is NaN"
            raise MappingError(msg)
        return value
    if kind is int:
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        msg = f"{field!r} must be a number, got a boolean"
        raise MappingError(msg)
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and value != value:  # noqa: PLR0124 - NaN check
            msg = f"{field!r} is NaN"
            raise MappingError(msg)
        return value
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    msg = f"{field!r} must be a number, got {value!r}"
    raise MappingError(msg)


def as_int(record: Mapping[str, Any], field: str) -> int | None:
    """An integer (Zoho sends some integers as strings)."""
    value = as_number(record, field)
    if value is None:
        return None
    if int(value) != value:
        msg = f"{field!r} must be an integer, got {value!r}"
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
        return value.isoformat()
    if not isinstance(value, str):
        msg = f"{field!r} must be a date-time string, got {value!r}"
        raise MappingError(msg)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        msg = f"{field!r} is not an ISO-8601 date-time: {value!r}"
        raise MappingError(msg) from None
    if parsed.tzinfo is None:
        msg = f"{field!r} has no UTC offset: {value!r}"
        raise MappingError(msg)
    return value


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
