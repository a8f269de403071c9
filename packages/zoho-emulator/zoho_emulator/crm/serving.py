"""The path every CRM request takes: authenticate, then the kernel's meter, then build.

CRM answers carry no `X-Rate-Limit-*` headers: those describe Books/Inventory's daily
request quota, which CRM does not have (it limits credits per rolling 24 h and calls in
flight, and documents no header for either; `X-API-CREDITS-REMAINING` is named only by
secondary sources, so it is not invented here). The kernel's meter stamps every product's
answers with its daily counter; CRM drops them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoho_emulator.crm import errors
from zoho_emulator.crm.catalog import ORG_ID

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request
    from starlette.responses import Response

    from zoho_emulator.emulator import Emulator


FINANCE_QUOTA_HEADERS = ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset")
"""Books/Inventory's daily-quota headers (reference §3): not CRM's."""


def guarded(build: Callable[[], Response]) -> Callable[[], Response]:
    """Turn a `CrmError` raised while building into Zoho's error body."""

    def run() -> Response:
        try:
            return build()
        except errors.CrmError as error:
            return error.response

    return run


async def serve(
    emulator: Emulator,
    request: Request,
    route: str,
    build: Callable[[], Response],
    cost: int = 1,
) -> Response:
    """Authenticate (CRM-shaped 401), then meter credits/concurrency/faults, then build."""
    refusal = emulator.authenticate(request, "crm")
    if refusal is not None:
        return refusal
    response = await emulator.metered(
        product="crm", org_key=ORG_ID, route=route, build=guarded(build), cost=cost
    )
    for name in FINANCE_QUOTA_HEADERS:
        if name in response.headers:
            del response.headers[name]
    return response
