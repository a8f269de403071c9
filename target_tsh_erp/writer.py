"""Old home of the write path, kept for the imports of the webhook service.

`zoho_webhooks` imports these three names from here; new code imports them from
`target_tsh_erp.store` (the write core) and `target_tsh_erp.settings`.
"""

from __future__ import annotations

from target_tsh_erp.settings import WriterSettings
from target_tsh_erp.store import ErpWriter, apply_records

__all__ = ["ErpWriter", "WriterSettings", "apply_records"]
