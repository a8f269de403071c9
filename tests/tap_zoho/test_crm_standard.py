"""The SDK's standard tap tests over the CRM streams, against a live emulator."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config
from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator

# The factory instantiates the tap at import time, so the emulator must already run.
# Every standard test builds a tap (and the conftest forgets tokens): lift the mint limit.
_EMULATOR = run_emulator(scale=4, requests_per_minute=0, daily_limit=0, token_mint_limit=100_000)
_RUNNING = _EMULATOR.__enter__()
atexit.register(_EMULATOR.__exit__, None, None, None)
# Deletions exist only after a mutation: make some so crm_deleted_records has records.
Crm.of(_RUNNING.emulator).delete("Contacts", count=1)

TestTapZohoCrm = get_tap_test_class(
    tap_class=TapZoho,
    config=emulator_config(_RUNNING.base_url, products=["crm"], crm_bulk_threshold=0),
    suite_config=SuiteConfig(ignore_no_records=False),
)
