"""Old home of the migrations, kept so existing imports work.

See `target_tsh_erp.store.migrations`.
"""

from __future__ import annotations

from target_tsh_erp.store.migrations import (
    LATEST_VERSION,
    SchemaTooNewError,
    current_version,
    migrate,
)

__all__ = ["LATEST_VERSION", "SchemaTooNewError", "current_version", "migrate"]
