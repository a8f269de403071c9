"""Line manifests: lines a document no longer lists are soft-deleted, even all of them.

Line records alone cannot tell the target that a document lost ALL its lines: none
arrives, so the removed-lines sweep (keyed off the lines of a batch) never sees the
document. The tap's `<document>_line_manifests` streams send, per fetched document
detail, its modification time and its current `line_item_ids` (docs/DESIGN.md). After
the manifests land raw (as any stream), the same sweep runs with the manifest's time and
ids, in the raw table of the line stream and in the ERP line table; a line dated after
the manifest (a newer version already stored) is kept, so a stale manifest changes
nothing. Manifests of streams we do not know are only landed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from target_tsh_erp.mapping.registry import line_stream_of_manifest, line_table
from target_tsh_erp.store.batch import RAW_ORGANIZATION
from target_tsh_erp.store.new_rows import key_payload

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    import psycopg

    from target_tsh_erp.store.batch import ApplyResult, Landing
    from target_tsh_erp.store.erp_merge import ErpMerge
    from target_tsh_erp.store.raw_landing import RawLanding
    from target_tsh_erp.store.raw_tables import RawRegistry

_MODIFIED = RAW_ORGANIZATION + 1
_TEXT = RAW_ORGANIZATION + 2
_DELETED = RAW_ORGANIZATION + 3
_DOCUMENT_KEY = 2
"""(organization_id, <document id>): the key of a manifest."""

Listed = dict[str, list[tuple[str, str, "datetime", list[str]]]]
"""Per line stream: (organization, document, manifest time, line ids), newest per document."""


def listed_lines(landings: Iterable[Landing]) -> Listed:
    """The documents the batch's landed manifests describe, per line stream.

    Only manifests that changed are landed (an unchanged one was swept when it first
    came); of several for one document, the newest counts.
    """
    listed: Listed = {}
    for landing in landings:
        info = landing.part.info
        line_stream = line_stream_of_manifest(info.stream)
        if line_stream is None or len(info.key_columns) != _DOCUMENT_KEY:
            continue
        newest: dict[tuple[str, str], tuple[datetime, list[str]]] = {}
        for row in landing.rows:
            modified = row[_MODIFIED]
            if modified is None or row[_DELETED] is not None:
                continue
            key = (str(row[1]), str(row[2]))
            seen = newest.get(key)
            if seen is not None and seen[0] >= modified:
                continue
            record: dict[str, Any] = orjson.loads(row[_TEXT])
            ids = record.get("line_item_ids")
            if not isinstance(ids, list):
                continue  # not a manifest we understand: landed raw, nothing swept
            newest[key] = (modified, [str(line_id) for line_id in ids])
        if newest:
            listed.setdefault(line_stream, []).extend(
                (organization, document, modified, ids)
                for (organization, document), (modified, ids) in newest.items()
            )
    return listed


def sweep_raw(
    connection: psycopg.Connection[Any], registry: RawRegistry, raw: RawLanding, listed: Listed
) -> int:
    """Soft-delete raw lines the manifests no longer list; return how many."""
    swept = 0
    for line_stream, documents in listed.items():
        info = registry.known(connection, line_stream)
        if info is not None:
            swept += raw.sweep_listed_lines(connection, info, key_payload(documents))
    return swept


def sweep_erp(
    connection: psycopg.Connection[Any], erp: ErpMerge, listed: Listed, result: ApplyResult
) -> None:
    """Soft-delete ERP lines the manifests no longer list (after the batch's ERP merge)."""
    for line_stream, documents in listed.items():
        table = line_table(line_stream)
        if table is None:
            continue  # lines that land raw only
        swept = erp.sweep_listed_lines(connection, table, key_payload(documents))
        if swept:
            result.erp_written[table] += swept
