"""The worker: claim pending events, complete them from Zoho, apply them, mark them done.

One claimed batch is one transaction: every event's raw and ERP rows and its `done`
mark commit together, so a crash at any point leaves each event either fully applied or
still pending (and SKIP LOCKED lets several workers share the inbox). Each event runs in
a savepoint: a poison event rolls back alone and is counted as a failed attempt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
import psycopg
from psycopg import sql

from tap_zoho.assumptions import REGISTER, FallbackLedger
from target_tsh_erp.database import connect
from target_tsh_erp.store import ErpWriter, apply_records
from target_tsh_erp.store.events import publish
from zoho_webhooks import inbox
from zoho_webhooks.crm import CrmRecords
from zoho_webhooks.intake import DELIVERY_MARK
from zoho_webhooks.records import StreamRecords, by_payload_key, catalog, needs_detail, shape

if TYPE_CHECKING:
    from collections.abc import Callable

    from tap_zoho.api import UnifiedZohoClient
    from zoho_webhooks.settings import ServiceSettings

logger = logging.getLogger("zoho_webhooks.worker")

CRM_DELETE = frozenset({"delete"})
CRM_STREAMS = "crm_deleted_records"
DELIVERY_SHAPE = "webhook.delivery-shape"
"""The register entry a partial (form or raw-template) delivery falls back on."""


class EventError(Exception):
    """An event that cannot be applied as it is (kept in the inbox with this message)."""


_EVENT_ERRORS = (Exception,)
"""What one event's processing may raise: anything. A bad event (a date the normaliser
cannot convert raises OverflowError, say) is retried and dead-lettered with its error
text; it must never escape to the loop, or one poison event stops the worker for good
(issue 14 D1). EventError and the tap client's errors are the expected ones."""


