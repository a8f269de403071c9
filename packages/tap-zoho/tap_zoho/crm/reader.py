"""REST reads of a CRM module: 50-field batches merged by id, page tokens, no torn records.

Zoho v8 returns at most 50 fields per call, so a wide module is read as several
parallel page-token chains with the same order and filter (`sort_by=Modified_Time`
ascending, `If-Modified-Since`), one per batch of fields, each batch carrying
`Modified_Time`. Page k of every chain normally holds the same records; the halves are
merged by `id`. A record edited while its batches are read shows different
`Modified_Time`s (and moves to the end of the order): its halves wait in `pending`
until every batch has the same version. Whatever is still torn when the chains end is
re-read by `ids` (100 per call per batch); a record still torn after that is left for
the next run (counted; the bookmark is held below it).

A chain stops at Zoho's 100,000-record page-token limit; the reader then restarts
every chain from the last `Modified_Time` it saw (inclusive). A page token lives 24 h:
an expired one (`EXPIRED_VALUE`, or `INVALID_DATA` on a request that carried a token,
register entry `crm.page-token-expiry`) restarts the chains the same way. Pages must not
go backwards in `Modified_Time`: that would mean a silent gap, so it is an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tap_zoho.api.errors import ZohoAPIError
from tap_zoho.crm.api import IDS_PER_CALL, PER_PAGE
from tap_zoho.timefmt import utc

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator, Sequence

    from tap_zoho.assumptions import FallbackLedger
    from tap_zoho.crm.api import CrmApi
    from tap_zoho.crm.schema import CrmField, CrmModule

logger = logging.getLogger("tap_zoho.crm.reader")

MAX_FIELDS_PER_CALL = 50
TOKEN_CHAIN_LIMIT = 100_000
"""Zoho serves at most this many records through one page-token chain."""
RESTART_MARGIN = PER_PAGE
BOUNDARY = timedelta(seconds=1)
"""A chain restarts this far before the last `Modified_Time` it saw: Zoho does not say
whether `If-Modified-Since` means at-or-after or strictly after, and under either reading
the records of that second come back (emitted again; targets upsert by key)."""
EXPIRED_TOKEN_CODE = "EXPIRED_VALUE"  # noqa: S105 - a Zoho error code, not a secret
"""What Zoho's v8 pages say an expired page token answers (`crm.page-token-expiry`)."""


class OutOfOrderError(RuntimeError):
    """A page went backwards in time: continuing could skip records silently."""


@dataclass(slots=True)
class ReadStats:
    """What a read did, for the logs and the tests."""

    pages: int = 0
    calls: int = 0
    records: int = 0
    reread: int = 0
    """Records whose batches disagreed and that were re-read by id."""
    deferred: list[str] = field(default_factory=list)
    """`Modified_Time`s of records still torn after the re-read (left for the next run)."""
    restarts: int = 0
    expired_tokens: int = 0
    """Chains restarted because Zoho no longer accepted their page token."""


def field_batches(fields: Sequence[CrmField], replication_key: str | None) -> list[list[str]]:
    """Field names in batches of at most 50, each holding the replication key."""
    names = [
        spec.api_name
        for spec in fields
        if spec.in_lists and spec.api_name not in {"id", replication_key}
    ]
    size = MAX_FIELDS_PER_CALL - (1 if replication_key else 0)
    batches = [names[start : start + size] for start in range(0, len(names), size)] or [[]]
    if replication_key:
        batches = [[replication_key, *batch] for batch in batches]
    return batches


