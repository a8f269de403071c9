"""target-tsh-erp: lands Zoho records raw and maps them into the ERP's tables.

The SDK's sinks are bypassed on purpose: every stream of a batch is written in ONE
transaction (raw and ERP layers together, parents before children), and STATE is
emitted only after the transaction holding the records before it has committed
(`batching`). This module is the SDK glue: settings, Singer message checks, the end of
the run and the CLI. The SDK still provides the CLI, `--about`, settings and config
validation.
"""

from __future__ import annotations

import contextlib
import gc
import re
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import psycopg
from typing_extensions import override

from target_tsh_erp.batching import (
    DEFAULT_BATCH_SIZE_ROWS,
    DEFAULT_WRITER_CONNECTIONS,
    MAX_WRITER_CONNECTIONS,
    Batcher,
)
from target_tsh_erp.protocol import (
    InvalidSchemaMessageError,
    LineReader,
    MalformedLineError,
    MissingKeyPropertyError,
    RecordBeforeSchemaError,
)
from target_tsh_erp.redaction import failure_reason, one_line, redact
from target_tsh_erp.sdk import ConfigValidationError, Target, th
from target_tsh_erp.settings import (
    DEFAULT_EMBEDDED_DATA_DIR,
    DEFAULT_ERP_SCHEMA,
    DEFAULT_NOTIFY_CHANNEL,
    DEFAULT_RAW_SCHEMA,
    WriterSettings,
    env_name,
)
from target_tsh_erp.store import ApplyResult, Incoming, PreparedBatch
from target_tsh_erp.store.events import SYNC_COMPLETED, SYNC_FAILED

if TYPE_CHECKING:
    from types import FrameType

