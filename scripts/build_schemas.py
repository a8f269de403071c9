"""Rebuild `tap_zoho/schemas/*.json` from Zoho's OAS plus records observed in practice.

Run: `python -m scripts.build_schemas [path/to/zoho-oas]` (it starts a local emulator,
samples every stream of both organizations, and merges what it sees with the OAS
properties of each list / detail response). A developer tool: it starts the emulator,
so it lives outside the runtime package.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from tap_zoho import schemas
from tap_zoho.finance.details import DetailChildStream, LineItemStream
from tap_zoho.finance.inventory import InventoryItemStock, stock_rows
from tap_zoho.tap import TapZoho
from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_zoho.finance.base import ZohoStream

SCHEMA_DIR = Path(schemas.__file__).parent
DEFAULT_OAS = Path(__file__).resolve().parents[1] / "vendor" / "zoho-oas"
"""Zoho's specs, vendored in the repository (run the build from a checkout)."""
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMERIC_CF = {"number", "decimal", "amount", "percent"}
SAMPLE_PARENTS = 25
KEYS_ALWAYS_STRING = re.compile(r"(_id|_ids|_number|phone|mobile|zip|fax|_code)$")


def _oas_documents(oas_root: Path, product: str) -> list[dict[str, Any]]:
    folder = oas_root / ("books-v3" if product == "books" else "inventory-v1")
    return [yaml.safe_load(path.read_text()) for path in sorted(folder.glob("*.yml"))]


def _resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:  # noqa: ANN401
    if depth > 12:  # noqa: PLR2004
        return {}
    if isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _resolve(document, target, depth + 1)
    if isinstance(node, dict) and "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in node["allOf"]:
            merged["properties"].update(_resolve(document, part, depth + 1).get("properties", {}))
        return merged
    return node


def _response_schema(document: dict[str, Any], path: str) -> dict[str, Any] | None:
    operation = document.get("paths", {}).get(path, {}).get("get")
    if not operation:
        return None
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return _resolve(document, schema) if schema else None


def oas_properties(
    documents: list[dict[str, Any]], path: str, key: str, nested: str | None = None
) -> dict[str, Any]:
    """Properties of `key` (an array or object) in the GET response of `path`."""
    for document in documents:
        for candidate in document.get("paths", {}):
            if candidate != path:
                continue
            schema = _response_schema(document, candidate)
            if not schema:
                continue
            node = _resolve(document, schema.get("properties", {}).get(key, {}))
            if node.get("type") == "array":
                node = _resolve(document, node.get("items", {}))
            if nested is not None:
                node = _resolve(document, node.get("properties", {}).get(nested, {}))
                if node.get("type") == "array":
                    node = _resolve(document, node.get("items", {}))
            props = node.get("properties", {})
            return {name: _resolve(document, prop) for name, prop in props.items()}
    return {}


def _detail_path(documents: list[dict[str, Any]], list_path: str) -> str | None:
    for document in documents:
        for candidate in document.get("paths", {}):
            if (
                candidate.startswith(f"{list_path}/{{")
                and candidate.count("/") == list_path.count("/") + 1
            ):
                return str(candidate)
    return None


def _json_type(oas: dict[str, Any]) -> dict[str, Any]:
    kind = oas.get("type")
    if kind in {"integer", "number", "boolean", "array", "object", "string"}:
        return {"type": kind}
    return {"type": "string"}


def infer(  # noqa: C901, PLR0911, PLR0912 - one branch per JSON type
    name: str, values: list[Any], cf_types: dict[str, str]
) -> dict[str, Any] | None:
    """A property schema from observed values (None: nothing but nulls/empties seen)."""
    if name in cf_types:
        data_type = cf_types[name]
        if data_type in NUMERIC_CF:
            return {"type": "number"}
        if data_type == "date":
            return {"type": "string", "format": "date"}
        if data_type == "date_time":
            return {"type": "string", "format": "date-time"}
        if data_type == "check_box":
            return {"type": "boolean"}
        return {"type": "string"}
    seen = [value for value in values if value is not None and value != ""]
    if not seen:
        return None
    kinds = {type(value) for value in seen}
    if kinds == {bool}:
        return {"type": "boolean"}
    if kinds <= {int}:
        return {"type": "integer"}
    if kinds <= {int, float}:
        return {"type": "number"}
    if kinds == {dict}:
        return {"type": "object"}
    if kinds == {list}:
        return {"type": "array"}
    if kinds == {str}:
        if KEYS_ALWAYS_STRING.search(name):
            return {"type": "string"}
        if all(DATETIME.match(value) for value in seen):
            return {"type": "string", "format": "date-time"}
        if all(DATE.match(value) for value in seen):
            return {"type": "string", "format": "date"}
        return {"type": "string"}
    return {"type": "string"}  # mixed types: kept as sent, reported once by the tap


