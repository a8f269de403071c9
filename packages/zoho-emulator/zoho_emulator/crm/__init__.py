"""Zoho CRM v8 for the emulator: metadata, records, COQL, Bulk Read, notifications.

`routes(emulator)` gives the app its CRM routes; `Crm.of(emulator)` is the Python
control API (mutations, ground truth, notifications). See docs/emulator-crm.md.
"""

from __future__ import annotations

from zoho_emulator.crm.catalog import ORG_ID, record_id
from zoho_emulator.crm.routes import routes
from zoho_emulator.crm.service import Crm

__all__ = ["ORG_ID", "Crm", "record_id", "routes"]
