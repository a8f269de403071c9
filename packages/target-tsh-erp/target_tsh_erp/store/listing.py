"""A complete listing's start: when an ACTIVATE_VERSION deletes, and proof a record exists.

tap-zoho stamps a full-table stream's records with a table version that is the time its
listing began, in epoch milliseconds (the Singer convention), and announces the version
only after the listing completed. That time is used twice, on both sides of the stale
guard (a row's time is the latest of its modification and deletion times):
- a row the listing did not show is deleted as of that time (`soft_delete_older_versions`);
- a record the listing did show existed at that time: its incoming time is the latest of
  its modification time and the listing's start. Without it, a record one listing missed
  (a fallback listing that leaves out a status) would be deleted as of that listing and
  never come back when a later listing shows it again unchanged, since its modification
  time is older than the deletion. An older listing arriving late still loses against a
  newer deletion, and a record without a version (a webhook, an incremental run) is
  judged by its own times as before.
Taps built on the Singer SDK stamp full-table streams with the run's start in epoch
*seconds*: such a version stands for that time too. The two ranges cannot meet (2000-01-01
is 946,684,800 s and 946,684,800,000 ms; seconds stay below the millisecond floor for
thirty thousand years). Anything else (below the floors, or more than a day ahead) is a
plain counter: no time, and its sweep deletes as of the time it ran.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from psycopg import sql

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["EPOCH_MS_FLOOR", "EPOCH_S_FLOOR", "listed_sql", "listing_began", "swept_documents"]

EPOCH_MS_FLOOR = 946_684_800_000
"""2000-01-01 in epoch milliseconds: smaller table versions are not milliseconds."""
EPOCH_S_FLOOR = 946_684_800
"""2000-01-01 in epoch seconds (the Singer SDK's full-table versions)."""
_AHEAD_S = 86_400
"""A version further ahead of the clock than a day is not a listing's start."""


def listing_began(version: int | None, now: datetime | None = None) -> datetime | None:
    """The time an epoch table version (milliseconds or seconds) stands for; else None."""
    if version is None:
        return None
    ceiling = (now or datetime.now(UTC)).timestamp() + _AHEAD_S
    if EPOCH_MS_FLOOR <= version <= ceiling * 1000:
        return datetime.fromtimestamp(version / 1000, UTC)
    if EPOCH_S_FLOOR <= version <= ceiling:
        return datetime.fromtimestamp(version, UTC)
    return None


def listed_sql(version: sql.Composable) -> sql.Composed:
    """`listing_began` in SQL, for a bigint table-version expression (NULL: no time).

    Computed where the guard compares rather than stored, so the raw stage and landing
    tables keep their columns; `to_timestamp` of the milliseconds gives the same instant
    as `listing_began` (microsecond precision both).
    """
    return sql.SQL(
        "(CASE WHEN {v} BETWEEN {ms_floor} AND (extract(epoch FROM now()) + {ahead}) * 1000"
        " THEN to_timestamp({v} / 1000.0)"
        " WHEN {v} BETWEEN {s_floor} AND extract(epoch FROM now()) + {ahead}"
        " THEN to_timestamp({v}) END)"
    ).format(
        v=version, ms_floor=sql.Literal(EPOCH_MS_FLOOR), s_floor=sql.Literal(EPOCH_S_FLOOR),
        ahead=sql.Literal(_AHEAD_S),
    )


def swept_documents(lines: Iterable[tuple[Any, Any, Any, datetime | str | None]]) -> str:
    """The documents a removed-lines sweep looks at, with their lines' listing proof.

    `lines`: (organization, document, line id, listing start or None) of a batch's
    lines. One JSON array per document: [organization, document, null, null, {line id:
    listing start} or null], read by the sweeps of both layers (index 2 and 3 are a
    line manifest's time and kept ids). A line the batch delivered from a complete
    listing that began at or after the document's newest time is not swept: the
    listing read the document after that version and showed the line. Only the batch's
    own lines count, so the proof needs no column in the ERP tables, and stored lines
    are judged as before.
    """
    documents: dict[tuple[Any, Any], dict[str, str]] = {}
    for organization, document, line, listed in lines:
        if document is None:
            continue
        proven = documents.setdefault((organization, document), {})
        if listed is not None:
            proven[str(line)] = listed if isinstance(listed, str) else listed.isoformat()
    return orjson.dumps([[organization, document, None, None, proven or None]
                         for (organization, document), proven in documents.items()]).decode()