__all__ = ["TargetTshErp", "setting_problems"]

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
            default=DEFAULT_ERP_SCHEMA,
            description="Schema of the mapped ERP tables and the event outbox.",
        ),
        th.Property(
            "raw_schema",
            th.StringType,
            default=DEFAULT_RAW_SCHEMA,
            description="Schema of the raw landing tables (one per stream) and rejects.",
        ),
        th.Property(
            "notify_channel",
            th.StringType,
            default=DEFAULT_NOTIFY_CHANNEL,
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
        self._settings = WriterSettings.from_config(self.config)
        self._batcher = Batcher(
            self.config,
            self._settings,
            batch_rows=int(self.config.get("batch_size_rows") or DEFAULT_BATCH_SIZE_ROWS),
            writer_connections=min(MAX_WRITER_CONNECTIONS, max(1, int(
                self.config.get("writer_connections") or DEFAULT_WRITER_CONNECTIONS))),
            emit_state=self._write_state_message,
            on_failure=self._fail,
            started_payload={"target": self.name},
        )
        self._writer = self._batcher.writer
        self._started_at = time.monotonic()
        self._failed = False
        reader = self.message_reader
        if isinstance(reader, LineReader):
            reader.on_error = self._commit_before_failure

    def _execute(
        self, connection: psycopg.Connection[Any], prepared: PreparedBatch
    ) -> ApplyResult:
        """One batch in one transaction, as a writer thread writes it (see `Batcher`)."""
        return self._batcher.execute(connection, prepared)

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
        self._batcher.declare(stream, keys, bookmarks)

    @override
    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        stream = message_dict.get("stream")
        info = self._batcher.streams.get(stream) if isinstance(stream, str) else None
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
        reader = self.message_reader
        self._batcher.add(
            info,
            Incoming(record, version if isinstance(version, int) else None),
            reader.line_bytes if isinstance(reader, LineReader) else 0,
        )

    @override
    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        value = message_dict.get("value")
        if not isinstance(value, dict):
            msg = f"line {self._line()}: STATE message without a 'value' object"
            raise MalformedLineError(msg)
        self._batcher.state(value)

    @override
    def _process_activate_version_message(self, message_dict: dict[str, Any]) -> None:
        stream = message_dict.get("stream")
        version = message_dict.get("version")
        if not isinstance(stream, str) or stream not in self._batcher.streams:
            msg = f"line {self._line()}: ACTIVATE_VERSION for unknown stream {stream!r}"
            raise RecordBeforeSchemaError(msg)
        if not isinstance(version, int):
            msg = f"line {self._line()}: ACTIVATE_VERSION of {stream!r} without an integer version"
            raise MalformedLineError(msg)
        deleted = self._batcher.activate_version(stream, version)
        self.logger.info("Stream %s version %d: %d rows of older versions soft-deleted",
                         stream, version, deleted)

    @override
    def _process_batch_message(self, message_dict: dict[str, Any]) -> None:
        msg = f"line {self._line()}: BATCH messages are not supported by {self.name}"
        raise MalformedLineError(msg)

    # ------------------------------------------------------------------ end of run

    def _commit_before_failure(self, error: Exception) -> None:
        """A line failed: commit what was complete before it, then report failure.

        Whatever failed (a protocol error, a stream name the database refuses), the
        records received before that line are committed and the STATE that followed
        them is emitted, so a rerun resumes after them instead of before the last flush.
        A failed batch has reported itself already and nothing more is written.
        """
        if self._failed:
            return
        try:
            self._batcher.flush()
        finally:
            self._fail(failure_reason(error))

    def _fail(self, reason: str) -> None:
        """Publish `tds.zoho.sync.failed` (once) and release the run's connections."""
        if self._failed:
            return
        self._failed = True
        self._batcher.abandon_in_flight()
        with contextlib.suppress(psycopg.Error):
            self._batcher.publish_last(
                SYNC_FAILED, {"target": self.name, "reason": redact(reason),
                              "line": self._line()})
        self._batcher.exit.close()

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM/SIGINT: commit what is pending and emit its state before exiting."""
        self.logger.info("Received termination signal %d: committing pending records", signum)
        try:
            self._batcher.flush()
        finally:
            super()._handle_termination(signum, frame)

    @override
    def process_endofpipe(self) -> None:
        try:
            self._batcher.flush()
            self._batcher.publish_last(SYNC_COMPLETED, self._summary())
        except Exception as error:
            self._fail(failure_reason(error))
            raise
        self._report()
        self._batcher.exit.close()

    def _summary(self) -> dict[str, Any]:
        totals = self._batcher.totals
        return {
            "target": self.name,
            "received": dict(self._batcher.received),
            "raw_written": totals.raw_written,
            "erp_written": dict(totals.erp_written),
            "rejected": len(totals.rejects),
            "seconds": round(time.monotonic() - self._started_at, 3),
        }

    def _report(self) -> None:
        """The end-of-run summary, rejects included (never a silent drop)."""
        summary = self._summary()
        self.logger.info("Run summary: %s", summary)
        rejects = self._batcher.totals.rejects
        if rejects:
            per_stream = Counter(reject.stream for reject in rejects)
            self.logger.warning(
                "%d records rejected (kept in %s.rejects and in their raw tables): %s",
                len(rejects), self._settings.raw_schema, dict(per_stream),
            )
            for reject in rejects[:20]:
                self.logger.warning("  %s %s: %s", reject.stream, reject.key, reject.reason)

    # ------------------------------------------------------------------ CLI

    @override
    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the target; any failure ends with one line naming it, not a traceback.

        The line is redacted (a database error may quote the connection string) and a
        setting the SDK's validation refused is named with its environment variable.
        """
        try:
            super().invoke(*args, **kwargs)
        except ConfigValidationError as error:
            cls.logger.error("%s stopped: %s", cls.name, setting_problems(error))  # noqa: TRY400
            raise SystemExit(1) from None
        except Exception as error:  # noqa: BLE001 - the one place every failure becomes one line
            cls.logger.error("%s stopped: %s", cls.name, failure_reason(error))  # noqa: TRY400
            raise SystemExit(1) from None


def setting_problems(error: ConfigValidationError) -> str:
    """The SDK's config errors on one line, each setting named with its variable."""
    problems = []
    for problem in error.errors:
        found = re.search(r"config\['([^']+)'\]", problem)
        if found:
            name = found.group(1)
            problem = problem.replace(  # noqa: PLW2901 - the same problem, named
                found.group(0), f"setting {name} (env {env_name(name)})")
        problems.append(problem)
    return one_line(redact("; ".join(problems) or str(error)))
