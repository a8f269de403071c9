"""The SDK's standard tap tests, against a live emulator (nothing mocked)."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_zoho.tap import TapZoho
from tap_zoho.testing import emulator_config
from zoho_emulator.testing import run_emulator

# The factory instantiates the tap at import time, so the emulator must already run.
_EMULATOR = run_emulator(scale=3, requests_per_minute=0, daily_limit=0)
_RUNNING = _EMULATOR.__enter__()
atexit.register(_EMULATOR.__exit__, None, None, None)

TestTapZoho = get_tap_test_class(
    tap_class=TapZoho,
    config=emulator_config(_RUNNING.base_url),
    suite_config=SuiteConfig(ignore_no_records=False),
)
