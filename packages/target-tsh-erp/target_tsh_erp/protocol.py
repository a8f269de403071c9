"""Singer input: a line reader that counts lines, and the protocol errors it reports.

The SDK's reader parses every float as `Decimal` through the standard `json` module and
its errors name neither the line nor the stream. This reader parses with msgspec, whose
integers have no size limit, and keeps as a `Decimal` exactly the float literals a double
would change (more than 15 significant digits, or beyond a double's range): the raw layer
promises records as received, and the raw record is re-serialised from the parsed value
(ordinary floats keep their shortest repr, as before). Every protocol error names the
input line number and the stream.
"""

from __future__ import annotations

import sys
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec
import orjson

from target_tsh_erp.redaction import ExplainedError
from target_tsh_erp.sdk import (
    GenericSingerReader,
    InvalidJSONSchema,
    MissingKeyPropertiesError,
    RecordsWithoutSchemaException,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "InvalidSchemaMessageError",
    "LineReader",
    "MalformedLineError",
    "MissingKeyPropertyError",
    "ProtocolError",
    "RecordBeforeSchemaError",
    "json_float",
    "loads",
]


class ProtocolError(ExplainedError):
    """Input that breaks the Singer protocol; the run fails after committing what came before."""


class MalformedLineError(ProtocolError, ValueError):
    """A line that is not a JSON object with a `type`."""


class RecordBeforeSchemaError(ProtocolError, RecordsWithoutSchemaException):
    """A RECORD for a stream whose SCHEMA has not been seen."""


class MissingKeyPropertyError(ProtocolError, MissingKeyPropertiesError):
    """A RECORD without one of its stream's key properties."""


class InvalidSchemaMessageError(ProtocolError, InvalidJSONSchema):
    """A SCHEMA message the target cannot create a landing table from."""


_SHORT_FLOAT = 16
"""A float literal this short has at most 15 significant digits: a double keeps them."""
_DOUBLE_MIN, _DOUBLE_MAX = 2.3e-308, 1.7e308


def json_float(text: str) -> float | Decimal:
    """A JSON float literal as a float when a double holds it exactly, else a `Decimal`.

    Called by the decoder for every float literal (about a dozen per Zoho item), so the
    common case (a short literal in a double's normal range) is one `float()` and
    chained comparisons, no further call.
    """
    value = float(text)
    if len(text) <= _SHORT_FLOAT and (
        _DOUBLE_MIN < value < _DOUBLE_MAX or -_DOUBLE_MAX < value < -_DOUBLE_MIN
    ):
        return value
    if not value and not text.strip("+-.0eE"):
        return value  # a zero written as zero (not 1e-400, which a double rounds to 0)
    return Decimal(text)


_DECODER = msgspec.json.Decoder(float_hook=json_float)


def loads(line: str | bytes) -> Any:  # noqa: ANN401 - any JSON value
    """Parse one JSON text without number loss (integers of any size, exact decimals).

    msgspec nests as deep as Python's recursion limit allows; orjson reads up to 1024
    levels, which the target accepts (and stores fitted), so a deeper line falls back to
    orjson and its doubles.

    Raises:
        ValueError: the text is not JSON (msgspec's or orjson's error).
    """
    try:
        return _DECODER.decode(line)
    except RecursionError:
        return orjson.loads(line)


def _shown(line: str | bytes) -> str:
    """The start of a line for an error message (text, whatever the input stream gives)."""
    start = line[:200]
    return start.decode(errors="replace") if isinstance(start, bytes) else start


class LineReader(GenericSingerReader[str]):
    """Reads Singer messages line by line, keeping the current line number."""

    def __init__(self) -> None:
        """Start before line 1; `on_error` is called before any error of a line propagates."""
        super().__init__()
        self.line_number = 0
        self.line_bytes = 0
        self.on_error: Callable[[Exception], None] | None = None

    @property
    def default_input(self) -> Any:  # noqa: ANN401 - a binary stream
        """Standard input as bytes: orjson parses UTF-8 bytes without a decoding pass."""
        return sys.stdin.buffer

    def deserialize_json(self, line: str | bytes) -> dict[str, Any]:
        """One message, or a protocol error naming the line."""
        try:
            message = loads(line)
        except (msgspec.DecodeError, orjson.JSONDecodeError) as error:
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
        """Dispatch each message; on any error let the target commit what came before.

        Not only protocol errors: a stream name the database refuses, or a batch that
        fails, must also end with the complete work before it committed and its STATE
        emitted, never with everything since the last flush lost.
        """
        stats: Counter[str] = Counter()
        for line in file_input or self.default_input:
            self.line_number += 1
            if not line.strip():
                continue
            self.line_bytes = len(line)
            try:
                message_type = self._dispatch(line, callbacks)
            except Exception as error:
                if self.on_error is not None:
                    self.on_error(error)
                raise
            stats[message_type] += 1
        return stats

    def _dispatch(
        self, line: str | bytes, callbacks: dict[str, Callable[[dict[str, Any]], None]]
    ) -> str:
        """Parse one line and hand it to its callback; return its message type."""
        message = self.deserialize_json(line)
        message_type: str = message["type"]
        callback = callbacks.get(message_type)
        if callback is None:
            msg = f"line {self.line_number}: unknown message type {message_type!r}"
            raise MalformedLineError(msg)
        callback(message)
        return message_type
