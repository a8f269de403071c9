"""The Singer SDK names the target uses, imported without numpy (start-up time).

`singer_sdk` imports joblib for its parallel sink draining, which this target never
uses (it has no sinks), and joblib imports numpy whenever numpy is installed (it is
here: the status page's charts need it): about 0.08 s of CPU, a sixth of a run's
fixed cost. numpy is hidden from that one import (joblib then treats it as absent,
as it does on any install without numpy) and visible again right after, so nothing
else in the process is affected. When numpy is already imported, nothing is hidden.
"""

from __future__ import annotations

import sys

_HIDE = "numpy" not in sys.modules
if _HIDE:
    sys.modules["numpy"] = None  # type: ignore[assignment] # an import of it raises
try:
    from singer_sdk import Target
    from singer_sdk import typing as th
    from singer_sdk.exceptions import (
        ConfigValidationError,
        InvalidJSONSchema,
        MissingKeyPropertiesError,
        RecordsWithoutSchemaException,
    )
    from singer_sdk.io_base import GenericSingerReader
finally:
    if _HIDE and sys.modules.get("numpy", 0) is None:
        del sys.modules["numpy"]

__all__ = [
    "ConfigValidationError",
    "GenericSingerReader",
    "InvalidJSONSchema",
    "MissingKeyPropertiesError",
    "RecordsWithoutSchemaException",
    "Target",
    "th",
]
