"""Turn a webhook's record into the records the tap would have emitted for it.

Nothing here knows an entity by hand: the stream names, keys and line-item children
come from the tap's own stream declarations (`tap_zoho.books`, `tap_zoho.inventory`),
and values go through the tap's normaliser with the tap's schemas. So a webhook and a
batch sync of the same change land identical records.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from tap_zoho import books, inventory
from tap_zoho.api.entities import ENTITIES
from tap_zoho.custom_fields import CF_PREFIX, UNFORMATTED, property_for
from tap_zoho.normalize import RecordNormalizer
from tap_zoho.schemas import load_schema
from tap_zoho.streams import PARENT_MODIFIED, LineItemStream, ListStream

LAST_MODIFIED = "last_modified_time"
DELETED_MARK = "_sdc_deleted_at"
"""The target soft-deletes a record that carries this (the batch path's tombstone)."""


@dataclass(frozen=True, slots=True)
class LineStream:
    """A line-item child of a document stream."""

    name: str
    parent_id_field: str
    primary_keys: tuple[str, ...]
    lines_key: str


@dataclass(frozen=True, slots=True)
class EntityStreams:
    """Where one product's entity lands."""

    product: str
    entity: str
    payload_key: str
    id_field: str
    stream: str
    primary_keys: tuple[str, ...]
    lines: list[LineStream] = field(default_factory=list)


@dataclass(slots=True)
class StreamRecords:
    """Records of one stream, ready for `apply_records`."""

    stream: str
    primary_keys: tuple[str, ...]
    records: list[dict[str, Any]]


def _declared(module: Any) -> list[type]:  # noqa: ANN401 - a module object
    return [obj for _, obj in inspect.getmembers(module, inspect.isclass)
            if obj.__module__ == module.__name__]  # fmt: skip


def _attr(cls: type, name: str) -> str:
    """A stream class's declared attribute (read off the class, never instantiated)."""
    return str(getattr(cls, name))


def _keys(cls: type) -> tuple[str, ...]:
    return tuple(str(key) for key in getattr(cls, "primary_keys", ()) or ())


@cache
def catalog() -> dict[tuple[str, str], EntityStreams]:
    """(product, entity) → streams, from the tap's declarations."""
    found: dict[tuple[str, str], EntityStreams] = {}
    children: list[type] = []
    for module in (books, inventory):
        for cls in _declared(module):
            if issubclass(cls, LineItemStream):
                children.append(cls)
            elif issubclass(cls, ListStream):
                product, entity = _attr(cls, "product"), _attr(cls, "entity")
                route = ENTITIES[product].get(entity)
                if route is None:
                    continue
                key = route.detail_key or route.id_field.removesuffix("_id")
                found[product, entity] = EntityStreams(
                    product, entity, key, route.id_field, _attr(cls, "name"), _keys(cls)
                )
    for child in children:
        parent = found.get((_attr(child, "product"), _attr(child, "detail_entity")))
        if parent is not None:
            line = LineStream(_attr(child, "name"), _attr(child, "parent_id_field"),
                              _keys(child), _attr(child, "lines_key"))  # fmt: skip
            parent.lines.append(line)
    return found


@cache
def by_payload_key(product: str) -> dict[str, EntityStreams]:
    """A product's entities by the key of Zoho's default payload (`invoice`, `payment`)."""
    return {spec.payload_key: spec for (prod, _), spec in catalog().items() if prod == product}


@cache
def normalizer(stream: str) -> RecordNormalizer:
    """The tap's normaliser for a stream (one per stream: it remembers its warnings)."""
    return RecordNormalizer(stream, load_schema(stream))


@cache
def _custom_field_normalizer(name: str, data_type: str) -> RecordNormalizer:
    prop = property_for(data_type)
    return RecordNormalizer(name, {"properties": {name: prop, name + UNFORMATTED: prop}})


def custom_field_columns(record: dict[str, Any], normal: dict[str, Any]) -> None:
    """Add the organization's own `cf_*` columns the committed schema does not know.

    The batch path types them from the organization's settings at discovery; a webhook
    payload carries each field's `data_type` in its `custom_fields` array, so the same
    typed columns come out here without a settings call (and the raw row a webhook
    writes equals the one the next batch sync writes).
    """
    for entry in record.get("custom_fields") or []:
        name = entry.get("api_name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.startswith(CF_PREFIX) or name in normal:
            continue
        values = {name: record.get(name), name + UNFORMATTED: record.get(name + UNFORMATTED,
                                                                        entry.get("value"))}
        normal.update(_custom_field_normalizer(name, str(entry.get("data_type") or ""))(values))


def shape(
    spec: EntityStreams,
    organization_id: str,
    record: dict[str, Any],
    *,
    deleted_at: datetime | None = None,
) -> list[StreamRecords]:
    """The header record and its line records, as the tap emits them.

    A deletion marks every record with the tombstone field, so the target soft-deletes
    raw and ERP rows (lines included) exactly like the batch path does.
    """
    header = {k: v for k, v in record.items() if k not in {line.lines_key for line in spec.lines}}
    header["organization_id"] = organization_id
    modified = record.get(LAST_MODIFIED)
    stamp = deleted_at.astimezone(UTC).isoformat() if deleted_at else None
    normal = normalizer(spec.stream)(header)
    custom_field_columns(header, normal)
    if stamp:
        normal[DELETED_MARK] = stamp
    out = [StreamRecords(spec.stream, spec.primary_keys, [normal])]
    for line in spec.lines:
        rows = []
        for raw in record.get(line.lines_key) or []:
            row = dict(raw)
            row["organization_id"] = organization_id
            row[line.parent_id_field] = str(record[spec.id_field])
            row[PARENT_MODIFIED] = modified
            row = normalizer(line.name)(row)
            if stamp:
                row[DELETED_MARK] = stamp
            rows.append(row)
        out.append(StreamRecords(line.name, line.primary_keys, rows))
    return out


def needs_detail(spec: EntityStreams, record: dict[str, Any]) -> bool:
    """A payload without the lines its document has (a list-shaped or custom payload)."""
    return any(line.lines_key not in record for line in spec.lines)
