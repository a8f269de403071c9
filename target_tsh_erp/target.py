"""target-tsh-erp: lands Zoho records raw and maps them into the ERP's tables.

The SDK's sinks are bypassed on purpose: every stream of a batch is written in ONE
transaction (raw and ERP layers together, parents before children), and STATE is
emitted only after the transaction holding the records before it has committed. The SDK
still provides the CLI, `--about`, settings and config validation.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple

import psycopg
from psycopg import errors
from singer_sdk import Target
from singer_sdk import typing as th
from typing_extensions import override

from target_tsh_erp.database import DEFAULT_EMBEDDED_DATA_DIR, connect, embedded
from target_tsh_erp.events import SYNC_COMPLETED, SYNC_FAILED, SYNC_STARTED, publish
from target_tsh_erp.migrations import migrate
from target_tsh_erp.protocol import (
    InvalidSchemaMessageError,
    LineReader,
    MalformedLineError,
    MissingKeyPropertyError,
    ProtocolError,
    RecordBeforeSchemaError,
)
from target_tsh_erp.writer import (
    ApplyResult,
    ErpWriter,
    Incoming,
    PreparedBatch,
    WriterSettings,
)

if TYPE_CHECKING:
    from types import FrameType

    from target_tsh_erp.raw import RawStream

__all__ = ["TargetTshErp"]

DEFAULT_BATCH_SIZE_ROWS = 5000
DEFAULT_WRITER_CONNECTIONS = 2
MAX_WRITER_CONNECTIONS = 4
"""Batches in flight at most: each holds up to `MAX_BATCH_BYTES` of input in memory, and
ERP merges take turns, so more connections add memory, not speed."""
DEADLOCK_ATTEMPTS = 3
"""Transactions a batch may start: a deadlock with a concurrent writer rolls one back."""
MAX_BATCH_BYTES = 12 * 1024 * 1024
"""Input bytes held before a flush whatever `batch_size_rows` says: caps memory."""
GC_YOUNG_THRESHOLD = 50_000
"""Allocations between young-generation collections (Python's default is 700).

Every record is a tree of fresh dicts and lists and its mapping adds tuples: with the
default, the cyclic collector ran every few records and walked the batch held in
memory, about 10 us of CPU per record. Parsed JSON holds no reference cycles, so
collecting less often frees the same memory (reference counting frees it) for less.
"""
GIL_SWITCH_INTERVAL_S = 0.0005
"""How long the reading thread may hold the GIL while the writer thread waits for it.

The writer thread mostly waits on PostgreSQL; each time a statement or a COPY chunk
returns it needs the GIL back, which the CPU-bound reading thread gives up only every
switch interval (5 ms by default), and PostgreSQL sits idle meanwhile.
"""


class _Flight(NamedTuple):
    """A batch being written: its future, its connection, the STATE that followed it."""

    future: Future[ApplyResult]
    connection: psycopg.Connection[Any]
    state: dict[str, Any] | None


class TargetTshErp(Target):
    """Singer target for the TSH ERP database (raw `zoho_raw` + mapped `erp`)."""

    name = "target-tsh-erp"
    message_reader_class = LineReader

    config_jsonschema = th.PropertiesList(
        th.Property(
            "database_url",
            th.StringType,
            secret=True,
            description=(
                "PostgreSQL URL (postgresql://user:pass@host/db). When unset, an embedded "
                "PostgreSQL is started under `embedded_data_dir` for the run."
            ),
        ),
        th.Property(
            "embedded_data_dir",
            th.StringType,
            default=DEFAULT_EMBEDDED_DATA_DIR,
            description="Data folder of the embedded PostgreSQL (relative to the cwd).",
        ),
        th.Property(
            "erp_schema",
            th.StringType,
            default="erp",
            description="Schema of the mapped ERP tables and the event outbox.",
        ),
        th.Property(
            "raw_schema",
            th.StringType,
            default="zoho_raw",
            description="Schema of the raw landing tables (one per stream) and rejects.",
        ),
        th.Property(
            "notify_channel",
            th.StringType,
            default="tds_zoho_events",
            description="PostgreSQL NOTIFY channel announcing tds.zoho.* events.",
        ),
        th.Property(
            "batch_size_rows",
            th.IntegerType,
            default=DEFAULT_BATCH_SIZE_ROWS,
            description=(
                "Records per transaction (all streams together). Input is also flushed "
                "every 12 MB, so memory stays bounded whatever this says."
            ),
        ),
        th.Property(
            "writer_connections",
            th.IntegerType,
            default=DEFAULT_WRITER_CONNECTIONS,
            description=(
                "Batches written at once, each in its own connection and transaction "
                "(raw landing in parallel, ERP merges one at a time; 1 to 4). STATE still "
                "follows the commit of every record before it. 1 writes one batch at a time."
            ),
        ),
    ).to_dict()

    def __init__(self, **kwargs: Any) -> None:  # noqa: ANN401 - SDK signature
        """Prepare buffers; the database is reached on the first message, not here."""
        super().__init__(**kwargs)
        gc.freeze()  # the SDK's and psycopg's long-lived objects: never walked again
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        self._settings = WriterSettings(
            erp_schema=str(self.config.get("erp_schema") or "erp"),
            raw_schema=str(self.config.get("raw_schema") or "zoho_raw"),
            notify_channel=str(self.config.get("notify_channel") or "tds_zoho_events"),
        )
        self._parallel = min(MAX_WRITER_CONNECTIONS, max(1, int(
            self.config.get("writer_connections") or DEFAULT_WRITER_CONNECTIONS)))
        # ERP merges take turns with this run's other batches, other runs and the
        # webhook service: merged concurrently they lock shared parents in any order.
        self._writer = ErpWriter(self._settings, exclusive_erp_phase=True)
        self._batch_rows = int(self.config.get("batch_size_rows") or DEFAULT_BATCH_SIZE_ROWS)
        self._exit = contextlib.ExitStack()
        self._connection: psycopg.Connection[Any] | None = None
        self._url = ""
        self._extra_connections: list[psycopg.Connection[Any]] = []
        """Writer connections opened beyond the first (the main one), busy or free."""
        self._streams: dict[str, RawStream] = {}
        self._pending: dict[str, list[Incoming]] = {}
        self._pending_rows = 0
        self._pending_bytes = 0
        self._unsent_state: dict[str, Any] | None = None
        self._totals = ApplyResult()
        self._received: Counter[str] = Counter()
        self._started_at = time.monotonic()
        self._failed = False
        self._executor = ThreadPoolExecutor(max_workers=self._parallel,
                                            thread_name_prefix="erp-writer")
        self._exit.callback(self._executor.shutdown, wait=True)
        self._flights: deque[_Flight] = deque()
        """Batches being written, oldest first: their STATEs are emitted in this order."""
        reader = self.message_reader
        if isinstance(reader, LineReader):
            reader.on_error = self._commit_before_failure

    # ------------------------------------------------------------------ database

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The run's connection: migrated, with sync.started published."""
        if self._connection is None:
            url = self.config.get("database_url")
            if not url:
                data_dir = str(self.config.get("embedded_data_dir") or DEFAULT_EMBEDDED_DATA_DIR)
                url = self._exit.enter_context(embedded(data_dir)).url
            self._url = str(url)
            connection = connect(self._url)
            self._exit.callback(connection.close)
            migrate(connection, self._settings.erp_schema, self._settings.raw_schema)
            with connection.transaction():
                publish(connection, self._settings.erp_schema, self._settings.notify_channel,
                        SYNC_STARTED, {"target": self.name})
            self._connection = connection
        return self._connection

    # ------------------------------------------------------------------ messages

    def _line(self) -> int:
        reader = self.message_reader
        return reader.line_number if isinstance(reader, LineReader) else 0

    @override
    def _process_schema_message(self, message_dict: dict[str, Any]) -> None:
        stream = message_dict.get("stream")
        schema = message_dict.get("schema")
        if not isinstance(stream, str) or not stream:
            msg = f"line {self._line()}: SCHEMA message without a stream name"
            raise MalformedLineError(msg)
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            msg = f"line {self._line()}: SCHEMA of stream {stream!r} has no 'properties' object"
            raise InvalidSchemaMessageError(msg)
        keys = message_dict.get("key_properties") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            msg = f"line {self._line()}: SCHEMA of stream {stream!r}: bad key_properties {keys!r}"
            raise InvalidSchemaMessageError(msg)
        bookmarks = message_dict.get("bookmark_properties") or None
        current = self._streams.get(stream)
        if current is not None and current.key_properties == tuple(keys):
            return  # a repeated or widened schema: the raw record keeps every field
        if current is not None and self._pending.get(stream):
            self._flush()  # pending records were keyed by the old key
        self._wait_in_flight()  # writer threads own the connections while writing
        connection = self.connection
        with connection.transaction():
            self._streams[stream] = self._writer.ensure_stream(connection, stream, keys, bookmarks)

    @override
    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        stream = message_dict.get("stream")
        info = self._streams.get(stream) if isinstance(stream, str) else None
        if info is None:
            msg = (
                f"line {self._line()}: RECORD for stream {stream!r} before its SCHEMA "
                "(check that the tap implements the Singer spec)"
            )
            raise RecordBeforeSchemaError(msg)
        record = message_dict.get("record")
        if not isinstance(record, dict):
            msg = f"line {self._line()}: RECORD of stream {stream!r} has no 'record' object"
            raise MalformedLineError(msg)
        for name in info.key_properties:
            if record.get(name) is None:
                msg = (
                    f"line {self._line()}: RECORD of stream {stream!r} is missing key "
                    f"property {name!r} (key: {list(info.key_properties)})"
                )
                raise MissingKeyPropertyError(msg)
        version = message_dict.get("version")
        self._pending.setdefault(info.stream, []).append(
            Incoming(record, version if isinstance(version, int) else None)
        )
        self._received[info.stream] += 1
        self._pending_rows += 1
        reader = self.message_reader
        self._pending_bytes += reader.line_bytes if isinstance(reader, LineReader) else 0
        if self._pending_rows >= self._batch_rows or self._pending_bytes >= MAX_BATCH_BYTES:
            self._flush(wait=False)

    @override
    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        value = message_dict.get("value")
        if not isinstance(value, dict):
            msg = f"line {self._line()}: STATE message without a 'value' object"
            raise MalformedLineError(msg)
        self._unsent_state = value
        if not self._pending and not self._flights:
            self._emit_state()  # everything before it is already committed

    @override
    def _process_activate_version_message(self, message_dict: dict[str, Any]) -> None:
        stream = message_dict.get("stream")
        version = message_dict.get("version")
        if not isinstance(stream, str) or stream not in self._streams:
            msg = f"line {self._line()}: ACTIVATE_VERSION for unknown stream {stream!r}"
            raise RecordBeforeSchemaError(msg)
        if not isinstance(version, int):
            msg = f"line {self._line()}: ACTIVATE_VERSION of {stream!r} without an integer version"
            raise MalformedLineError(msg)
        self._flush()
        connection = self.connection
        with connection.transaction():
            result = self._writer.soft_delete_unseen(connection, stream, version)
        self.logger.info("Stream %s version %d: %d rows of older versions soft-deleted",
                         stream, version, result.raw_written)

    @override
    def _process_batch_message(self, message_dict: dict[str, Any]) -> None:
        msg = f"line {self._line()}: BATCH messages are not supported by {self.name}"
        raise MalformedLineError(msg)

    # ------------------------------------------------------------------ draining

    def _flush(self, *, wait: bool = True) -> None:
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
                prepared = self._writer.prepare(self._pending)
            except Exception as error:
                self._fail(f"{type(error).__name__}: {error}")
                raise
            self._pending = {}
            self._pending_rows = 0
            self._pending_bytes = 0
        if prepared is None:
            self._wait_in_flight()
            self._emit_state()
            return
        while len(self._flights) >= self._parallel:
            self._wait_oldest()
        connection = self._free_connection()
        state, self._unsent_state = self._unsent_state, None
        future = self._executor.submit(self._execute, connection, prepared)
        self._flights.append(_Flight(future, connection, state))
        if wait:
            self._wait_in_flight()

    def _free_connection(self) -> psycopg.Connection[Any]:
        """A writer connection no batch in flight is using (opened on first need)."""
        busy = {id(flight.connection) for flight in self._flights}
        for connection in (self.connection, *self._extra_connections):
            if id(connection) not in busy:
                return connection
        connection = connect(self._url)
        self._exit.callback(connection.close)
        self._extra_connections.append(connection)
        return connection

    def _execute(
        self, connection: psycopg.Connection[Any], prepared: PreparedBatch
    ) -> ApplyResult:
        """Writer thread: one batch, one transaction (again after a deadlock).

        Concurrent batches rarely meet (their ERP merges take turns), but two raw
        landings of the same keys in opposite orders can deadlock; PostgreSQL then rolls
        one back, and that batch is written again from the same prepared rows.
        """
        attempt = 1
        while True:
            try:
                with connection.transaction():
                    return self._writer.execute(connection, prepared)
            except errors.DeadlockDetected as error:
                if attempt >= DEADLOCK_ATTEMPTS:
                    raise
                attempt += 1
                self.logger.warning(
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
            self._writer.registry.forget()
            self._fail(f"{type(error).__name__}: {error}")
            raise
        self._totals.add(result)
        if flight.state is not None:
            self._write_state_message(flight.state)

    def _wait_in_flight(self) -> None:
        """Wait for every batch in flight, oldest first, emitting their STATEs in order."""
        while self._flights:
            self._wait_oldest()

    def _emit_state(self) -> None:
        if self._unsent_state is not None:
            self._write_state_message(self._unsent_state)
            self._unsent_state = None

    def _commit_before_failure(self) -> None:
        """A protocol error: commit what was complete before it, then report failure."""
        try:
            self._flush()
        finally:
            self._fail("protocol error")

    def _fail(self, reason: str) -> None:
        if self._failed:
            return
        self._failed = True
        while self._flights:
            with contextlib.suppress(Exception):  # their errors are already being raised
                self._flights.popleft().future.result()
        if self._connection is not None and not self._connection.closed:
            with contextlib.suppress(psycopg.Error), self._connection.transaction():
                publish(self._connection, self._settings.erp_schema,
                        self._settings.notify_channel, SYNC_FAILED,
                        {"target": self.name, "reason": reason,
                         "line": self._line()})
        self._exit.close()

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM/SIGINT: commit what is pending and emit its state before exiting."""
        self.logger.info("Received termination signal %d: committing pending records", signum)
        try:
            self._flush()
        finally:
            super()._handle_termination(signum, frame)

    @override
    def process_endofpipe(self) -> None:
        try:
            self._flush()
            if self._connection is not None:
                with self._connection.transaction():
                    publish(self._connection, self._settings.erp_schema,
                            self._settings.notify_channel, SYNC_COMPLETED,
                            self._summary())
        except Exception as error:
            self._fail(f"{type(error).__name__}: {error}")
            raise
        self._report()
        self._exit.close()

    def _summary(self) -> dict[str, Any]:
        return {
            "target": self.name,
            "received": dict(self._received),
            "raw_written": self._totals.raw_written,
            "erp_written": dict(self._totals.erp_written),
            "rejected": len(self._totals.rejects),
            "seconds": round(time.monotonic() - self._started_at, 3),
        }

    def _report(self) -> None:
        """The end-of-run summary, rejects included (never a silent drop)."""
        summary = self._summary()
        self.logger.info("Run summary: %s", summary)
        if self._totals.rejects:
            per_stream = Counter(reject.stream for reject in self._totals.rejects)
            self.logger.warning(
                "%d records rejected (kept in %s.rejects and in their raw tables): %s",
                len(self._totals.rejects), self._settings.raw_schema, dict(per_stream),
            )
            for reject in self._totals.rejects[:20]:
                self.logger.warning("  %s %s: %s", reject.stream, reject.key, reject.reason)

    # ------------------------------------------------------------------ CLI

    @override
    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the target; a protocol error ends with its message, not a traceback."""
        try:
            super().invoke(*args, **kwargs)
        except ProtocolError as error:
            cls.logger.error("target-tsh-erp stopped: %s", error)  # noqa: TRY400
            raise SystemExit(1) from None
