"""The path every CRM request takes: authenticate, then the kernel's meter, then build."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoho_emulator.crm import errors
from zoho_emulator.crm.catalog import ORG_ID

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request
    from starlette.responses import Response

    from zoho_emulator.emulator import Emulator


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
    return await emulator.metered(
        product="crm", org_key=ORG_ID, route=route, build=guarded(build), cost=cost
    )
