"""Singer messages exactly as tap-zoho emits them, for the target benchmarks.

A load benchmark is only honest if every loader reads what the real tap writes: the
tap's full discovered schema (typed properties from Zoho's OAS, so target-postgres
creates and fills one typed column per property and validates every record against
it) and records shaped by the tap's own `post_process` (UTC datetimes, numbers parsed,
properties outside the schema dropped). So the SCHEMA messages come from the tap's
streams and every record goes through the tap's normalizer; a sample of records is
validated with the SDK's own record validator (the one target-postgres runs), and a
record that does not conform stops the benchmark before any loader runs.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from singer_sdk.sinks.core import JSONSchemaValidator

from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk import Stream

__all__ = ["NonConformingRecordError", "TapOutput", "validated_counts"]

SAMPLE_EVERY = 997
"""Validate the first records of each stream and then one in this many (a prime)."""
SAMPLE_FIRST = 200


class NonConformingRecordError(RuntimeError):
    """A generated record the tap's schema rejects: the benchmark would not be honest."""


@cache
def _tap(seed: int, organization_id: str) -> TapZoho:
    """The tap after its discovery against an emulator serving the benchmark's data.

    Discovery may ask Zoho for the organization's custom fields (typed `cf_*`
    properties): it runs against an emulator with the same seed as the records, so the
    SCHEMA messages are what the tap would send for that organization. Records are then
    shaped offline by the streams' own `post_process`.
    """
    logging.getLogger("tap_zoho").setLevel(logging.WARNING)
    with run_emulator(seed=seed, requests_per_minute=0) as zoho:
        tap = TapZoho(config=emulator_config(zoho.base_url, products=["books", "inventory"],
                                             organization_ids=[organization_id]),
                      validate_config=True)
        _ = tap.streams  # discovery happens here, while the emulator serves it
    return tap


class TapOutput:
    """The tap's SCHEMA message, records and validation for one stream."""

    def __init__(self, stream_name: str, *, seed: int, organization_id: str) -> None:
        """Take the stream (schema, key, normalizer) from the tap as discovery left it."""
        self.stream: Stream = _tap(seed, organization_id).streams[stream_name]
        self.name = stream_name
        self._validator = JSONSchemaValidator(self.stream.schema, validate_formats=True)
        self._date_times = [
            name for name, prop in self.stream.schema["properties"].items()
            if prop.get("format") == "date-time"
        ]
        self.validated = 0
        self._seen = 0

    def schema_message(self) -> dict[str, Any]:
        """The SCHEMA message the tap writes for this stream (schema, key, bookmark)."""
        message = next(iter(self.stream._generate_schema_messages()))  # noqa: SLF001 - the tap's own
        return message.to_dict()

    @property
    def key_properties(self) -> list[str]:
        """The stream's primary key as the tap declares it."""
        return list(self.stream.primary_keys or [])

    def record(self, zoho_row: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        """A Zoho response row as the tap emits it (the stream's `post_process`)."""
        record = self.stream.post_process(dict(zoho_row), context)
        if record is None:
            msg = f"{self.name}: post_process dropped a record"
            raise NonConformingRecordError(msg)
        self._seen += 1
        if self._seen <= SAMPLE_FIRST or self._seen % SAMPLE_EVERY == 0:
            self.validate(record)
        return record

    def validate(self, record: dict[str, Any]) -> None:
        """Fail loudly if the record breaks the tap's schema (target-postgres would too).

        Raises:
            NonConformingRecordError: the record does not conform to the schema.
        """
        try:
            self._validator.validate(record)
        except Exception as error:
            msg = f"{self.name}: generated record does not conform to the tap's schema: {error}"
            raise NonConformingRecordError(msg) from error
        for name in self._date_times:
            value = record.get(name)
            if value is not None and datetime.fromisoformat(value).utcoffset() is None:
                msg = f"{self.name}: {name} {value!r} has no UTC offset"
                raise NonConformingRecordError(msg)
        unknown = set(record) - set(self.stream.schema["properties"])
        if unknown:
            msg = f"{self.name}: properties outside the tap's schema: {sorted(unknown)}"
            raise NonConformingRecordError(msg)
        self.validated += 1


def validated_counts(outputs: Iterable[TapOutput]) -> dict[str, int]:
    """Records validated per stream (printed with the results)."""
    return {output.name: output.validated for output in outputs}
