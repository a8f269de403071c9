"""Keys of a CRM record that its schema does not declare: kept in `zoho_extra`, never dropped.

A CRM stream's schema comes from the field metadata, and Zoho sends more than that:
`$` system keys on every record (`$approval_state`, `$currency_symbol`, `$editable`,
...), a subform row's own `Parent_Id`/`Created_Time`/`Modified_Time`/`Created_By`
(which `settings/fields?module=<subform>` does not list), and whatever a real org
adds that its metadata leaves out. The raw layer must hold every key Zoho returned
(issue 13 point B), so each undeclared key moves, with its value as sent, into the
record's `zoho_extra` object (the name Books/Inventory use, `tap_zoho.normalize`).

Register entry `crm.declared-fields`: the `$` keys (and the subform-row keys on subform
streams) are expected, kept without a warning; any other undeclared key is the other
answer: one warning per stream and a count per record through the run's ledger.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tap_zoho.normalize import EXTRA_KEY

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

logger = logging.getLogger("tap_zoho.crm.extra")

ASSUMPTION = "crm.declared-fields"
SYSTEM_PREFIX = "$"
"""Zoho's system keys on records: documented by example, never listed by metadata."""
SUBFORM_ROW_KEYS = frozenset(
    {"Parent_Id", "Created_Time", "Modified_Time", "Created_By", "Modified_By"}
)
"""What Zoho adds to each subform row beside the subform's own fields."""
REPORTED_KEYS = 10
"""At most this many key names in one fallback's detail (the log line stays short)."""


class UndeclaredKeys:
    """Splits one stream's records into declared keys and `zoho_extra`."""

    def __init__(
        self,
        stream: str,
        declared: Iterable[str],
        *,
        expected: frozenset[str] = frozenset(),
        report: Callable[[str], None],
    ) -> None:
        """Prepare the split for one stream.

        Args:
            stream: named in the log line listing the expected keys kept.
            declared: the schema's properties (`zoho_extra` among them).
            expected: undeclared keys Zoho sends by design beside `$` keys (subform rows).
            report: called with what was seen when a record holds any other key (the
                run's `FallbackLedger`, which warns once per stream and counts each use).
        """
        self.stream = stream
        self._declared = frozenset(declared)
        self._expected = expected
        self._report = report
        self._logged: set[str] = set()

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        """The record with every undeclared key moved into `zoho_extra` (values as sent)."""
        if self._declared.issuperset(row):
            return row
        kept: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in row.items():
            (kept if key in self._declared and key != EXTRA_KEY else extra)[key] = value
        previous = row.get(EXTRA_KEY)
        if isinstance(previous, dict):
            extra.pop(EXTRA_KEY, None)
            extra = {**previous, **extra}
        kept[EXTRA_KEY] = extra
        self._account(extra)
        return kept

    def _account(self, extra: dict[str, Any]) -> None:
        """Expected keys are logged once (INFO); any other key is the register's fallback."""
        other = sorted(
            key for key in extra if not key.startswith(SYSTEM_PREFIX) and key not in self._expected
        )
        if other:
            shown = ", ".join(other[:REPORTED_KEYS])
            more = f" and {len(other) - REPORTED_KEYS} more" if len(other) > REPORTED_KEYS else ""
            self._report(f"keys the field metadata does not declare: {shown}{more}")
        new = set(extra) - self._logged - set(other)
        if new:
            self._logged |= new
            logger.info(
                "stream %s: Zoho's system keys kept in %s: %s",
                self.stream, EXTRA_KEY, ", ".join(sorted(new)),
            )  # fmt: skip
