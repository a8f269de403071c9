"""JSON schemas of every stream, built by `python -m tap_zoho.schemas.build`.

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


def load_schema(name: str) -> dict[str, Any]:
    """A fresh copy of a stream's schema (callers may extend it)."""
    schema: dict[str, Any] = json.loads(_load(name))
    return schema
