"""The progress line names the daily quota left and the limit (tsh-erp status reads both)."""

from __future__ import annotations

import re

from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.testing import run_emulator

DAILY_LIMIT = 5000


def test_done_line_says_quota_left_of_the_limit() -> None:
    with run_emulator(scale=4, requests_per_minute=0, daily_limit=DAILY_LIMIT) as zoho:
        run = run_tap(emulator_config(zoho.base_url), streams={"books_contacts"})
    lefts = re.findall(r"done books_contacts org \S+: .*daily quota left (\d+) of (\d+)", run.logs)
    assert lefts, run.logs[-2000:]
    for left, limit in lefts:
        assert int(limit) == DAILY_LIMIT
        assert 0 < int(left) < DAILY_LIMIT
