"""A child stream's SCHEMA once per change, its per-parent SDK lines at DEBUG (repeats.py).

Why it matters: under `meltano run` every line the tap writes passes through Meltano's
process; the SDK's per-parent repeats were most of them (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
from collections import Counter

from singer_sdk.singerlib import SchemaMessage

from tap_zoho.repeats import ChildStreamLines
from tap_zoho.testing import emulator_config, run_tap

ORG_IN = "10234695"
PARENT = "books_invoices"
LINES = "books_invoice_line_items"
MANIFESTS = "books_invoice_line_manifests"


def _run(zoho):
    config = emulator_config(zoho.base_url, products=["books"], organization_ids=[ORG_IN])
    return run_tap(config, streams={PARENT, LINES, MANIFESTS})


def test_each_stream_schema_is_written_once_and_before_its_records(zoho):
    result = _run(zoho)
    schemas = Counter(m["stream"] for m in result.messages if m["type"] == "SCHEMA")
    assert result.counts[PARENT] > 1  # several parents, so the SDK synced the children often
    assert result.counts[LINES] > result.counts[PARENT]
    assert schemas == {PARENT: 1, LINES: 1, MANIFESTS: 1}
    declared: set[str] = set()
    for message in result.messages:
        if message["type"] == "SCHEMA":
            declared.add(message["stream"])
        elif message["type"] == "RECORD":
            assert message["stream"] in declared, message["stream"]


def test_a_changed_schema_is_written_again(zoho, monkeypatch):
    result = _run(zoho)
    stream = result.tap.streams[LINES]
    first = SchemaMessage(LINES, {"properties": {"a": {"type": "string"}}}, ["a"], None)
    changed = SchemaMessage(LINES, {"properties": {"a": {"type": "integer"}}}, ["a"], None)
    written: list[SchemaMessage] = []
    monkeypatch.setattr(stream._tap, "write_message", written.append)
    for message in (first, first, changed, changed, first):
        monkeypatch.setattr(stream, "_generate_schema_messages", lambda m=message: iter([m]))
        stream._write_schema_message()
    assert written == [first, changed, first]


def test_per_parent_sdk_lines_of_child_streams_are_debug_not_info(zoho):
    result = _run(zoho)
    assert f"Beginning sync of '{PARENT}'" in result.logs  # a top-level stream keeps its line
    assert f"Beginning sync of '{LINES}'" not in result.logs
    assert f"Starting incremental sync of '{LINES}'" not in result.logs
    assert f'"stream":"{LINES}"' not in result.logs  # its per-parent METRIC points
    assert LINES in ChildStreamLines.names
    assert PARENT not in ChildStreamLines.names


def test_per_parent_lines_come_back_at_debug(zoho):
    loggers = [logging.getLogger("tap-zoho"), logging.getLogger("singer_sdk.metrics")]
    before = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
        result = _run(zoho)
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)
    assert f"Beginning sync of '{LINES}'" in result.logs
