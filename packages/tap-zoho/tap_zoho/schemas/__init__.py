"""JSON schemas of every stream, built by `python -m scripts.build_schemas`.

They merge Zoho's OAS (vendor/zoho-oas) with fields observed in responses; every
property is nullable because Zoho sends `""` or omits fields freely.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).parent


@cache
def _load(name: str) -> str:
    path = SCHEMA_DIR / f"{name}.json"
    if not path.exists():
        return json.dumps({"type": "object", "properties": {}})
    return path.read_text(encoding="utf-8")


KEEP_ALL_PROPERTIES: dict[str, dict[str, Any]] = {
    "zoho_extra": {
        "type": ["object", "null"],
        "description": "Keys Zoho sent that this schema does not declare, as sent",
        "additionalProperties": True,
    },
    "zoho_unparsed": {
        "type": ["object", "null"],
        "description": "Original text of values emitted as null because no UTC datetime "
        "can hold them (outside years 1-9999)",
        "additionalProperties": True,
    },
}
"""Added to every Books/Inventory schema so that nothing Zoho sends is dropped."""


def load_schema(name: str) -> dict[str, Any]:
    """A fresh copy of a stream's schema (callers may extend it).

    Books/Inventory schemas get `zoho_extra` and `zoho_unparsed` (see `tap_zoho.normalize`):
    the fixed schemas come from an incomplete OAS, and the raw layer must keep every key.
    """
    schema: dict[str, Any] = json.loads(_load(name))
    if name.startswith(("books_", "inventory_")):
        schema.setdefault("properties", {}).update(json.loads(json.dumps(KEEP_ALL_PROPERTIES)))
    return schema
