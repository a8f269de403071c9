"""`If-Modified-Since` read either way: the bookmark's own second is never lost.

Zoho does not say whether the header lets through records modified in its very second
(register entry `crm.modified-since-inclusive`). The tap sends it at least one second
before the bookmark, even with `lookback_seconds: 0`; the emulator answers at-or-after
by default and strictly after under `crm-modified-since-exclusive`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator

STREAMS = {"crm_leads", "crm_deleted_records"}


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


@pytest.mark.parametrize("exclusive", [False, True], ids=["at-or-after", "strictly-after"])
def test_records_of_the_bookmarks_second_come_back_under_either_reading(exclusive: bool) -> None:  # noqa: FBT001
    answers = frozenset({"crm-modified-since-exclusive"}) if exclusive else frozenset()
    with run_emulator(
        scale=20, requests_per_minute=0, daily_limit=0, token_mint_limit=1_000, answers=answers
    ) as zoho:
        crm = Crm.of(zoho.emulator)
        deleted = crm.delete("Leads", count=1)
        config = emulator_config(zoho.base_url, products=["crm"], lookback_seconds=0)
        first = run_tap(config, streams=STREAMS)
        second = run_tap(config, state=first.state, streams=STREAMS)
        truth = {row["id"]: _utc(row["Modified_Time"]) for row in crm.records("Leads")}
    bookmark = max(truth.values())
    newest = {record_id for record_id, moment in truth.items() if moment == bookmark}
    header = bookmark - timedelta(seconds=1)  # what the tap sends with lookback 0
    expected = {
        record_id
        for record_id, moment in truth.items()
        if (moment > header if exclusive else moment >= header)
    }
    got = {row["id"] for row in second.records.get("crm_leads", [])}
    assert newest <= got  # the bookmark's second is read again under either reading
    assert got == expected  # and nothing older: the header is exactly one second back
    assert [row["id"] for row in second.records["crm_deleted_records"]] == deleted
    assert {row["id"] for row in first.records["crm_leads"]} == set(truth)
