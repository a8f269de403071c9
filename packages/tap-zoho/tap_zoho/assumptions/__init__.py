"""The assumptions register: every Zoho behaviour we rely on that Zoho does not promise.

One list (`REGISTER`), rendered for users in `docs/assumptions.md`
(`python -m tap_zoho.assumptions > docs/assumptions.md`; a test keeps them equal). Each
entry names the check made on the response that carries the behaviour, the fallback
when the check fails, and the emulator switch that gives the other answer. Code that
falls back reports it to the run's `FallbackLedger`, which warns once per stream and run
and counts every use for the run summary.
"""

from __future__ import annotations

from tap_zoho.assumptions.crm import CRM
from tap_zoho.assumptions.finance import FINANCE
from tap_zoho.assumptions.ledger import FallbackLedger
from tap_zoho.assumptions.model import Assumption
from tap_zoho.assumptions.webhooks import WEBHOOKS


def _register() -> dict[str, Assumption]:
    """Every entry by id; an id declared twice is a programming error."""
    register: dict[str, Assumption] = {}
    for entry in (*FINANCE, *CRM, *WEBHOOKS):
        if entry.id in register:
            msg = f"assumption {entry.id!r} is declared twice"
            raise ValueError(msg)
        register[entry.id] = entry
    return register


REGISTER: dict[str, Assumption] = _register()
"""Every entry, by id, in the order the docs page shows them."""

__all__ = ["REGISTER", "Assumption", "FallbackLedger"]
