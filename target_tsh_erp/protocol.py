"""Singer input: a line reader that counts lines, and the protocol errors it reports.

The SDK's reader parses every float as `Decimal` through the standard `json` module and
its errors name neither the line nor the stream. This reader parses with orjson (the raw
record is re-serialised from the parsed value, so floats keep their shortest repr) and
every protocol error names the input line number and the stream.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import orjson
from singer_sdk.exceptions import (
    InvalidJSONSchema,
    MissingKeyPropertiesError,
    RecordsWithoutSchemaException,
)
from singer_sdk.io_base import GenericSingerReader

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "InvalidSchemaMessageError",
    "LineReader",
    "MalformedLineError",
    "MissingKeyPropertyError",
    "ProtocolError",
    "RecordBeforeSchemaError",
]


class ProtocolError(Exception):
    """Input that breaks the Singer protocol; the run fails after committing what came before."""


class MalformedLineError(ProtocolError, ValueError):
    """A line that is not a JSON object with a `type`."""


class RecordBeforeSchemaError(ProtocolError, RecordsWithoutSchemaException):
    """A RECORD for a stream whose SCHEMA has not been seen."""


class MissingKeyPropertyError(ProtocolError, MissingKeyPropertiesError):
    """A RECORD without one of its stream's key properties."""


class InvalidSchemaMessageError(ProtocolError, InvalidJSONSchema):
    """A SCHEMA message the target cannot create a landing table from."""


def _shown(line: str | bytes) -> str:
    """The start of a line for an error message (text, whatever the input stream gives)."""
    start = line[:200]
    return start.decode(errors="replace") if isinstance(start, bytes) else start


class LineReader(GenericSingerReader[str]):
    """Reads Singer messages line by line, keeping the current line number."""

    def __init__(self) -> None:
        """Start before line 1; `on_error` is called before a protocol error propagates."""
        super().__init__()
        self.line_number = 0
        self.line_bytes = 0
        self.on_error: Callable[[], None] | None = None

    @property
    def default_input(self) -> Any:  # noqa: ANN401 - a binary stream
        """Standard input as bytes: orjson parses UTF-8 bytes without a decoding pass."""
        return sys.stdin.buffer

    def deserialize_json(self, line: str | bytes) -> dict[str, Any]:
        """One message, or a protocol error naming the line."""
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            msg = f"line {self.line_number}: malformed JSON ({error}): {_shown(line)!r}"
            raise MalformedLineError(msg) from None
        if not isinstance(message, dict) or "type" not in message:
            msg = f"line {self.line_number}: not a Singer message (no 'type'): {_shown(line)!r}"
            raise MalformedLineError(msg)
        return message

    def process_lines(
        self,
        file_input: Any,  # noqa: ANN401 - a text stream
        callbacks: dict[str, Callable[[dict[str, Any]], None]],
    ) -> Counter[str]:
        """Dispatch each message; on a protocol error let the target commit first."""
        stats: Counter[str] = Counter()
        for line in file_input or self.default_input:
            self.line_number += 1
            if not line.strip():
                continue
            self.line_bytes = len(line)
            try:
                message = self.deserialize_json(line)
                message_type = message["type"]
                callback = callbacks.get(message_type)
                if callback is None:
                    msg = f"line {self.line_number}: unknown message type {message_type!r}"
                    raise MalformedLineError(msg)
                callback(message)
            except ProtocolError:
                if self.on_error is not None:
                    self.on_error()
                raise
            stats[message_type] += 1
        return stats