@dataclass(slots=True)
class Outcome:
    """What one pass of the worker did (metrics and tests)."""

    processed: int = 0
    failed: int = 0
    dead: int = 0
    latencies: list[float] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Processor:
    """Applies claimed events; holds one ERP writer (its statement caches) per instance."""

    def __init__(
        self,
        settings: ServiceSettings,
        client_factory: Callable[[], UnifiedZohoClient | None],
        ledger: FallbackLedger | None = None,
    ) -> None:
        """The Zoho client is built on first need (Books payloads rarely need one).

        `ledger` counts the deliveries that were not the default payload (a register
        fallback: the record is read from Zoho); the service shares one across workers.
        """
        self.settings = settings
        self.ledger = ledger if ledger is not None else FallbackLedger(REGISTER)
        # ERP merges take turns with the target's batches (and other workers'):
        # concurrent merges lock shared parents in different orders and deadlock.
        self.writer = ErpWriter(settings.writer_settings, exclusive_erp_phase=True)
        self._client_factory = client_factory
        self._client: UnifiedZohoClient | None = None
        self._crm: CrmRecords | None = None

    def client(self) -> UnifiedZohoClient:
        """The tap's client, or a clear error when no credentials are configured."""
        if self._client is None:
            self._client = self._client_factory()
            if self._client is None:
                msg = ("payload is partial and no Zoho credentials are configured"
                       " (TAP_ZOHO_CLIENT_ID, TAP_ZOHO_CLIENT_SECRET, TAP_ZOHO_REFRESH_TOKEN)")
                raise EventError(msg)
        return self._client

    def crm(self) -> CrmRecords:
        """The CRM fetcher over the shared client."""
        if self._crm is None:
            self._crm = CrmRecords(self.client())
        return self._crm

    def run_once(self, connection: psycopg.Connection[Any]) -> Outcome:
        """Claim one batch and apply it in one transaction; returns what happened."""
        outcome = Outcome()
        events = inbox.claim(connection, self.settings, self.settings.claim_batch)
        if not events:
            connection.commit()
            return outcome
        fetched, fetch_errors = self._prefetch_crm(events)
        prepared: list[tuple[inbox.Claimed, list[StreamRecords]]] = []
        for event in events:
            try:
                prepared.append((event, self._records(event, fetched, fetch_errors)))
            except _EVENT_ERRORS as error:
                self._failed(connection, event, error, outcome)
        done = self._apply_batch(connection, prepared, outcome)
        if done:
            inbox.mark_done(connection, self.settings, [e.inbox_id for e in done])
            publish(connection, self.settings.erp_schema, self.settings.notify_channel,
                    inbox.WEBHOOK_PROCESSED, {
                        "count": len(done),
                        "events": [{"inbox_id": e.inbox_id, "source": e.source,
                                    "module": e.module, "operation": e.operation,
                                    "organization_id": e.organization_id,
                                    "record_ids": e.record_ids[:20]} for e in done],
                    })  # fmt: skip
        connection.commit()
        now = datetime.now(UTC)
        for event in done:
            outcome.processed += 1
            outcome.by_source[event.source] += 1
            outcome.latencies.append((now - event.received_at).total_seconds())
        return outcome

    def _prefetch_crm(
        self, events: list[inbox.Claimed]
    ) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, str]]:
        """Fetch every CRM record the batch needs, grouped by module (100 ids per call)."""
        wanted: dict[str, list[str]] = defaultdict(list)
        for event in events:
            if event.source == "crm" and event.operation not in CRM_DELETE:
                wanted[event.module].extend(event.record_ids)
        fetched: dict[tuple[str, str], dict[str, Any]] = {}
        errors: dict[str, str] = {}
        for module, ids in wanted.items():
            try:
                for record_id, record in self.crm().fetch(module, ids).items():
                    fetched[module, record_id] = record
            except Exception as error:  # noqa: BLE001 - any fetch failure fails the events
                name = type(error).__name__
                errors[module] = f"fetching {module} records failed: {name}: {error}"
        return fetched, errors

    def _records(
        self,
        event: inbox.Claimed,
        fetched: dict[tuple[str, str], dict[str, Any]],
        fetch_errors: dict[str, str],
    ) -> list[StreamRecords]:
        if event.source == "crm":
            return self._crm_records(event, fetched, fetch_errors)
        return self._finance_records(event)

    def _apply_batch(
        self,
        connection: psycopg.Connection[Any],
        prepared: list[tuple[inbox.Claimed, list[StreamRecords]]],
        outcome: Outcome,
    ) -> list[inbox.Claimed]:
        """The whole batch in one `apply_records` per stream; one event at a time on error.

        The fast path is what keeps up with a burst (a handful of statements per stream
        instead of per event); the slow path isolates a poison event in its savepoint.
        """
        if not prepared:
            return []
        merged: dict[str, StreamRecords] = {}
        for _, groups in prepared:  # inbox order: a later change of a record wins ties
            for group in groups:
                target = merged.setdefault(
                    group.stream, StreamRecords(group.stream, group.primary_keys, []))
                target.records.extend(group.records)
        try:
            with connection.transaction():
                self._write(connection, list(merged.values()))
        except _EVENT_ERRORS as batch_error:
            if len(prepared) == 1:
                event = prepared[0][0]
                try:
                    with connection.transaction():
                        self._write(connection, prepared[0][1])
                except _EVENT_ERRORS as error:
                    self._failed(connection, event, error, outcome)
                    return []
                return [event]
            logger.info("Batch of %d events failed (%s); applying them one by one",
                        len(prepared), type(batch_error).__name__)  # fmt: skip
            done = []
            for event, groups in prepared:
                try:
                    with connection.transaction():
                        self._write(connection, groups)
                except _EVENT_ERRORS as error:
                    self._failed(connection, event, error, outcome)
                    continue
                done.append(event)
            return done
        return [event for event, _ in prepared]

    def _write(self, connection: psycopg.Connection[Any], groups: list[StreamRecords]) -> None:
        # One long-lived writer: it re-checks landing tables created in a savepoint that
        # rolled back (target_tsh_erp.raw), so a failed event leaves no stale cache.
        for group in groups:
            if group.records:
                apply_records(
                    connection, group.stream, group.records,
                    key_properties=list(group.primary_keys), writer=self.writer,
                )  # fmt: skip

    def _failed(
        self,
        connection: psycopg.Connection[Any],
        event: inbox.Claimed,
        error: BaseException,
        outcome: Outcome,
    ) -> None:
        reason = _describe(event, error)
        dead = inbox.mark_failed(connection, self.settings, event, reason)
        outcome.failed += 1
        outcome.dead += int(dead)
        log = logger.error if dead else logger.warning
        log("Event %d (%s %s) %s: %s", event.inbox_id, event.source, event.module,
            "dead-lettered" if dead else "failed, will retry", reason)  # fmt: skip

    def _finance_records(self, event: inbox.Claimed) -> list[StreamRecords]:
        document = orjson.loads(event.payload)
        known = by_payload_key(event.source)
        key = next(k for k in document if k in known)
        spec = known[key]
        record: dict[str, Any] = dict(document[key])
        organization_id = str(event.organization_id)
        mark = document.get(DELIVERY_MARK)
        partial = isinstance(mark, dict) and bool(mark.get("partial"))
        if partial:
            self.ledger.fell_back(
                DELIVERY_SHAPE, stream=spec.stream, organization_id=organization_id,
                detail=f"a {mark.get('body', 'raw')} delivery carried only the webhook's"
                       " configured fields",
            )  # fmt: skip
        if event.operation == "deleted":
            # Zoho's Books/Inventory payload carries no deletion time (the record still
            # says its last modification): the deletion is dated when we received it,
            # not when a worker got to it, so a retried update Zoho made before the
            # deletion is older than the tombstone even after a backlog.
            return shape(spec, organization_id, record, deleted_at=event.received_at)
        if partial:
            # Form entity parameters or a raw template: only the fields the webhook was
            # configured with, as text. The record is read from Zoho, like CRM's ids.
            detail = self.client().get_record(
                spec.product, organization_id, spec.entity, str(record[spec.id_field]),
                label=f"webhooks:{spec.stream}",
            )  # fmt: skip
            if detail is None:
                logger.info("%s %s is gone from Zoho; nothing to apply", spec.entity,
                            record[spec.id_field])  # fmt: skip
                return []
            return shape(spec, organization_id, detail)
        if needs_detail(spec, record):
            detail = self.client().get_record(
                spec.product, organization_id, spec.entity, str(record[spec.id_field]),
                label=f"webhooks:{spec.stream}",
            )  # fmt: skip
            if detail is None:
                msg = f"{spec.entity} {record[spec.id_field]} is gone from Zoho; kept as sent"
                logger.info(msg)
            else:
                record = detail
        return shape(spec, organization_id, record)

    def _crm_records(
        self,
        event: inbox.Claimed,
        fetched: dict[tuple[str, str], dict[str, Any]],
        fetch_errors: dict[str, str],
    ) -> list[StreamRecords]:
        stream = f"crm_{event.module.lower()}"
        if event.operation in CRM_DELETE:
            document = orjson.loads(event.payload)
            server_time = document.get("server_time")
            # Zoho's time of the deletion (`server_time`), else when we received it:
            # the target's guard keeps the record deleted against anything older.
            when = (datetime.fromtimestamp(server_time / 1000, UTC)
                    if isinstance(server_time, (int, float)) else event.received_at)  # fmt: skip
            return [StreamRecords(CRM_STREAMS, ("organization_id", "module", "id"),
                                  [self.crm().deletion(event.module, i, when)
                                   for i in event.record_ids])]  # fmt: skip
        if event.module in fetch_errors:
            raise EventError(fetch_errors[event.module])
        records = [fetched[event.module, i] for i in event.record_ids
                   if (event.module, i) in fetched]  # fmt: skip
        return [StreamRecords(stream, ("organization_id", "id"), records)]


