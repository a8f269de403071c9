from __future__ import annotations

import pytest

from tap_zoho.api.auth import TokenManager
from zoho_emulator.testing import run_emulator

ORG_IN = "10234695"
ORG_US = "20987654"


@pytest.fixture(autouse=True)
def _fresh_token_managers():
    """Each test starts with no cached access token (managers are process-wide)."""
    TokenManager.forget_all()
    yield
    TokenManager.forget_all()


@pytest.fixture(scope="module")
def zoho():
    """A small emulator at Zoho's real 100/min limit is too slow for tests: limits off."""
    with run_emulator(scale=8, requests_per_minute=0, daily_limit=0) as running:
        yield running


@pytest.fixture
def fresh_zoho():
    """An emulator of its own, for tests that mutate data or inject faults."""
    with run_emulator(scale=8, requests_per_minute=0, daily_limit=0) as running:
        yield running