class ModuleReader:
    """Reads one module's records through REST; one instance per read."""

    def __init__(  # noqa: PLR0913 - the parts of one read
        self,
        api: CrmApi,
        module: CrmModule,
        *,
        stream: str,
        fields: Sequence[CrmField],
        replication_key: str | None,
        fallbacks: FallbackLedger | None = None,
    ) -> None:
        """Plan the field batches; nothing is requested yet.

        `fallbacks` is the run's ledger: an expired page token answered other than
        `EXPIRED_VALUE` is reported there (never silently).
        """
        self.api = api
        self.fallbacks = fallbacks
        self.module = module
        self.stream = stream
        self.replication_key = replication_key
        self.batches = field_batches(fields, replication_key)
        self.stats = ReadStats()
        self.path = f"/{module.api_name}"
        self._expired = False

    def _params(self, batch: list[str]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "fields": ",".join(batch or ["id"]),
            "per_page": PER_PAGE,
            "sort_by": self.replication_key or "id",
            "sort_order": "asc",
        }
        if self.module.convertable:
            params["converted"] = "both"  # converted Leads are hidden by default
        return params

    def read(self, since: datetime | None) -> Iterator[dict[str, Any]]:
        """Every record modified at or after `since` (all if None), merged, untorn."""
        pending: dict[str, dict[int, dict[str, Any]]] = {}
        while True:
            restart_from = yield from self._chains(since, pending)
            if restart_from is None:
                break
            if since is not None and restart_from <= since:
                msg = (
                    f"stream {self.stream}: more than {TOKEN_CHAIN_LIMIT} records share "
                    f"Modified_Time {restart_from.isoformat()}; use Bulk Read "
                    "(crm_bulk_threshold) for this module"
                )
                if self._expired:
                    msg = (
                        f"stream {self.stream}: Zoho's page token expired before the "
                        f"listing got past Modified_Time {restart_from.isoformat()}; "
                        "nothing was skipped, run again"
                    )
                raise OutOfOrderError(msg)
            since = restart_from
            self.stats.restarts += 1
        yield from self._reread(pending)

    def _chains(
        self, since: datetime | None, pending: dict[str, dict[int, dict[str, Any]]]
    ) -> Generator[dict[str, Any], None, datetime | None]:
        """Walk the chains; returns where to restart them (page-token limit) or None."""
        tokens: list[str | None] = [None] * len(self.batches)
        done = [False] * len(self.batches)
        last: list[datetime | None] = [None] * len(self.batches)
        served = 0
        while not all(done):
            for number, batch in enumerate(self.batches):
                if done[number]:
                    continue
                params = self._params(batch)
                if tokens[number]:
                    params["page_token"] = tokens[number]
                self._expired = False
                try:
                    body = self.api.get(self.path, stream=self.stream, params=params, since=since)
                except ZohoAPIError as error:
                    if not tokens[number] or not self._token_expired(error):
                        raise
                    self.stats.calls += 1
                    return self._restart_point(last, since)
                self.stats.calls += 1
                rows: list[dict[str, Any]] = list(body.get("data") or [])
                info = body.get("info") or {}
                last[number] = self._guard(rows, last[number], number)
                for row in rows:
                    pending.setdefault(str(row["id"]), {})[number] = row
                if number == 0:
                    self.stats.pages += 1
                    served += len(rows)
                tokens[number] = info.get("next_page_token")
                done[number] = not (info.get("more_records") and tokens[number])
            yield from self._ready(pending)
            if not all(done) and served >= TOKEN_CHAIN_LIMIT - RESTART_MARGIN and last[0]:
                return last[0] - BOUNDARY
        return None

    def _token_expired(self, error: ZohoAPIError) -> bool:
        """Whether Zoho refused a page token as expired (either way it may say so)."""
        if error.code == EXPIRED_TOKEN_CODE:
            logger.info("stream %s: page token expired; restarting the listing", self.stream)
            return True
        if error.code != "INVALID_DATA" or not self.replication_key:
            return False
        # The same request without the token was accepted, so INVALID_DATA is about it.
        if self.fallbacks is not None:
            self.fallbacks.fell_back(
                "crm.page-token-expiry", stream=self.stream,
                organization_id=self.module.organization_id,
                detail=f"a page token was refused with INVALID_DATA ({error.zoho_message})",
            )  # fmt: skip
        return True

    def _restart_point(self, last: list[datetime | None], since: datetime | None) -> datetime:
        """Where every chain restarts after an expired token: the oldest chain's last time.

        Raises:
            OutOfOrderError: for a module without a replication key (it cannot resume by
                time) or a chain that had not seen a record yet.
        """
        seen = [moment for moment in last if moment is not None]
        if not self.replication_key or not seen:
            msg = (
                f"stream {self.stream}: Zoho's page token expired and the listing cannot "
                "resume by Modified_Time; nothing was skipped, run again"
            )
            raise OutOfOrderError(msg)
        self._expired = True
        self.stats.expired_tokens += 1
        restart = min(seen) - BOUNDARY
        return restart if since is None or restart > since else since

    def _guard(
        self, rows: list[dict[str, Any]], previous: datetime | None, number: int
    ) -> datetime | None:
        if not self.replication_key:
            return previous
        for row in rows:
            moment = utc(row.get(self.replication_key))
            if moment is None:
                continue
            if previous is not None and moment < previous:
                msg = (
                    f"stream {self.stream}: Zoho returned {self.module.api_name} record "
                    f"{row.get('id')} with {self.replication_key} {moment.isoformat()} after "
                    f"{previous.isoformat()} (field batch {number + 1}); the listing went "
                    "backwards, which would skip records. Stopping; the bookmark is kept."
                )
                raise OutOfOrderError(msg)
            previous = moment
        return previous

    def _consistent(self, parts: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
        if len(parts) < len(self.batches):
            return None
        if self.replication_key:
            versions = {part.get(self.replication_key) for part in parts.values()}
            if len(versions) > 1:
                return None
        merged: dict[str, Any] = {}
        for number in range(len(self.batches)):
            merged.update(parts[number])
        return merged

    def _ready(self, pending: dict[str, dict[int, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        for record_id in list(pending):
            merged = self._consistent(pending[record_id])
            if merged is not None:
                del pending[record_id]
                self.stats.records += 1
                yield merged

    def _reread(self, pending: dict[str, dict[int, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
        if not pending:
            return
        torn = list(pending)
        self.stats.reread += len(torn)
        logger.info(
            "stream %s: %d records changed while their field batches were read; re-reading",
            self.stream, len(torn),
        )  # fmt: skip
        fresh: dict[str, dict[int, dict[str, Any]]] = {}
        for start in range(0, len(torn), IDS_PER_CALL):
            chunk = torn[start : start + IDS_PER_CALL]
            for number, batch in enumerate(self.batches):
                body = self.api.get(
                    self.path, stream=self.stream, call="get_ids",
                    params={"fields": ",".join(batch or ["id"]), "ids": ",".join(chunk)},
                )  # fmt: skip
                self.stats.calls += 1
                for row in body.get("data") or []:
                    fresh.setdefault(str(row["id"]), {})[number] = row
        for record_id in torn:
            merged = self._consistent(fresh.get(record_id, {}))
            if merged is not None:
                self.stats.records += 1
                yield merged
            elif record_id in fresh:
                versions = [
                    part.get(self.replication_key or "") for part in fresh[record_id].values()
                ]
                self.stats.deferred.extend(str(v) for v in versions if v)
                logger.warning(
                    "stream %s: record %s keeps changing between field batches; left for "
                    "the next run", self.stream, record_id,
                )  # fmt: skip
            # Not in `fresh`: deleted meanwhile; crm_deleted_records reports it.
