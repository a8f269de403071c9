"""Response schemas from Zoho's OAS, with the spec's known mistakes tolerated.

TOLERANCES is the one list of where the emulator knowingly differs from the OAS and why;
each entry rewrites the schema before validation.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

OAS_ROOT = Path(__file__).resolve().parents[2] / "vendor" / "zoho-oas"
"""Zoho's specs, vendored unchanged in the repository (see vendor/zoho-oas/README.md)."""

MONEY_AND_QUANTITY_AS_STRING = {
    "total",
    "balance",
    "bcy_amount",
    "shipping_charge",
    "tax_percentage",
    "total_quantity",
    "depth",
    "child_count",
    "is_child_present",
    "upc",
    "ean",
    "current_balance",
    "payment_terms",
    "outstanding_receivable_amount",
    "unused_credits_receivable_amount",
    "outstanding_receivable_amount_bcy",
    "unused_credits_receivable_amount_bcy",
    "plan_type",
    "zi_migration_status",
    "fiscal_year_start_month",
    "reorder_level",
    "documents",
    "value",
    "customfield_id",
    "payment_number",
    "tax_id",
    "discount",
    "quantity",
    "rate",
    "bcy_rate",
    "item_total",
    "sub_total",
    "tax_total",
    "amount",
}

TOLERANCES: dict[str, str] = {
    "page_context typed as array": "Some files type page_context as an array; Zoho sends an "
    "object (reference 2.2). Any type is accepted for page_context.",
    "numbers typed as strings/integers": "The OAS types money and quantities (total, balance, "
    'tax_percentage, ...) as strings or integers; Zoho sends JSON numbers, and `""` when '
    "empty (reference 2.1, 2.6). Those fields accept string, number or integer.",
    "list key customer_payments": "Books OAS names the customer payments list "
    "`customer_payments`; real responses use `customerpayments` (reference 2.3).",
    "list key packagea": "Inventory OAS misspells the packages list key `packagea`; Zoho "
    "sends `packages` (reference 3.2).",
    "Inventory purchase order detail key": "Inventory OAS says `purchase_order`; the emulator "
    "sends `purchaseorder` as Books does for the same shared record (reference 6, item 6).",
    "composite item detail nesting": "Inventory OAS puts composite item fields at the top "
    "level; the reference (3.2) and Zoho's examples nest them under `composite_item`.",
    "custom field values typed as strings": "The OAS types `custom_fields[].value` as a "
    "string; a value's JSON type follows the field's data_type (reference 6, item 7).",
    "ids and numbers typed integer/boolean": "Some files type ids (`customfield_id`, "
    "`tax_id`), `payment_number` or amounts (`tax_total`) as integer or boolean; Zoho sends "
    "ids as strings and amounts as decimals. Integers also accept decimals.",
    "containers typed object vs array": "Some files type a list (`creditnotes`, an item "
    "group's `items`) as an object, or a record (`package`) as an array. Both container "
    "types are accepted where the spec says either.",
    "adjustment_type enum": "The Inventory adjustments list enumerates only `quantity`; "
    "Zoho also has value adjustments (`value`).",
    "purchase order taxes typed as strings": "The Books purchase order OAS types `taxes[]` "
    "elements as strings; every other document (and Zoho) sends `{tax_name, tax_amount}`.",
    "address typed as array": "The shipment order OAS types billing/shipping addresses as "
    "arrays; Zoho sends objects like every other address.",
}

SCALAR_TYPES = ["string", "number", "integer", "boolean", "null"]


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        msg = f"Zoho OAS file {path} not found in vendor/zoho-oas"
        raise FileNotFoundError(msg)
    with path.open() as handle:
        return yaml.safe_load(handle)


@cache
def spec(file_name: str) -> dict[str, Any]:
    return _load(OAS_ROOT / file_name)


def _resolve(document: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].split("/")[-1]
            return _resolve(document, document["components"]["schemas"][name])
        return {key: _resolve(document, value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(document, value) for value in node]
    return node


def _tolerate(node: Any) -> Any:  # noqa: C901 - one branch per documented tolerance
    if isinstance(node, dict):
        node = {key: _tolerate(value) for key, value in node.items() if key != "example"}
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name in list(properties):
                if name == "page_context":
                    properties[name] = {}
                elif name in MONEY_AND_QUANTITY_AS_STRING or name.endswith(("_amount", "_stock")):
                    properties[name] = {"type": [*SCALAR_TYPES, "array"]}
                elif name in {"billing_address", "shipping_address"}:
                    properties[name] = {"type": ["object", "array"]}
                elif name == "taxes":
                    properties[name] = {"type": "array", "items": {"type": "object"}}
                elif name == "adjustment_type":
                    properties[name] = {"enum": ["quantity", "value"]}
        node.pop("required", None) if isinstance(node.get("required"), bool) else None
        kind = node.get("type")
        if not isinstance(kind, str):
            return node
        if kind == "integer":
            node["type"] = ["integer", "number"]
        elif kind in {"object", "array"}:
            node["type"] = ["object", "array"]
        return node
    if isinstance(node, list):
        return [_tolerate(value) for value in node]
    return node


def response_schema(
    file_name: str, path: str, renames: dict[str, str] | None = None
) -> dict[str, Any]:
    """The 200 response schema of `GET path`, tolerances applied."""
    document = spec(file_name)
    raw = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    schema = _tolerate(_resolve(document, copy.deepcopy(raw)))
    for old, new in (renames or {}).items():
        schema["properties"][new] = schema["properties"].pop(old)
    return schema
