"""Zoho Accounts: `POST /oauth/v2/token` (refresh and authorization-code grants)."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.routing import Route

from zoho_emulator.responses import json_response
from zoho_emulator.tokens import MintedToken, TokenError

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from zoho_emulator.emulator import Emulator

THROTTLE_BODY = {
    "error_description": (
        "You have made too many requests continuously. Please try again after some time."
    ),
    "error": "Access Denied",
    "status": "failure",
}


async def _parameters(request: Request) -> dict[str, str]:
    """Zoho reads credentials from the query string, a form body or HTTP Basic auth."""
    params = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = (await request.body()).decode("utf-8", errors="replace")
        params.update(parse_qsl(body, keep_blank_values=True))
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, client_secret = decoded.partition(":")
        if client_id:
            params.setdefault("client_id", client_id)
            params.setdefault("client_secret", client_secret)
    return params


def _token_response(emulator: Emulator, minted: MintedToken | TokenError) -> Response:
    if minted is TokenError.THROTTLED:
        return json_response(THROTTLE_BODY, 400)
    if isinstance(minted, TokenError):
        # Zoho answers every other OAuth error with HTTP 200 and an `error` field.
        return json_response({"error": minted.value})
    emulator.stats.token_minted()
    body: dict[str, str | int] = {
        "access_token": minted.access_token,
        "api_domain": emulator.base_url,
        "token_type": "Bearer",
        "expires_in": minted.expires_in,
    }
    if minted.refresh_token is not None:
        body["refresh_token"] = minted.refresh_token
    return json_response(body)


def routes(emulator: Emulator) -> list[Route]:
    """The accounts server's routes, bound to one emulator."""

    async def token(request: Request) -> Response:
        emulator.stats.token_requested()
        params = await _parameters(request)
        client_error = emulator.tokens.check_client(
            params.get("client_id"), params.get("client_secret")
        )
        if client_error is not None:
            return json_response({"error": client_error.value})
        grant_type = params.get("grant_type")
        if grant_type == "refresh_token":
            minted = emulator.tokens.refresh(params.get("refresh_token", ""))
        elif grant_type == "authorization_code":
            minted = emulator.tokens.exchange_code(params.get("code", ""))
        else:
            minted = TokenError.UNSUPPORTED_GRANT
        return _token_response(emulator, minted)

    async def revoke(request: Request) -> Response:
        params = await _parameters(request)
        emulator.tokens.revoke_refresh_token(params.get("token", ""))
        return json_response({"status": "success"})

    return [
        Route("/oauth/v2/token", token, methods=["POST"]),
        Route("/oauth/v2/token/revoke", revoke, methods=["POST"]),
    ]
