"""What a write carries between its steps: incoming records, staged rows, results.

Plain data, no database access: `prepare` builds a `PreparedBatch` on the reading thread
and `execute` reads it on a writer thread, so the types are shared by every module of
the store and depend on none of them.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from target_tsh_erp.store.raw_tables import MAX_KEY_PROPERTIES, RawStream

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "MAX_KEY_PROPERTIES",
    "RAW_ORGANIZATION",
    "RAW_STAGE",
    "ApplyResult",
    "Batch",
    "Incoming",
    "Landing",
    "Mapped",
    "MissingKeyError",
    "PreparedBatch",
    "RawPart",
    "Reject",
]

RAW_STAGE = "_tsh_raw_stage"
"""The session's temp table every stream's raw rows are merged from."""
RAW_ORGANIZATION = 1 + MAX_KEY_PROPERTIES
"""Where a raw stage row (ord, k1..k8, organization, modified, record, deleted, version,
hash) holds the organization; the landing table's own columns follow it."""


class MissingKeyError(ValueError):
    """A record lacks one of its stream's key properties (a protocol error)."""


@dataclass(slots=True)
class Incoming:
    """One record to write, with the table version of a full-table sync if any."""

    record: dict[str, Any]
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """A record the ERP could not take (it is still in its raw table)."""

    stream: str
    key: str
    reason: str


@dataclass(slots=True)
class ApplyResult:
    """What one write did: raw rows written, ERP rows written per table, rejects."""

    raw_written: int = 0
    erp_written: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)

    def add(self, other: ApplyResult) -> None:
        """Accumulate another result (for run summaries)."""
        self.raw_written += other.raw_written
        self.erp_written.update(other.erp_written)
        self.rejects.extend(other.rejects)


@dataclass(slots=True)
class Batch:
    """What one write accumulates: record order, ERP rows per table, the result."""

    ordinal: Iterator[int] = field(default_factory=itertools.count)
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    result: ApplyResult = field(default_factory=ApplyResult)
    reject_records: dict[tuple[str, str], str] = field(default_factory=dict)


class Mapped(NamedTuple):
    """One record's mapping, made in `prepare` and used in `execute` unless unchanged."""

    position: int
    """The record's raw stage ordinal (how `execute` knows it is unchanged)."""
    key: str
    rows: list[tuple[str, tuple[Any, ...]]]
    """(ERP table, stage row) pairs, ordinals already taken in record order."""
    reject: tuple[str, str] | None
    """Why the mapping refused the record and its JSON (then `rows` is empty)."""


@dataclass(slots=True)
class RawPart:
    """One stream's raw stage rows, ready to COPY, and its records' mappings.

    Records are mapped in `prepare`, on the caller's thread, so that the Python work of
    mapping overlaps the previous batch's statements instead of adding to its writer
    thread's time; `execute` then drops the mappings of unchanged records.
    """

    info: RawStream
    rows: list[tuple[Any, ...]]
    deduplicate: bool
    mapped: list[Mapped] | None = None
    """None for a stream no mapping knows."""


@dataclass(slots=True)
class PreparedBatch:
    """A batch mapped and staged in memory, not yet written (see `ErpWriter.prepare`).

    `ErpWriter.execute` reads it without changing it, so a transaction that failed for
    a reason worth retrying (a deadlock with a concurrent writer) can run it again.
    """

    batch: Batch = field(default_factory=Batch)
    """What `prepare` found (rejects of records too deep to map, record ordinals)."""
    raw: list[RawPart] = field(default_factory=list)
    unchanged: int = 0
    """Records the last `execute` skipped: their stored raw row already held them."""
    deletions: list[Incoming] = field(default_factory=list)
    stream_counts: dict[str, int] = field(default_factory=dict)


class Landing(NamedTuple):
    """One stream's rows to land in one `execute`, and which of them have a stored key."""

    part: RawPart
    rows: list[tuple[Any, ...]]
    stored: set[int]
