"""Singer message files shaped like tap-zoho's output, for tests, the demo and benchmarks.

`emulator_streams` turns the emulator's ground truth into the records the tap emits per
docs/DESIGN.md (UTC datetimes, `organization_id` in every record, line items and item
stock as child streams with `parent_last_modified_time`). `synthetic_items` makes any
number of Zoho-items records quickly, for load benchmarks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from target_tsh_erp.mapping.registry import known_key_properties

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

__all__ = [
    "emulator_streams",
    "schema_message",
    "singer_lines",
    "synthetic_item",
    "to_utc",
    "write_singer_file",
]

_DATETIME_FIELDS = ("created_time", "last_modified_time", "Created_Time", "Modified_Time",
                    "deleted_time")

_LINE_STREAMS = {
    "invoices": ("books_invoice_line_items", "invoice_id"),
    "salesorders": ("books_sales_order_line_items", "salesorder_id"),
    "purchaseorders": ("books_purchase_order_line_items", "purchaseorder_id"),
}
_HEADER_STREAMS = {
    "invoices": "books_invoices",
    "salesorders": "books_sales_orders",
    "purchaseorders": "books_purchase_orders",
    "customerpayments": "books_customer_payments",
    "contacts": "books_contacts",
}
_STOCK_FIELDS = (
    ("stock_on_hand", "warehouse_stock_on_hand"),
    ("available_stock", "warehouse_available_stock"),
    ("actual_available_stock", "warehouse_actual_available_stock"),
    ("committed_stock", "warehouse_committed_stock"),
    ("actual_committed_stock", "warehouse_actual_committed_stock"),
    ("available_for_sale_stock", "warehouse_available_for_sale_stock"),
    ("actual_available_for_sale_stock", "warehouse_actual_available_for_sale_stock"),
)


def to_utc(value: str) -> str:
    """A Zoho datetime (`+0530` or `+05:30` offset) as UTC ISO-8601 with `+00:00`."""
    return datetime.fromisoformat(value).astimezone(UTC).isoformat()


def _tap_shape(record: dict[str, Any], organization_id: str) -> dict[str, Any]:
    shaped = {"organization_id": organization_id, **record}
    for name in _DATETIME_FIELDS:
        value = shaped.get(name)
        if isinstance(value, str) and value:
            shaped[name] = to_utc(value)
    return shaped


def emulator_streams(
    emulator: Any,  # noqa: ANN401 - zoho_emulator.emulator.Emulator
    organization_id: str,
    *,
    crm: Any = None,  # noqa: ANN401 - zoho_emulator.crm.service.Crm
    crm_organization_id: str = "",
) -> dict[str, list[dict[str, Any]]]:
    """The tap's records for one organization, from the emulator's ground truth."""
    finance = emulator.finance
    streams: dict[str, list[dict[str, Any]]] = {}
    for product in ("books", "inventory"):
        items = [_tap_shape(r, organization_id)
                 for r in finance.records(organization_id, "items", detail=True, product=product)]
        streams[f"{product}_items"] = items
    stock: list[dict[str, Any]] = []
    for item in streams["inventory_items"]:
        for warehouse in item.get("warehouses") or []:
            row = {"organization_id": organization_id, "item_id": item["item_id"],
                   "warehouse_id": warehouse["warehouse_id"],
                   "warehouse_name": warehouse.get("warehouse_name"),
                   "location_type": "warehouse",
                   "parent_last_modified_time": item["last_modified_time"]}
            for target, source in _STOCK_FIELDS:
                row[target] = warehouse.get(source)
            stock.append(row)
    streams["inventory_item_stock"] = stock
    for entity, stream in _HEADER_STREAMS.items():
        headers = [_tap_shape(r, organization_id)
                   for r in finance.records(organization_id, entity, detail=True)]
        streams[stream] = headers
        if entity in _LINE_STREAMS:
            line_stream, id_field = _LINE_STREAMS[entity]
            streams[line_stream] = [
                {"organization_id": organization_id, id_field: header[id_field], **line,
                 "parent_last_modified_time": header["last_modified_time"]}
                for header in headers for line in header.get("line_items") or []
            ]
    if crm is not None:
        for module in ("Accounts", "Contacts", "Deals"):
            streams[f"crm_{module.lower()}"] = [
                _tap_shape(r, crm_organization_id) for r in crm.records(module)
            ]
    return streams


def schema_message(stream: str, key_properties: Iterable[str] | None = None) -> dict[str, Any]:
    """A permissive SCHEMA message (the target validates what it maps, not the schema)."""
    keys = list(key_properties or known_key_properties(stream) or [])
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": {k: {"type": ["string"]} for k in keys}},
        "key_properties": keys,
    }


def singer_lines(
    streams: dict[str, list[dict[str, Any]]],
    *,
    state_every: int = 0,
) -> Iterator[bytes]:
    """SCHEMA, RECORDs and STATE lines; STATE every `state_every` records and at the end.

    The STATE value counts records sent per stream: a resumed run can skip exactly what
    that state covers, like a tap restarting from its bookmark.
    """
    sent: dict[str, int] = {}
    total = 0
    for stream, records in streams.items():
        yield orjson.dumps(schema_message(stream))
        for record in records:
            yield orjson.dumps({"type": "RECORD", "stream": stream, "record": record})
            sent[stream] = sent.get(stream, 0) + 1
            total += 1
            if state_every and total % state_every == 0:
                yield orjson.dumps({"type": "STATE", "value": {"sent": dict(sent)}})
    yield orjson.dumps({"type": "STATE", "value": {"sent": dict(sent)}})


def write_singer_file(path: Path, lines: Iterable[bytes]) -> int:
    """Write lines to a file; return how many."""
    count = 0
    with path.open("wb") as handle:
        for line in lines:
            handle.write(line + b"\n")
            count += 1
    return count


_BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)


def synthetic_item(
    index: int, organization_id: str = "10234695", *, revision: int = 0
) -> dict[str, Any]:
    """A Zoho Inventory item as the tap emits it (about 1.5 KB of JSON)."""
    modified = (_BASE_TIME + timedelta(minutes=index, days=revision)).isoformat()
    rate = round(10 + (index % 997) * 1.37, 2)
    return {
        "organization_id": organization_id,
        "item_id": str(4_600_000_000_000 + index),
        "name": f"Item {index} Steel Bolt M{index % 20}",
        "item_name": f"Item {index} Steel Bolt M{index % 20}",
        "unit": ("box", "pcs", "kg", "m")[index % 4],
        "status": "active" if index % 17 else "inactive",
        "source": "user",
        "is_linked_with_zohocrm": False,
        "zcrm_product_id": None,
        "description": f"Everyday item number {index}",
        "rate": rate,
        "purchase_rate": round(rate * 0.6, 2),
        "tax_id": "50710320000000000",
        "tax_name": "GST5",
        "tax_percentage": 5.0,
        "tax_type": "tax",
        "is_taxable": True,
        "sku": f"SKU-{index:09d}",
        "product_type": "goods",
        "item_type": "inventory",
        "track_inventory": True,
        "is_combo_product": False,
        "has_attachment": False,
        "reorder_level": float(index % 50),
        "created_time": (_BASE_TIME - timedelta(days=30)).isoformat(),
        "last_modified_time": modified,
        "hsn_or_sac": "8458",
        "cf_brand_family": "Everyday",
        "custom_fields": [
            {"field_id": "460000209025026", "data_type": "dropdown", "index": 1,
             "label": "Brand Family", "api_name": "cf_brand_family", "value": "Everyday"},
        ],
        "account_id": "50710310000000012",
        "account_name": "Sales",
        "purchase_account_id": "50710310000000015",
        "purchase_account_name": "Cost of Goods Sold",
        "can_be_sold": True,
        "can_be_purchased": True,
        "upc": None,
        "ean": None,
        "part_number": f"PN-{index % 100000}",
        "stock_on_hand": float(index % 700),
        "available_stock": float(index % 700),
        "actual_available_stock": float(index % 700 - 3),
        "committed_stock": 3.0,
        "actual_committed_stock": 3.0,
        "available_for_sale_stock": float(index % 700 - 3),
        "actual_available_for_sale_stock": float(index % 700 - 6),
        "inventory_account_id": "50710310000000004",
        "inventory_account_name": "Inventory Asset",
        "initial_stock": 0.0,
        "initial_stock_rate": round(rate * 0.6, 2),
    }
