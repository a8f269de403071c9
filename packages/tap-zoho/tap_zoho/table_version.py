"""ACTIVATE_VERSION of a full-table stream: announced after it synced completely, or never.

The SDK announces a full-table stream's version before its records. A target that
soft-deletes the rows an announced version did not carry (the ERP target does) would
then hide every row until its record arrives again, and for good if the run stops early
(a daily quota, spent CRM credits). Announced after a complete sync, the version means
what a target needs: every current row has been seen in this version.

Shared by the Books/Inventory `ZohoStream` and the CRM `CrmStream`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import override

from tap_zoho.repeats import SchemaSentOnce

if TYPE_CHECKING:
    from collections.abc import Generator

    from singer_sdk.helpers.types import Context

    from tap_zoho.run import ZohoRun


class VersionAfterCompleteSync(SchemaSentOnce):
    """Hold a table version back until the stream synced all its partitions.

    A stream using it names its `product` and is handed its `run` (`ZohoRun`), which says
    whether a daily quota or the CRM credits stopped that product in this run: then the
    sync was not complete and no version is announced. The run's start time is the version.
    """

    product: ClassVar[str]
    """Zoho product of the stream (`books`, `inventory`, `crm`), as quota stops name it."""
    _run: ZohoRun
    """Set by the stream's constructor (Books/Inventory and CRM streams take the run)."""
    _announced_version: int | None = None
    _incomplete: bool = False
    """Set by a stream whose partition ended early for a reason other than a quota stop."""

    @property
    def run(self) -> ZohoRun:
        """The run this stream belongs to (settings, client, quota stops, start time)."""
        return self._run

    @override
    @property
    def emit_activate_version_messages(self) -> bool:
        # On unless the operator turns it off: the SDK's default (off) would let a target
        # keep rows deleted in Zoho forever on a stream that has no other delete signal.
        return bool(self.config.get("emit_activate_version_messages", True))

    @override
    def _write_activate_version_message(self, full_table_version: int) -> None:
        """Hold the version the SDK announces before the records, in milliseconds.

        The SDK's full-table version is the run's start in seconds; this tap's other
        versions (`take_table_version`) are the same start in milliseconds. One unit for
        all: two runs within one second still differ, and a target reads the listing's
        start from every version alike (ERP rows a listing shows count as existing then).
        """
        del full_table_version  # the same instant, in seconds
        self.take_table_version()

    @override
    def _sync_records(
        self,
        context: Context | None = None,
        *,
        write_messages: bool = True,
    ) -> Generator[dict[str, Any], Any, Any]:
        """Sync every partition, then announce the held version if the sync was complete.

        Only the stream's own top-level call (no context) opens and closes a version; a
        child stream is called once per parent record and is settled by its parent.
        """
        whole_run = context is None
        if whole_run:
            self._incomplete = False
            self.open_table_version()
        yield from super()._sync_records(context, write_messages=write_messages)
        if whole_run:
            self.close_table_version(
                complete=self.synced_completely(), write_messages=write_messages
            )

    def synced_completely(self) -> bool:
        """Whether every partition ran to its end (no quota or credit stop, no early end)."""
        quota_stopped = any(product == self.product for product, _ in self.run.quota_stops)
        return not quota_stopped and not self._incomplete

    def open_table_version(self) -> None:
        """A hook: an incremental stream that will emit every current row takes a version.

        Full-table streams get theirs from the SDK (held by `_write_activate_version_message`).
        """

    def take_table_version(self) -> None:
        """Stamp this run's records with a table version, announced once complete.

        Milliseconds (Singer's usual unit), so that two runs started within one second
        still have increasing versions: a target deletes rows of *older* versions.
        """
        version = self.run.initialized_at
        self._stream_version = version
        self._announced_version = version

    def close_table_version(self, *, complete: bool, write_messages: bool) -> None:
        """Announce the held version after a complete sync; drop it otherwise."""
        version = self._announced_version
        self._announced_version = None
        if write_messages and version is not None and complete:
            super()._write_activate_version_message(version)
