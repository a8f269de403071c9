"""ACTIVATE_VERSION of a full-table stream: announced after it synced completely, or never.

The SDK announces a full-table stream's version before its records. A target that
soft-deletes the rows an announced version did not carry (the ERP target does) would
then hide every row until its record arrives again, and for good if the run stops early
(a daily quota, spent CRM credits). Announced after a complete sync, the version means
what a target needs: every current row has been seen in this version.

Nothing here is CRM-specific: `CrmStream` uses it, and it is written so that the
Books/Inventory `ZohoStream` can use the same mixin instead of its own copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Generator

    from singer_sdk.helpers.types import Context

    from tap_zoho.tap import TapZoho


class VersionAfterCompleteSync(Stream):
    """Hold a full-table version back until the stream synced all its partitions.

    A stream using it names its `product` and keeps the tap as `zoho_tap`, whose
    `quota_stops` say whether a daily quota or the CRM credits stopped that product in
    this run: then the sync was not complete and no version is announced.
    """

    product: ClassVar[str]
    """Zoho product of the stream (`books`, `inventory`, `crm`), as quota stops name it."""
    zoho_tap: TapZoho
    _held_version: int | None = None

    @override
    @property
    def emit_activate_version_messages(self) -> bool:
        # On unless the operator turns it off: the SDK's default (off) would let a target
        # keep rows deleted in Zoho forever on a stream that has no other delete signal.
        return bool(self.config.get("emit_activate_version_messages", True))

    @override
    def _write_activate_version_message(self, full_table_version: int) -> None:
        """Remember the version the SDK wants to announce before the records."""
        self._held_version = full_table_version

    @override
    def _sync_records(
        self,
        context: Context | None = None,
        *,
        write_messages: bool = True,
    ) -> Generator[dict[str, Any], Any, Any]:
        """Sync every partition, then announce the held version if the sync was complete."""
        yield from super()._sync_records(context, write_messages=write_messages)
        version = self._held_version
        self._held_version = None
        if write_messages and version is not None and not self.product_quota_stopped():
            super()._write_activate_version_message(version)

    def product_quota_stopped(self) -> bool:
        """Whether a quota (or credit) stop of this stream's product ended part of the run."""
        return any(product == self.product for product, _ in self.zoho_tap.quota_stops)
