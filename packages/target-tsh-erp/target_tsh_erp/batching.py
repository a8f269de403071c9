"""A run's batches: buffering, batches in flight on parallel connections, STATE order.

Records are buffered until `batch_size_rows` or 12 MB of input, prepared (mapped) on the
reading thread, and written by writer threads, each batch in its own connection and
transaction. A STATE message is emitted only after the transactions of every record
before it have committed, whichever batch commits first, so STATE is never ahead of
what is stored.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple

import psycopg
from psycopg import errors

from target_tsh_erp.database import connect, resolved_database_url
from target_tsh_erp.redaction import failure_reason, one_line, redact
from target_tsh_erp.store import ApplyResult, ErpWriter, Incoming, PreparedBatch
from target_tsh_erp.store.events import SYNC_STARTED, publish
from target_tsh_erp.store.isolation import RECORD_ERRORS
from target_tsh_erp.store.migrations import migrate

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from target_tsh_erp.settings import WriterSettings
    from target_tsh_erp.store.raw_tables import RawStream

__all__ = [
    "DEADLOCK_ATTEMPTS",
    "DEFAULT_BATCH_SIZE_ROWS",
    "DEFAULT_WRITER_CONNECTIONS",
    "MAX_BATCH_BYTES",
    "MAX_WRITER_CONNECTIONS",
    "Batcher",
]

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE_ROWS = 5000
DEFAULT_WRITER_CONNECTIONS = 2
MAX_WRITER_CONNECTIONS = 4
"""Batches in flight at most: each holds up to `MAX_BATCH_BYTES` of input in memory, and
ERP merges take turns, so more connections add memory, not speed."""
DEADLOCK_ATTEMPTS = 3
"""Transactions a batch may start: a deadlock with a concurrent writer rolls one back."""
MAX_BATCH_BYTES = 12 * 1024 * 1024
"""Input bytes held before a flush whatever `batch_size_rows` says: caps memory."""


class _Flight(NamedTuple):
    """A batch being written: its future, its connection, the STATE that followed it."""

    future: Future[ApplyResult]
    connection: psycopg.Connection[Any]
    state: dict[str, Any] | None


class Batcher:
    """Buffers a run's records into batches and writes them, STATE following commits."""

    def __init__(  # noqa: PLR0913 - a run's settings, each named
        self,
        config: Mapping[str, Any],
        settings: WriterSettings,
        *,
        batch_rows: int,
        writer_connections: int,
        emit_state: Callable[[dict[str, Any]], None],
        on_failure: Callable[[str], None],
        started_payload: dict[str, Any],
    ) -> None:
        """Keep the run's settings; the database is reached on first need, not here.

        `emit_state` writes a STATE message (the target's stdout); `on_failure` is told
        why a batch could not be prepared or written, before the error propagates;
        `started_payload` is published as `tds.zoho.sync.started` once the database is
        migrated.
        """
        self._config = config
        self.settings = settings
        self._batch_rows = batch_rows
        self._parallel = writer_connections
        self._emit = emit_state
        self._on_failure = on_failure
        self._started_payload = started_payload
        # ERP merges take turns with this run's other batches, other runs and the
        # webhook service: merged concurrently they lock shared parents in any order.
        self.writer = ErpWriter(settings, exclusive_erp_phase=True)
        self.exit = contextlib.ExitStack()
        self._connection: psycopg.Connection[Any] | None = None
        self._url = ""
        self._extra_connections: list[psycopg.Connection[Any]] = []
        """Writer connections opened beyond the first (the main one), busy or free."""
        self.streams: dict[str, RawStream] = {}
        self._pending: dict[str, list[Incoming]] = {}
        self._pending_rows = 0
        self._pending_bytes = 0
        self._unsent_state: dict[str, Any] | None = None
        self.totals = ApplyResult()
        self.received: Counter[str] = Counter()
        self._executor = ThreadPoolExecutor(max_workers=self._parallel,
                                            thread_name_prefix="erp-writer")
        self.exit.callback(self._executor.shutdown, wait=True)
        self._flights: deque[_Flight] = deque()
        """Batches being written, oldest first: their STATEs are emitted in this order."""

    # ------------------------------------------------------------------ database

    @property
    def connected(self) -> psycopg.Connection[Any] | None:
        """The run's main connection if it was opened and is still open."""
        connection = self._connection
        return connection if connection is not None and not connection.closed else None

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The run's main connection: migrated, with sync.started published."""
        if self._connection is None:
            self._url = self.exit.enter_context(resolved_database_url(self._config))
            connection = connect(self._url)
            self.exit.callback(connection.close)
            migrate(connection, self.settings.erp_schema, self.settings.raw_schema)
            with connection.transaction():
                publish(connection, self.settings.erp_schema, self.settings.notify_channel,
                        SYNC_STARTED, self._started_payload)
            self._connection = connection
        return self._connection

    def _free_connection(self) -> psycopg.Connection[Any]:
        """A writer connection no batch in flight is using (opened on first need)."""
        busy = {id(flight.connection) for flight in self._flights}
        for connection in (self.connection, *self._extra_connections):
            if id(connection) not in busy:
                return connection
        connection = connect(self._url)
        self.exit.callback(connection.close)
        self._extra_connections.append(connection)
        return connection

    # ------------------------------------------------------------------ messages

    def declare(
        self, stream: str, keys: list[str], bookmarks: list[str] | None
    ) -> None:
        """A SCHEMA: create or adapt the stream's landing table (after pending records)."""
        current = self.streams.get(stream)
        if current is not None and current.key_properties == tuple(keys):
            return  # a repeated or widened schema: the raw record keeps every field
        if current is not None and self._pending.get(stream):
            self.flush()  # pending records were keyed by the old key
        self.wait_in_flight()  # writer threads own the connections while writing
        connection = self.connection
        with connection.transaction():
            self.streams[stream] = self.writer.ensure_stream(connection, stream, keys, bookmarks)

    def add(self, info: RawStream, item: Incoming, line_bytes: int) -> None:
        """A RECORD of a declared stream: buffer it; hand a full buffer to a writer."""
        self._pending.setdefault(info.stream, []).append(item)
        self.received[info.stream] += 1
        self._pending_rows += 1
        self._pending_bytes += line_bytes
        if self._pending_rows >= self._batch_rows or self._pending_bytes >= MAX_BATCH_BYTES:
            self.flush(wait=False)

    def state(self, value: dict[str, Any]) -> None:
        """A STATE: emitted once every record before it has committed."""
        self._unsent_state = value
        if not self._pending and not self._flights:
            self._emit_state()  # everything before it is already committed

    def activate_version(self, stream: str, version: int) -> int:
        """ACTIVATE_VERSION: after every record before it, soft-delete older versions."""
        self.flush()
        connection = self.connection
        with connection.transaction():
            result = self.writer.soft_delete_unseen(connection, stream, version)
        return result.raw_written

    # ------------------------------------------------------------------ draining

    def flush(self, *, wait: bool = True) -> None:
        """Hand pending records to a writer thread; STATE follows their commit.

        The batch is mapped here (Python) and written by a writer thread (mostly
        waiting on PostgreSQL), so the next batch is parsed and mapped while earlier
        ones commit. Up to `writer_connections` batches are in flight, each in its own
        connection and transaction: one batch's raw landing (most of PostgreSQL's work:
        parsing jsonb) runs while another merges its ERP rows. Memory stays bounded by
        that number of batches. A STATE is emitted only after the transactions holding
        every record before it have committed. `wait=False` returns without waiting for
        the new batch.
        """
        prepared: PreparedBatch | None = None
        if self._pending:
            _ = self.connection  # connected and migrated before any batch
            try:
                prepared = self.writer.prepare(self._pending)
            except Exception as error:
                self._on_failure(failure_reason(error))
                raise
            self._pending = {}
            self._pending_rows = 0
            self._pending_bytes = 0
        if prepared is None:
            self.wait_in_flight()
            self._emit_state()
            return
        while len(self._flights) >= self._parallel:
            self._wait_oldest()
        connection = self._free_connection()
        state, self._unsent_state = self._unsent_state, None
        future = self._executor.submit(self.execute, connection, prepared)
        self._flights.append(_Flight(future, connection, state))
        if wait:
            self.wait_in_flight()

    def execute(
        self, connection: psycopg.Connection[Any], prepared: PreparedBatch
    ) -> ApplyResult:
        """Writer thread: one batch, one transaction (again after a deadlock).

        Concurrent batches rarely meet (their ERP merges take turns), but two raw
        landings of the same keys in opposite orders can deadlock; PostgreSQL then rolls
        one back, and that batch is written again from the same prepared rows. A batch
        the database refuses because of a record in it is written again without that
        record (`ErpWriter.execute_isolating`), which is rejected instead.
        """
        attempt = 1
        while True:
            try:
                with connection.transaction():
                    return self.writer.execute(connection, prepared)
            except RECORD_ERRORS as error:
                logger.warning(
                    "A batch of %s was refused by the database (%s): writing it again in"
                    " parts to reject only the records it refuses",
                    dict(prepared.stream_counts),
                    one_line(redact(error.diag.message_primary or str(error))),
                )
                with connection.transaction():
                    return self.writer.execute_isolating(connection, prepared)
            except errors.DeadlockDetected as error:
                if attempt >= DEADLOCK_ATTEMPTS:
                    raise
                attempt += 1
                logger.warning(
                    "A batch of %s met a concurrent writer (%s): rolled back, writing it"
                    " again (attempt %d of %d)", dict(prepared.stream_counts),
                    error.diag.message_primary, attempt, DEADLOCK_ATTEMPTS,
                )

    def _wait_oldest(self) -> None:
        """Wait for the oldest batch in flight; then emit the STATE that followed it."""
        flight = self._flights.popleft()
        try:
            result = flight.future.result()
        except Exception as error:
            self.writer.registry.forget()
            self._on_failure(failure_reason(error))
            raise
        self.totals.add(result)
        if flight.state is not None:
            self._emit(flight.state)

    def wait_in_flight(self) -> None:
        """Wait for every batch in flight, oldest first, emitting their STATEs in order."""
        while self._flights:
            self._wait_oldest()

    def _emit_state(self) -> None:
        if self._unsent_state is not None:
            self._emit(self._unsent_state)
            self._unsent_state = None

    def abandon_in_flight(self) -> None:
        """After a failure: let batches in flight end (their errors are reported already)."""
        while self._flights:
            with contextlib.suppress(Exception):
                self._flights.popleft().future.result()

    def publish_last(self, event_type: str, payload: dict[str, Any]) -> None:
        """Publish the run's last event (completed or failed) on the main connection."""
        connection = self.connected
        if connection is not None:
            with connection.transaction():
                publish(connection, self.settings.erp_schema, self.settings.notify_channel,
                        event_type, payload)
