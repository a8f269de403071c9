"""How Books/Inventory answer when an other-answer switch is on (`finance.answers`).

Each function takes the answer the emulator would give by default and returns the one
Zoho's docs also allow. They are applied where the routes build their bodies, so the
default answers stay exactly as they were when no switch is on.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from zoho_emulator.finance.params import MODIFIED_PATTERN, InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from zoho_emulator.finance.params import ListQuery

Record = dict[str, Any]

WITHOUT_PAGE_CONTEXT = frozenset(
    {"chartofaccounts", "salesorders", "purchaseorders", "journals", "vendorpayments"}
)
"""Lists whose answer in Zoho's OAS has no `page_context`."""
OAS_DETAIL_KEYS: dict[tuple[str, str], str] = {("inventory", "purchaseorders"): "purchase_order"}
"""Detail keys where Zoho's OAS differs from the key the emulator answers by default."""
EXTRA_FIELDS: Record = {
    "unannounced_flag": True,
    "unannounced_details": {"source": "emulator", "level": 2},
}
"""Keys no tap schema declares (Zoho adds fields over time)."""
OUT_OF_RANGE = ("0001-01-01T00:00:00+0530", "9999-12-31T23:59:59-0800")
"""Datetimes whose UTC equivalent falls outside years 1-9999."""
WAREHOUSES_REFUSED = (
    4,
    "Warehouses are not available for this organization: it uses locations (/locations).",
    400,
)


def list_query(
    query: ListQuery, on: Callable[[str], bool], raw_modified: str | None, zone: ZoneInfo
) -> ListQuery:
    """The list query as the switched-on answers read it."""
    if on("sort-ignored"):
        query = replace(query, sort_column=None, descending=True)
    if on("modified-filter-ignored"):
        return replace(query, modified_since=None, same_date_as=None)
    if (
        on("modified-filter-org-local")
        and raw_modified is not None
        and query.modified_since is not None
    ):
        query = replace(query, modified_since=local_wall_time(raw_modified, zone))
    return query


def refuse_all_filter(filter_by: str | None, on: Callable[[str], bool]) -> None:
    """`filter-all-refused`: the all-records `filter_by` value is refused with code 2.

    Raises:
        InvalidParameterError: for a `<...>.All` value while the switch is on.
    """
    if on("filter-all-refused") and filter_by is not None and filter_by.endswith(".All"):
        raise InvalidParameterError("filter_by")  # noqa: EM101 - the parameter name is the message


def local_wall_time(value: str, zone: ZoneInfo) -> int:
    """Epoch of a `last_modified_time` read as wall time in `zone`, its offset ignored.

    Raises:
        InvalidParameterError: for a value Zoho cannot parse.
    """
    match = MODIFIED_PATTERN.match(value)
    if match is None:
        raise InvalidParameterError("last_modified_time")  # noqa: EM101 - the parameter name is the message
    year, month, day, hour, minute, second, _ = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:
        raise InvalidParameterError("last_modified_time") from None  # noqa: EM101 - the parameter name is the message
    return int(moment.timestamp())


def list_row(row: Record, index: int, on: Callable[[str], bool]) -> Record:
    """A list row as the switched-on answers send it (a copy when changed)."""
    if on("rows-without-modified-time") and index % 10 == 0:
        row = {key: value for key, value in row.items() if key != "last_modified_time"}
    if on("out-of-range-dates") and index % 10 in {3, 7} and "created_time" in row:
        row = {**row, "created_time": OUT_OF_RANGE[0 if index % 10 == 3 else 1]}  # noqa: PLR2004 - every tenth row, two kinds
    if on("extra-fields"):
        row = {**row, **EXTRA_FIELDS}
    return row


def detail(record: Record, on: Callable[[str], bool]) -> Record:
    """A detail record as the switched-on answers send it."""
    if on("extra-fields"):
        record = {**record, **EXTRA_FIELDS}
        if isinstance(record.get("line_items"), list):
            record["line_items"] = [{**line, **EXTRA_FIELDS} for line in record["line_items"]]
    return record


def detail_key(product: str, entity: str, default: str, on: Callable[[str], bool]) -> str:
    """`oas-detail-keys`: the key Zoho's OAS names for this detail."""
    if on("oas-detail-keys"):
        return OAS_DETAIL_KEYS.get((product, entity), default)
    return default


def page_context_kept(entity: str, on: Callable[[str], bool]) -> bool:
    """`no-page-context`: whether this list's answer still carries `page_context`."""
    return not (on("no-page-context") and entity in WITHOUT_PAGE_CONTEXT)


def as_location(warehouse: Record) -> Record:
    """`locations-only`: a warehouse row as `/locations` shows a place."""
    return {
        "location_id": warehouse["warehouse_id"],
        "location_name": warehouse["warehouse_name"],
        "type": "general",
        "email": warehouse.get("email", ""),
        "phone": warehouse.get("phone", ""),
        "status": warehouse.get("status", "active"),
        "is_primary": warehouse.get("is_primary", False),
        "address": {
            "attention": warehouse.get("attention", ""),
            "street_address1": warehouse.get("address", ""),
            "street_address2": warehouse.get("address2", ""),
            "city": warehouse.get("city", ""),
            "state": warehouse.get("state", ""),
            "country": warehouse.get("country", ""),
            "zip": warehouse.get("zip", ""),
        },
    }


def stock_by_location(item: Record) -> Record:
    """`locations-only`: an item detail's `warehouses[]` as `locations[]`."""
    places = item.get("warehouses")
    if not isinstance(places, list):
        return item
    item = {key: value for key, value in item.items() if key != "warehouses"}
    item["locations"] = [
        {
            (f"location{key[len('warehouse') :]}" if key.startswith("warehouse_") else key): value
            for key, value in place.items()
        }
        for place in places
    ]
    return item
