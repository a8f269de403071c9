"""ACTIVATE_VERSION of full-table streams: sent after a complete sync, never before.

A target soft-deletes the rows a full-table version did not carry. Announced before the
records (the SDK's default), every row would look deleted until re-sent, and for good if
the run stopped early; so the tap holds the version back until the stream is complete.
"""

from __future__ import annotations

import time

from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.testing import run_emulator

FULL_TABLE_STREAM = "books_estimates"


def _positions(messages, kind):
    return [
        index
        for index, message in enumerate(messages)
        if message["type"] == kind and message.get("stream") == FULL_TABLE_STREAM
    ]


def test_version_is_announced_once_after_the_last_record_of_both_organizations():
    with run_emulator(scale=250, requests_per_minute=0, daily_limit=0) as zoho:
        result = run_tap(
            emulator_config(zoho.base_url, products=["books"]), streams={FULL_TABLE_STREAM}
        )
    records = _positions(result.messages, "RECORD")
    versions = _positions(result.messages, "ACTIVATE_VERSION")
    organizations = {result.messages[i]["record"]["organization_id"] for i in records}
    assert organizations == {"10234695", "20987654"}
    assert len(versions) == 1
    assert versions[0] > max(records)
    stamped = {result.messages[i].get("version") for i in records}
    assert stamped == {result.messages[versions[0]]["version"]}


def test_a_full_table_version_is_the_run_start_in_milliseconds():
    """As every other version of the tap (the SDK's own is in seconds): a target reads the
    listing's start from it, and two runs within one second still differ."""
    before = time.time() * 1000
    with run_emulator(scale=20, requests_per_minute=0, daily_limit=0) as zoho:
        result = run_tap(
            emulator_config(zoho.base_url, products=["books"]), streams={FULL_TABLE_STREAM}
        )
    after = time.time() * 1000
    (version,) = {result.messages[i]["version"] for i in _positions(result.messages, "RECORD")}
    (announced,) = [result.messages[i]["version"]
                    for i in _positions(result.messages, "ACTIVATE_VERSION")]
    assert announced == version
    assert before - 1000 <= version <= after


def test_no_version_is_announced_when_the_daily_quota_stops_the_stream():
    with run_emulator(scale=650, requests_per_minute=0, daily_limit=3) as zoho:
        result = run_tap(
            emulator_config(zoho.base_url, products=["books"]), streams={FULL_TABLE_STREAM}
        )
    assert "daily API quota" in result.logs
    assert _positions(result.messages, "RECORD")  # some pages were read before the stop
    assert _positions(result.messages, "ACTIVATE_VERSION") == []
