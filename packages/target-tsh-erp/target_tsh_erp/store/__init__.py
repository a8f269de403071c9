"""The store: raw landing and ERP merge of Zoho records, one module per concern.

The names here are the store's public API (the target, `tsh-erp` and the webhook service
use them); the modules behind it are `batch` (types), `values` (what PostgreSQL can
hold), `prepare` (stage rows and mapping), `raw_landing`, `erp_merge`, `deletions`,
`rejects`, `raw_tables`, `new_rows`, `migrations`, `events` and `remap`.
"""

from __future__ import annotations

from target_tsh_erp.settings import WriterSettings
from target_tsh_erp.store.batch import (
    ApplyResult,
    Incoming,
    MissingKeyError,
    PreparedBatch,
    Reject,
)
from target_tsh_erp.store.values import MAX_STORED_DEPTH, key_values, record_json
from target_tsh_erp.store.writer import ErpWriter, apply_records

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
