"""Turn a webhook's record into the records the tap would have emitted for it.

Nothing here knows an entity by hand: the stream names, keys, routes and line-item
children come from the tap's stream registry (`tap_zoho.finance.registry`), and values go
through the tap's normaliser with the tap's schemas. So a webhook and a batch sync of the
same change land identical records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from tap_zoho.finance.base import PARENT_MODIFIED
from tap_zoho.finance.custom_fields import CF_PREFIX, UNFORMATTED, property_for
from tap_zoho.finance.details import manifest_fields
from tap_zoho.finance.registry import PRODUCT_STREAMS, line_manifests, line_streams, list_streams
from tap_zoho.normalize import RecordNormalizer
from tap_zoho.schemas import load_schema

LAST_MODIFIED = "last_modified_time"
DELETED_MARK = "_sdc_deleted_at"
"""The target soft-deletes a record that carries this (the batch path's tombstone)."""


@dataclass(frozen=True, slots=True)
class LineStream:
    """A line-item child of a document stream, and the manifest stream of its lines."""

    name: str
    parent_id_field: str
    primary_keys: tuple[str, ...]
    lines_key: str
    manifest: str | None = None
    manifest_keys: tuple[str, ...] = ()


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


def _name(cls: type) -> str:
    """A stream class's declared name (read off the class, never instantiated)."""
    return str(vars(cls)["name"])


@cache
def catalog() -> dict[tuple[str, str], EntityStreams]:
    """(product, entity) -> streams, from the tap's stream registry."""
    found: dict[tuple[str, str], EntityStreams] = {}
    for product in PRODUCT_STREAMS:
        for entity, cls in list_streams(product).items():
            route = cls.entity_route()
            manifests = {m.line_stream_name: m for m in line_manifests(product, entity)}
            lines = []
            for child in line_streams(product, entity):
                manifest = manifests.get(_name(child))
                lines.append(LineStream(
                    _name(child), child.parent_id_field, tuple(child.primary_keys),
                    child.lines_key, _name(manifest) if manifest else None,
                    tuple(manifest.primary_keys) if manifest else (),
                ))  # fmt: skip
            found[product, entity] = EntityStreams(
                product, entity, route.detail_key or route.id_field.removesuffix("_id"),
                route.id_field, _name(cls), tuple(cls.primary_keys), lines,
            )  # fmt: skip
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
    """The header record, its line records and line manifests, as the tap emits them.

    A deletion marks every record with the tombstone field, so the target soft-deletes
    raw and ERP rows (lines included) exactly like the batch path does. A document that
    carries its lines also gets its manifest (which line ids it has now): the target
    soft-deletes the lines it no longer lists, even all of them, where the lines alone
    cannot say that (none arrives). A deletion needs none, and a payload without its lines
    (a document Zoho no longer returns, kept as sent) says nothing about them.
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
        if line.manifest and not stamp and isinstance(record.get(line.lines_key), list):
            manifest = {
                "organization_id": organization_id,
                line.parent_id_field: str(record[spec.id_field]),
                PARENT_MODIFIED: modified,
                **manifest_fields(line.name, record[line.lines_key]),
            }
            out.append(StreamRecords(line.manifest, line.manifest_keys,
                                     [normalizer(line.manifest)(manifest)]))
    return out


def needs_detail(spec: EntityStreams, record: dict[str, Any]) -> bool:
    """A payload without the lines its document has (a list-shaped or custom payload)."""
    return any(line.lines_key not in record for line in spec.lines)
