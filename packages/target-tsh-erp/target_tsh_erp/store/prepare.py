"""The database-free half of a write: raw stage rows and ERP rows of each record.

Pure Python, run on the caller's thread (the target's reading thread) while earlier
batches execute on writer threads: staging and mapping then overlap PostgreSQL's work
instead of leaving it idle between statements.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

import orjson

from target_tsh_erp.erp_tables import TABLES_BY_NAME
from target_tsh_erp.mapping import MappingError, mapper_for
from target_tsh_erp.store.batch import (
    MAX_KEY_PROPERTIES,
    Batch,
    Incoming,
    Mapped,
    PreparedBatch,
    RawPart,
    Reject,
)
from target_tsh_erp.store.listing import listing_began
from target_tsh_erp.store.values import checked_timestamp, key_values, record_json, storable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from target_tsh_erp.mapping.registry import Mapper
    from target_tsh_erp.store.raw_tables import RawStream

__all__ = ["collect", "map_one", "map_records", "stage_raw"]

logger = logging.getLogger(__name__)

_COLUMNS = {name: spec.column_names for name, spec in TABLES_BY_NAME.items()}


def stage_raw(info: RawStream, items: Sequence[Incoming], prepared: PreparedBatch) -> None:
    """Build a stream's raw stage rows and the list of its records to map.

    Every record lands. One with a NUL character is stored (and mapped) without it,
    with a warning; one nested too deep for jsonb is stored fitted and rejected instead
    of mapped, so neither stops the batch.
    """
    field_name = info.modification_field
    key_count = len(info.key_properties)
    if key_count > MAX_KEY_PROPERTIES:
        msg = f"stream {info.stream!r}: more than {MAX_KEY_PROPERTIES} key properties"
        raise ValueError(msg)
    padding = (None,) * (MAX_KEY_PROPERTIES - key_count)
    mappable: list[tuple[int, Incoming, str]] = []
    key_texts: list[str] = []
    staged: list[tuple[Any, ...]] = []
    batch = prepared.batch
    for position, original in zip(batch.ordinal, items, strict=False):
        item, text, too_deep, nul_removed = storable(original)
        record = item.record
        keys = key_values(info, record)
        key = keys[0] if key_count == 1 else orjson.dumps(keys).decode()
        if nul_removed:
            logger.warning("Stream %s record %s: NUL characters removed from its values"
                           " (PostgreSQL text and jsonb cannot hold them)",
                           info.stream, key)
        key_texts.append(key)
        if too_deep:
            batch.result.rejects.append(Reject(info.stream, key, too_deep))
            batch.reject_records[info.stream, key] = text
        else:
            mappable.append((position, item, key))
        organization = record.get("organization_id")
        staged.append((
            position,
            *keys,
            *padding,
            None if organization is None else str(organization),
            checked_timestamp(record.get(field_name)) if field_name else None,
            text,
            checked_timestamp(record.get("_sdc_deleted_at")),
            item.version,
            hashlib.blake2b(text.encode(), digest_size=16).digest(),
        ))
    unique = len(set(key_texts)) == len(key_texts)
    mapper = mapper_for(info.stream)
    mapped = None if mapper is None else [
        map_one(info.stream, mapper, item, key, position, ordinal=batch.ordinal)
        for position, item, key in mappable
    ]
    prepared.raw.append(RawPart(info, staged, deduplicate=not unique, mapped=mapped))


def map_one(  # noqa: PLR0913 - one record and where its rows go
    stream: str,
    mapper: Mapper,
    item: Incoming,
    key: str,
    position: int,
    *,
    ordinal: Iterator[int],
) -> Mapped:
    """Map one record to ERP stage rows, or say why it is rejected.

    Each stage row is (ordinal, the table's columns, the listing's start): the start of
    the complete listing that delivered the record, if any, which the ERP merge's guard
    counts as proof the record exists (`target_tsh_erp.store.listing`).
    """
    try:
        produced = mapper(item.record, stream)
    except MappingError as error:
        return Mapped(position, key, [], (str(error), record_json(item.record)))
    began = listing_began(item.version)
    listed = None if began is None else began.isoformat()
    rows: list[tuple[str, tuple[Any, ...]]] = []
    for row, row_position in zip(produced, ordinal, strict=False):
        values = row.values
        rows.append((row.table, (row_position,
                                 *[values.get(column) for column in _COLUMNS[row.table]],
                                 listed)))
    return Mapped(position, key, rows, None)


def collect(stream: str, mapped: Iterable[Mapped], batch: Batch) -> list[str]:
    """Put mappings into the batch; return the keys mapped without a reject."""
    keys: list[str] = []
    for record in mapped:
        if record.reject is not None:
            reason, record_text = record.reject
            batch.result.rejects.append(Reject(stream, record.key, reason))
            batch.reject_records[stream, record.key] = record_text
            continue
        keys.append(record.key)
        for table, row in record.rows:
            batch.rows.setdefault(table, []).append(row)
    return keys


def map_records(
    stream: str,
    mapper: Mapper,
    items: Sequence[Incoming],
    keys: list[str],
    batch: Batch,
) -> list[str]:
    """Map records to ERP rows; return the keys mapped without a reject."""
    mapped = [map_one(stream, mapper, item, key, index, ordinal=batch.ordinal)
              for index, (item, key) in enumerate(zip(items, keys, strict=True))]
    return collect(stream, mapped, batch)
