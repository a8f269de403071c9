"""The progress lines say what `tsh-erp status` reads: quota left of the limit, the
product of the quota, and whose CRM credits a stream spent."""

from __future__ import annotations

import re

from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.crm.catalog import ORG_ID as CRM_ORG
from zoho_emulator.testing import run_emulator

DAILY_LIMIT = 5000


def test_done_line_says_product_and_quota_left_of_the_limit() -> None:
    with run_emulator(scale=4, requests_per_minute=0, daily_limit=DAILY_LIMIT) as zoho:
        run = run_tap(emulator_config(zoho.base_url),
                      streams={"books_contacts", "inventory_items"})  # fmt: skip
    done = re.findall(r"done (\S+) org \S+ product=(\S+): .*daily quota left (\d+) of (\d+)",
                      run.logs)  # fmt: skip
    assert {(stream, product) for stream, product, _, _ in done} == {
        ("books_contacts", "books"), ("inventory_items", "inventory")}, run.logs[-2000:]
    for _, _, left, limit in done:
        assert int(limit) == DAILY_LIMIT
        assert 0 < int(left) < DAILY_LIMIT


def test_crm_credits_line_names_the_organization() -> None:
    with run_emulator(scale=4, requests_per_minute=0, daily_limit=0) as zoho:
        run = run_tap(emulator_config(zoho.base_url, products=["crm"], crm_bulk_threshold=0),
                      streams={"crm_accounts", "crm_deleted_records"})  # fmt: skip
    lines = dict(re.findall(r"tds\.zoho\.crm\.credits stream=(\S+) org=(\S+) credits=\d+",
                            run.logs))  # fmt: skip
    assert lines == {"crm_accounts": CRM_ORG, "crm_deleted_records": CRM_ORG}, run.logs[-2000:]
