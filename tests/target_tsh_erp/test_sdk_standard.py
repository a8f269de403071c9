"""The SDK's standard target tests.

No test is excluded: every standard stream lands in its raw table (the ERP contract
accepts any stream, it only maps the Zoho ones). The config has no `database_url`, so
each run also exercises the default path: an embedded PostgreSQL started and stopped by
the target itself in `embedded_data_dir`.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from singer_sdk.testing import get_target_test_class

from target_tsh_erp.target import TargetTshErp

_WORK_DIR = Path(tempfile.mkdtemp(prefix="tsh-erp-sdk-"))
_DATA_DIR = _WORK_DIR / "pgdata"
# The class needs its config at import; each target run stops the server it started,
# so the folder can go when the test process ends.
atexit.register(shutil.rmtree, _WORK_DIR, ignore_errors=True)

TestTargetTshErp = get_target_test_class(
    TargetTshErp,
    config={"embedded_data_dir": str(_DATA_DIR), "erp_schema": "erp_sdk",
            "raw_schema": "raw_sdk"},
)
