"""The register as the user page `docs/assumptions.md` (generated, checked by a test)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tap_zoho.assumptions.model import Assumption

INTRO = """\
# What the connector assumes about Zoho, and how it checks

Generated from `tap_zoho/assumptions/` by `python -m tap_zoho.assumptions`; do not edit.

Zoho's docs leave some behaviour open. Where the connector relies on such behaviour to
save requests, it checks the very answer that carries it, and falls back to the safe
path when the answer differs. A fallback reads more, never less; it is never silent:
the run logs one warning per assumption and stream (event
`tds.zoho.assumption.fallback`) and counts every use in its summary. To see what your
organization really does before the first run, use `tap-zoho doctor`.

The emulator gives the other answer for every entry (`zoho-emulator serve --answer NAME`,
or `--profile docs-only` for all of them), and the tests sync under both.
"""


def markdown(entries: Iterable[Assumption]) -> str:
    """One section per entry, in register order."""
    parts = [INTRO]
    parts.extend(
        f"\n## `{entry.id}`\n\n"
        f"- **Applies to**: {entry.applies_to}.\n"
        f"- **We assume**: {entry.we_assume}.\n"
        f"- **Zoho's docs**: {entry.docs_say}.\n"
        f"- **Checked on the response**: {entry.verified_by}.\n"
        f"- **Otherwise**: {entry.fallback}.\n"
        f"- **Emulator's other answer**: `--answer {entry.emulator_answer}`.\n"
        for entry in entries
    )
    return "".join(parts)
