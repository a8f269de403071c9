"""Say a child stream's SCHEMA once, and its per-parent-record SDK lines at DEBUG.

Why: the SDK syncs a child stream once per parent record, and each of those small syncs
writes the same SCHEMA message again and logs three INFO lines ("Beginning sync of ...
with context keys", "Starting incremental sync of ...", a record-count METRIC). At the
pipeline benchmark's 57,327 records that was 17,345 identical SCHEMA messages (28 MB of
the tap's 100 MB of output) and 69,400 of the tap's 69,700 log lines. Under
`meltano run` every one of those lines passes through Meltano's own process (stdout is
read line by line and copied to the target; with `structured-logging` every log line is
parsed and written again to the console and `.meltano/logs/meltano.jsonl`), so on a
loaded machine they cost Meltano more than the whole bare pipe pays for them.

What changes for a reader of the output: nothing a Singer target needs. A SCHEMA
message is still sent before a stream's first record and again whenever the schema,
its key properties or bookmark properties change; a target keeps the last schema it was
given (the SDK's targets ignore an unchanged one). The per-parent lines stay available
at DEBUG (when the tap logs at DEBUG); the tap's own per-stream and per-organization
summaries ("done <stream> org ...") stay at INFO.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream
from singer_sdk.metrics import METRICS_LOGGER_NAME, Point
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Iterable

PER_CONTEXT_MESSAGES = frozenset({
    "Beginning sync of '%s' in %s mode with context keys: %s",
    "Starting incremental sync of '%s' with bookmark value: %s",
})
"""The SDK's message templates (singer-sdk 0.54) that a child stream logs per parent."""


class SchemaSentOnce(Stream):
    """Write a stream's SCHEMA message only when it differs from the one last written."""

    _schemas_sent: dict[str, dict[str, Any]] | None = None

    @override
    def _write_schema_message(self) -> None:
        """The SDK's messages, minus those this stream already wrote unchanged."""
        sent = self._schemas_sent
        if sent is None:
            sent = self._schemas_sent = {}
        for message in self._generate_schema_messages():
            body = message.to_dict()
            if sent.get(message.stream) == body:
                continue
            self._tap.write_message(message)
            sent[message.stream] = body


class ChildStreamLines(logging.Filter):
    """Turn a child stream's per-parent INFO lines into DEBUG lines.

    One instance per process (the loggers are process-wide); taps add their child
    streams' names to it.
    """

    names: ClassVar[set[str]] = set()

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every other line; a per-parent line only when DEBUG is on."""
        if record.levelno != logging.INFO or not self._per_parent(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)

    def _per_parent(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not args:
            return False
        first = args[0]
        if isinstance(first, Point):
            return first.tags.get("stream") in self.names
        return record.msg in PER_CONTEXT_MESSAGES and first in self.names


_FILTER = ChildStreamLines()


def quiet_child_streams(streams: Iterable[Stream]) -> None:
    """Install the filter on the metrics logger and on each child stream's logger.

    The SDK logs a stream's lines on `<tap>.<stream>` and metrics on its metrics logger;
    a logger's filters see only what is logged on that logger itself, hence one per
    child stream.
    """
    metrics_logger = logging.getLogger(METRICS_LOGGER_NAME)
    if _FILTER not in metrics_logger.filters:
        metrics_logger.addFilter(_FILTER)
    for stream in streams:
        if stream.parent_stream_type is None:
            continue
        ChildStreamLines.names.add(stream.name)
        if _FILTER not in stream.logger.filters:
            stream.logger.addFilter(_FILTER)
