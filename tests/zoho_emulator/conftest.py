from __future__ import annotations

import pytest
import requests

from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

ORG_IN = "10234695"
ORG_US = "20987654"


def access_token(base_url: str) -> str:
    response = requests.post(
        f"{base_url}/oauth/v2/token",
        params={
            "grant_type": "refresh_token",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "refresh_token": DEMO_REFRESH_TOKEN,
        },
        timeout=5,
    )
    return response.json()["access_token"]


def session_for(base_url: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Zoho-oauthtoken {access_token(base_url)}"
    return session


@pytest.fixture(scope="module")
def finance():
    """A small emulator with limits off, and an authenticated session."""
    with run_emulator(scale=60, requests_per_minute=0, daily_limit=0, concurrency_limit=0) as zoho:
        yield zoho, session_for(zoho.base_url)
