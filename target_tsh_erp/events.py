"""Old home of the sync events, kept so existing imports work: see `target_tsh_erp.store.events`."""

from __future__ import annotations

from target_tsh_erp.store.events import (
    ENTITY_SYNCED,
    SYNC_COMPLETED,
    SYNC_FAILED,
    SYNC_STARTED,
    publish,
)

__all__ = ["ENTITY_SYNCED", "SYNC_COMPLETED", "SYNC_FAILED", "SYNC_STARTED", "publish"]
