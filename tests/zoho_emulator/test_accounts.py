"""Zoho Accounts as the emulator serves it: grants, errors, throttle and token caps."""

from __future__ import annotations

import base64

import pytest
import requests

from zoho_emulator.settings import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
from zoho_emulator.testing import run_emulator

REFRESH = {
    "grant_type": "refresh_token",
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "refresh_token": DEMO_REFRESH_TOKEN,
}


@pytest.fixture(scope="module")
def zoho():
    with run_emulator(token_mint_limit=1000) as running:
        yield running


def test_refresh_grant_in_query_string_returns_zoho_token_shape(zoho) -> None:
    response = requests.post(f"{zoho.base_url}/oauth/v2/token", params=REFRESH, timeout=5)
    body = response.json()
    assert response.status_code == 200
    assert body["api_domain"] == zoho.base_url
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    prefix, first, second = body["access_token"].split(".")
    assert prefix == "1000"
    assert len(first) == len(second) == 32


def test_refresh_grant_in_form_body_and_basic_auth(zoho) -> None:
    form = requests.post(f"{zoho.base_url}/oauth/v2/token", data=REFRESH, timeout=5)
    assert "access_token" in form.json()
    basic = base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()
    grant = {"grant_type": "refresh_token", "refresh_token": DEMO_REFRESH_TOKEN}
    via_basic = requests.post(
        f"{zoho.base_url}/oauth/v2/token",
        data=grant,
        headers={"Authorization": f"Basic {basic}"},
        timeout=5,
    )
    assert "access_token" in via_basic.json()


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"client_id": "1000.OTHER"}, "invalid_client"),
        ({"client_secret": "wrong"}, "invalid_client_secret"),
        ({"refresh_token": "1000.revoked.token"}, "invalid_code"),
    ],
)
def test_oauth_errors_are_http_200_with_an_error_field(zoho, override, error) -> None:
    response = requests.post(
        f"{zoho.base_url}/oauth/v2/token", params=REFRESH | override, timeout=5
    )
    assert response.status_code == 200
    assert response.json() == {"error": error}


def test_authorization_code_is_single_use_and_yields_a_refresh_token(zoho) -> None:
    code = zoho.emulator.tokens.issue_grant_code()
    params = {
        "grant_type": "authorization_code",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "code": code,
    }
    first = requests.post(f"{zoho.base_url}/oauth/v2/token", params=params, timeout=5).json()
    assert first["refresh_token"].startswith("1000.")
    again = requests.post(f"{zoho.base_url}/oauth/v2/token", params=params, timeout=5).json()
    assert again == {"error": "invalid_code"}


def test_eleventh_token_in_ten_minutes_is_throttled_with_http_400() -> None:
    with run_emulator() as zoho:
        url = f"{zoho.base_url}/oauth/v2/token"
        for _ in range(10):
            assert "access_token" in requests.post(url, params=REFRESH, timeout=5).json()
        throttled = requests.post(url, params=REFRESH, timeout=5)
        assert throttled.status_code == 400
        assert throttled.json()["error"] == "Access Denied"
        zoho.emulator.clock.advance(601)
        assert "access_token" in requests.post(url, params=REFRESH, timeout=5).json()


def test_sixteenth_live_token_revokes_the_oldest() -> None:
    with run_emulator(token_mint_limit=100) as zoho:
        url = f"{zoho.base_url}/oauth/v2/token"
        tokens = [
            requests.post(url, params=REFRESH, timeout=5).json()["access_token"] for _ in range(16)
        ]
        assert not zoho.emulator.tokens.is_valid(tokens[0])
        assert all(zoho.emulator.tokens.is_valid(token) for token in tokens[1:])


def test_tokens_expire_after_their_lifetime() -> None:
    with run_emulator(token_lifetime=60) as zoho:
        body = requests.post(f"{zoho.base_url}/oauth/v2/token", params=REFRESH, timeout=5).json()
        assert body["expires_in"] == 60
        assert zoho.emulator.tokens.is_valid(body["access_token"])
        zoho.emulator.clock.advance(61)
        assert not zoho.emulator.tokens.is_valid(body["access_token"])