def nullable(prop: dict[str, Any]) -> dict[str, Any]:
    """Every Zoho property may be null (Zoho omits or blanks fields freely)."""
    if not prop:
        return {}
    result = dict(prop)
    result["type"] = [prop["type"], "null"]
    return result


def organization_specific(records: list[dict[str, Any]]) -> set[str]:
    """`cf_*` keys that only some of the sampled organizations' records carry.

    Those are one organization's own custom fields: the tap discovers them per
    organization at run time (`tap_zoho.custom_fields`), and committing them would hand
    them to every organization's catalog.
    """
    seen_in: defaultdict[str, set[str]] = defaultdict(set)
    for record in records:
        for key in record:
            if key.startswith("cf_"):
                seen_in[key].add(str(record.get("organization_id")))
    organizations = {str(record.get("organization_id")) for record in records}
    return {key for key, seen in seen_in.items() if seen != organizations}


def build_schema(
    stream: ZohoStream, records: list[dict[str, Any]], oas: dict[str, Any]
) -> dict[str, Any]:
    """Merge observed fields (authoritative for types) with OAS-only fields."""
    values: defaultdict[str, list[Any]] = defaultdict(list)
    cf_types: dict[str, str] = {}
    for record in records:
        for key, value in record.items():
            values[key].append(value)
        for field in record.get("custom_fields") or []:
            if isinstance(field, dict) and field.get("api_name"):
                cf_types[str(field["api_name"])] = str(field.get("data_type", "string"))
    properties: dict[str, Any] = {}
    for name, prop in sorted(oas.items()):
        properties[name] = nullable(_json_type(prop))
    own = organization_specific(records)
    for name, seen in sorted((k, v) for k, v in values.items() if k not in own):
        inferred = infer(name, seen, cf_types)
        if inferred is None:
            properties.setdefault(name, nullable({"type": "string"}))
        else:
            properties[name] = nullable(inferred)
    for key in stream.primary_keys or ():
        properties[key] = {"type": ["string"]}
    if stream.replication_key:
        properties[stream.replication_key] = {"type": ["string", "null"], "format": "date-time"}
    return {"type": "object", "properties": properties}


def sample(tap: TapZoho, stream: ZohoStream) -> Iterator[dict[str, Any]]:
    """Raw records of a stream for every organization (children: of a few parents)."""
    for organization_id in tap.organization_ids(stream.product):
        context = {"organization_id": organization_id}
        progress = stream.progress(organization_id)
        if not isinstance(stream, DetailChildStream):
            for record in stream.zoho_records(context, progress):
                yield {"organization_id": organization_id, **record}
            continue
        parent = cast(
            "ZohoStream",
            next(c for c in tap.streams.values() if type(c) is stream.parent_stream_type),
        )
        parents = [
            {"organization_id": organization_id, **row}
            for _, row in zip(
                range(SAMPLE_PARENTS * 4), parent.zoho_records(context, progress), strict=False
            )
        ]
        if isinstance(stream, InventoryItemStock):
            ids = [str(row["item_id"]) for row in parents]
            for item in tap.client.get_items("inventory", organization_id, ids):
                yield from stock_rows(organization_id, item, item.get("last_modified_time"))
            continue
        accepted = [row for row in parents if stream.accepts(row)][:SAMPLE_PARENTS]
        for row in accepted:
            child_context = {
                "organization_id": organization_id,
                stream.parent_id_field: str(row[stream.parent_id_field]),
                "parent_last_modified_time": row.get("last_modified_time"),
                **{name: row.get(name) for name in stream.context_fields},
            }
            for record in stream.detail_records(child_context):
                yield {**record, **child_context}


def oas_for(stream: ZohoStream, documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The OAS properties of a stream's records."""
    route = stream.route
    if isinstance(stream, DetailChildStream) and not isinstance(stream, LineItemStream):
        return {}  # persons, shipments and stock rows are not a list response
    if isinstance(stream, LineItemStream):
        detail = _detail_path(documents, route.path)
        if detail is None or route.detail_key is None:
            return {}
        return oas_properties(documents, detail, route.detail_key, stream.lines_key)
    return oas_properties(documents, route.path, route.list_key)


def main(oas_root: Path) -> None:
    """Sample every stream from an emulator and write its schema."""
    documents = {product: _oas_documents(oas_root, product) for product in ("books", "inventory")}
    with run_emulator(scale=60, requests_per_minute=0, daily_limit=0) as zoho:
        tap = TapZoho(config={
            "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
            "refresh_token": DEMO_REFRESH_TOKEN, "accounts_url": zoho.base_url,
            "requests_per_minute": 0,
        })  # fmt: skip
        for any_stream in tap.streams.values():
            stream = cast("ZohoStream", any_stream)
            records = list(sample(tap, stream))
            schema = build_schema(stream, records, oas_for(stream, documents[stream.product]))
            path = SCHEMA_DIR / f"{stream.name}.json"
            path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            sys.stdout.write(
                f"{stream.name}: {len(records)} records, {len(schema['properties'])} properties\n"
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OAS)
