"""The `tap-zoho` command: the Singer tap, plus `tap-zoho doctor`.

Meltano and other Singer runners call the tap with flags only (`--config`,
`--discover`, `--catalog`, `--state`), so a first argument `doctor` can never be one of
theirs; it selects the readiness check instead (`meltano invoke tap-zoho doctor`).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Dispatch to the doctor or to the SDK's tap command line."""
    if sys.argv[1:2] == ["doctor"]:
        from tap_zoho.doctor.command import main as doctor  # noqa: PLC0415 - only when asked

        raise SystemExit(doctor(sys.argv[2:]))
    from tap_zoho.tap import TapZoho  # noqa: PLC0415 - the SDK's own start-up, untouched

    TapZoho.cli()
