"""The `tap-zoho` command: the Singer tap, plus `tap-zoho doctor`.

Singer runners call the tap with options only (`--config`, `--discover`, `--catalog`,
`--state`), so a bare word `doctor` can never be one of theirs; it selects the readiness
check instead. It may come first (`tap-zoho doctor --config c.json`) or after the
options Meltano puts first (`meltano invoke tap-zoho doctor` runs
`tap-zoho --config <file> [--catalog <file>] [--state <file>] doctor`).

`--discover` is answered from the discovery cache (`tap_zoho.discovery_cache`) when it
still holds the right catalog, before the SDK is imported.
"""

from __future__ import annotations

import sys

from tap_zoho.discovery_cache import DiscoveryCache

COMMAND = "doctor"
OPTIONS_WITH_VALUES = frozenset({"--config", "--catalog", "--state", "--properties", "--format"})


def doctor_arguments(argv: list[str]) -> list[str] | None:
    """The doctor's own arguments if `doctor` is a bare word of `argv`, else None."""
    expects_value = False
    for index, token in enumerate(argv):
        if expects_value:
            expects_value = False
            continue
        if token == COMMAND:
            return argv[:index] + argv[index + 1 :]
        expects_value = token in OPTIONS_WITH_VALUES
    return None


def main() -> None:
    """Dispatch to the doctor or to the SDK's tap command line."""
    arguments = doctor_arguments(sys.argv[1:])
    if arguments is not None:
        from tap_zoho.doctor.command import main as doctor  # noqa: PLC0415 - only when asked

        raise SystemExit(doctor(arguments))
    cache = DiscoveryCache.from_argv(sys.argv[1:])
    if cache is not None:
        catalog = cache.read()
        if catalog is not None:
            # Before the SDK is imported: this answer costs a few milliseconds.
            sys.stderr.write(
                f"tap-zoho: catalog from the discovery cache {cache.path} (no Zoho call; "
                "discovered again when settings or Zoho metadata change, at most "
                "metadata_cache_hours)\n"
            )
            sys.stdout.write(catalog + "\n")
            sys.stdout.flush()
            return
    from tap_zoho.settings import SettingsError  # noqa: PLC0415
    from tap_zoho.tap import TapZoho  # noqa: PLC0415 - the SDK's own start-up, untouched

    TapZoho.discovery_cache = cache
    try:
        TapZoho.cli()
    except SettingsError as error:
        # One line for a missing or unusable setting (it names the variable to set).
        text = str(error)
        sys.stderr.write(f"{text if text.startswith('tap-zoho') else f'tap-zoho: {text}'}\n")
        raise SystemExit(1) from None
