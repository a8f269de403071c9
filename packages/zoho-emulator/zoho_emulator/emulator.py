"""The emulator's state and the pipeline every API request goes through.

Routes of each product (`finance`, `crm`) validate their own parameters and build their
own bodies; authentication, limits, latency, faults and statistics are applied here, once,
so every product behaves alike where Zoho does.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from zoho_emulator import responses
from zoho_emulator.answers import Answers
from zoho_emulator.clock import Clock
from zoho_emulator.faults import FaultInjector, FaultKind, FaultRule
from zoho_emulator.finance.store import FinanceData
from zoho_emulator.finance.webhooks import WebhookSender
from zoho_emulator.limits import LimitBreach, RequestLimits
from zoho_emulator.stats import Stats
from zoho_emulator.tokens import TokenStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request
    from starlette.responses import Response

    from zoho_emulator.settings import EmulatorSettings

RESET_HEADER = "x-emulator-fault"
"""Set on a response that the ASGI wrapper must turn into a dropped connection."""

_AUTH_HEADER = re.compile(r"^(?:Zoho-oauthtoken|Bearer)\s+(\S+)$")
FINANCE_PRODUCTS = frozenset({"books", "inventory"})


class Emulator:
    """One emulated Zoho: accounts, products, limits, faults and statistics.

    Product data lives in attributes the product modules attach (`finance`, `crm`); the
    kernel only knows how to admit, delay, fail and count requests.
    """

    def __init__(self, settings: EmulatorSettings) -> None:
        """Build every part from the settings; nothing is served until an app is made."""
        self.settings = settings
        self.answers = Answers(settings.answers)
        """Other-answer switches: `emulator.answers("name")` says whether one is on."""
        self.clock = Clock()
        self.stats = Stats()
        self.faults = FaultInjector(settings.seed)
        self.tokens = TokenStore(
            self.clock,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            refresh_token=settings.refresh_token,
            lifetime=settings.token_lifetime,
            mint_limit=settings.token_mint_limit,
            mint_window=settings.token_mint_window,
            max_live=settings.max_live_tokens,
        )
        self.limits = RequestLimits(
            self.clock,
            requests_per_minute=settings.requests_per_minute,
            daily_limit=settings.daily_limit,
            concurrency_limit=settings.concurrency_limit,
            crm_daily_credits=settings.crm_daily_credits,
        )
        self.base_url = "http://127.0.0.1"
        """Where the emulator is served; returned as `api_domain` with every token."""
        self.finance = FinanceData(settings.seed, settings.scale, self.clock)
        """Books/Inventory data: ground truth (`records`, `count`) and mutations."""
        self.webhooks = WebhookSender(self.finance, settings.webhook_secret, self.answers)
        """Books/Inventory workflow webhooks: `register(url, entities=...)`."""
        self.extensions: dict[str, Any] = {}
        """Product state (data sets, CRM channels) keyed by product module name."""

    def authenticate(self, request: Request, product: str) -> Response | None:
        """Check `Authorization: Zoho-oauthtoken <token>`; a product-shaped 401 if it fails.

        Zoho answers a missing or malformed header differently from a wrong or expired
        token, and Books/Inventory differently from CRM.
        """
        fault = self.faults.pick(f"{product}:auth")
        if fault is not None and fault.kind is FaultKind.REVOKE_TOKENS:
            self.tokens.revoke_access_tokens()
        match = _AUTH_HEADER.match(request.headers.get("authorization", ""))
        if match is None:
            return self._auth_error(product, missing=True)
        if not self.tokens.is_valid(match.group(1)):
            return self._auth_error(product, missing=False)
        return None

    def _auth_error(self, product: str, *, missing: bool) -> Response:
        if product in FINANCE_PRODUCTS:
            code, message, status = (
                responses.FINANCE_BAD_AUTHTOKEN if missing else responses.FINANCE_NOT_AUTHORIZED
            )
            response = responses.finance_error(code, message, status)
        else:
            crm_code, crm_message, status = (
                responses.CRM_AUTHENTICATION_FAILURE if missing else responses.CRM_INVALID_TOKEN
            )
            response = responses.crm_error(crm_code, crm_message, status)
        self.stats.record_status(response.status_code)
        return response

    async def metered(
        self,
        *,
        product: str,
        org_key: str,
        route: str,
        build: Callable[[], Response],
        cost: int = 1,
    ) -> Response:
        """Serve an authenticated request: count it, limit it, delay it, maybe fail it.

        Args:
            product: `books`, `inventory` or `crm`.
            org_key: the organization the limits are counted against.
            route: the route template, e.g. `books:/invoices`, for statistics and faults.
            build: makes the success response; called only if the request is admitted.
            cost: CRM API credits the call costs.
        """
        self.stats.record_request(route, f"{product}:{org_key}")
        fault = self.faults.pick(route)
        if fault is not None and fault.kind in {
            FaultKind.SERVER_ERROR,
            FaultKind.RATE_LIMIT_STORM,
            FaultKind.CONNECTION_RESET,
        }:
            return self._fault_response(product, fault)
        admission = self.limits.admit(product, org_key, cost)
        if admission.breach is not None:
            response = self._limit_response(product, admission.breach)
            response.headers.update(admission.headers)
            self.stats.record_status(response.status_code)
            return response
        self.stats.enter()
        try:
            delay = self.settings.latency_ms / 1000
            if fault is not None and fault.kind is FaultKind.SLOW:
                delay += fault.delay_seconds
            if delay:
                await asyncio.sleep(delay)
            response = build()
        finally:
            self.limits.release(product, org_key)
            self.stats.leave()
        if product == "crm":
            self.stats.add_credits(cost)
        response.headers.update(admission.headers)
        if fault is not None:
            response = _corrupt_body(response, fault)
        self.stats.record_status(response.status_code)
        return response

    def _limit_response(self, product: str, breach: LimitBreach) -> Response:
        if product not in FINANCE_PRODUCTS:
            code, message, status = responses.CRM_TOO_MANY_REQUESTS
            return responses.crm_error(code, message, status)
        if breach is LimitBreach.DAILY:
            message = responses.finance_daily_limit_message(self.settings.daily_limit)
            return responses.finance_error(45, message, 429)
        finance = (
            responses.FINANCE_MINUTE_LIMIT
            if breach is LimitBreach.MINUTE
            else responses.FINANCE_CONCURRENCY_LIMIT
        )
        return responses.finance_error(*finance)

    def _fault_response(self, product: str, fault: FaultRule) -> Response:
        if fault.kind is FaultKind.RATE_LIMIT_STORM:
            response = self._limit_response(product, LimitBreach.MINUTE)
        elif fault.kind is FaultKind.CONNECTION_RESET:
            response = responses.json_response({}, 500, headers={RESET_HEADER: "reset"})
        elif product in FINANCE_PRODUCTS:
            response = responses.finance_error(1000, "Internal error", fault.status)
        else:
            response = responses.crm_error("INTERNAL_ERROR", "Internal Server Error", fault.status)
        self.stats.record_status(response.status_code)
        return response


def _corrupt_body(response: Response, fault: FaultRule) -> Response:
    """Apply a body fault; the Content-Length always matches what is sent."""
    if fault.kind is FaultKind.TRUNCATED_JSON:
        body = bytes(response.body)[: len(response.body) // 2]
    elif fault.kind is FaultKind.MALFORMED_JSON:
        body = b"<html><body>Zoho is temporarily unavailable</body></html>"
    else:
        return response
    response.body = body
    response.headers["content-length"] = str(len(body))
    return response
