"""Old home of the write path, kept so existing imports work: see `target_tsh_erp.store`.

The webhook service imports `ErpWriter`, `apply_records` and `WriterSettings` from here;
new code imports them from `target_tsh_erp.store` (and the settings from
`target_tsh_erp.settings`).
"""

from __future__ import annotations

from target_tsh_erp.store import (
    MAX_STORED_DEPTH,
    ApplyResult,
    ErpWriter,
    Incoming,
    MissingKeyError,
    PreparedBatch,
    Reject,
    WriterSettings,
    apply_records,
    key_values,
    record_json,
)

__all__ = [
    "MAX_STORED_DEPTH",
    "ApplyResult",
    "ErpWriter",
    "Incoming",
    "MissingKeyError",
    "PreparedBatch",
    "Reject",
    "WriterSettings",
    "apply_records",
    "key_values",
    "record_json",
]