def _describe(event: inbox.Claimed, error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    ids = ",".join(event.record_ids[:5])
    head = f"{event.source} {event.module} {event.operation} record(s) {ids}"
    return f"{head}: {type(error).__name__}: {text}"[:2000]


def _log_batch_failure(error: Exception) -> None:
    """A failure outside any one event: logged; the batch is rolled back and stays pending.

    A database error is expected (a restart, a lost connection): reconnect quietly. Any
    other is our bug, logged as an error; either way the loop goes on.
    """
    if isinstance(error, psycopg.Error):
        logger.warning("Worker database error (%s); reconnecting", type(error).__name__)
        return
    text = str(error).splitlines()[0][:200] if str(error) else ""
    logger.error("Worker batch failed (%s: %s); rolled back, will retry",
                 type(error).__name__, text)  # fmt: skip


class WorkerLoop:
    """A thread (or the `work` command's main loop) that drains the inbox."""

    def __init__(
        self,
        settings: ServiceSettings,
        database_url: str,
        client_factory: Callable[[], UnifiedZohoClient | None],
        on_outcome: Callable[[Outcome], None] | None = None,
        ledger: FallbackLedger | None = None,
    ) -> None:
        """Nothing connects before `run`."""
        self.settings = settings
        self.url = database_url
        self.processor = Processor(settings, client_factory, ledger)
        self.on_outcome = on_outcome
        self.stopping = threading.Event()
        self._listener: psycopg.Connection[Any] | None = None

    def run(self) -> None:
        """Loop until stopped: drain while there is work, wait for a NOTIFY when idle.

        Nothing ends the loop but `stop`: a database error reconnects, and anything else
        (a bug outside one event's processing) rolls the batch back, is logged, and the
        loop goes on after a pause, the batch's events still pending.
        """
        connection: psycopg.Connection[Any] | None = None
        while not self.stopping.is_set():
            try:
                if connection is None or connection.closed:
                    connection = connect(self.url)
                outcome = self.processor.run_once(connection)
            except Exception as error:  # noqa: BLE001 - the loop must outlive any batch
                _log_batch_failure(error)
                if connection is not None:
                    connection.close()
                connection = None
                self.stopping.wait(1.0)
                continue
            if self.on_outcome is not None:
                self.on_outcome(outcome)
            if outcome.processed == 0 and outcome.failed == 0:
                self._idle()
        if connection is not None:
            connection.close()
        if self._listener is not None:
            self._listener.close()

    def _idle(self) -> None:
        """Until the intake announces new events (its NOTIFY) or the poll interval ends.

        The poll stays as the safety net: retries come due without a NOTIFY, and a lost
        listening connection only costs latency.
        """
        try:
            if self._listener is None or self._listener.closed:
                self._listener = connect(self.url, autocommit=True)
                self._listener.execute(
                    sql.SQL("LISTEN {}").format(sql.Identifier(self.settings.notify_channel))
                )
            for _ in self._listener.notifies(timeout=self.settings.poll_seconds, stop_after=1):
                pass
        except psycopg.Error:
            if self._listener is not None:
                self._listener.close()
            self._listener = None
            self.stopping.wait(self.settings.poll_seconds)

    def stop(self) -> None:
        """Ask the loop to finish its current batch and exit."""
        self.stopping.set()


def catalog_streams() -> list[str]:
    """Every stream a webhook can write (documentation and tests)."""
    return sorted({s.stream for s in catalog().values()}
                  | {line.name for s in catalog().values() for line in s.lines}
                  | {line.manifest for s in catalog().values() for line in s.lines
                     if line.manifest})


def sleep(seconds: float) -> None:
    """Indirection for the CLI's idle loops."""
    time.sleep(seconds)
