"""Inbox operations: durable intake with group commit, claiming, completion, replay.

Intake writes go through one thread holding one connection: concurrent requests are
gathered into one transaction (group commit), so a thousand deliveries a second cost a
few dozen commits, and each request is answered only after the commit that holds its
row. Duplicates (same delivery key) insert nothing and are answered as duplicates.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from target_tsh_erp.database import connect
from target_tsh_erp.store.events import publish

if TYPE_CHECKING:
    from zoho_webhooks.intake import InboxEntry
    from zoho_webhooks.settings import ServiceSettings

logger = logging.getLogger("zoho_webhooks.inbox")

WEBHOOK_RECEIVED = "tds.zoho.webhook.received"
WEBHOOK_PROCESSED = "tds.zoho.webhook.processed"
_MAX_GROUP = 500
_ID_SEPARATOR = "\x1f"
"""Record ids travel joined (unnest cannot take ragged arrays); ids never contain it."""


@dataclass(frozen=True, slots=True)
class Stored:
    """The intake's answer for one delivery."""

    inbox_id: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Claimed:
    """A pending event, locked by the claiming transaction."""

    inbox_id: int
    source: str
    module: str
    operation: str
    organization_id: str | None
    record_ids: list[str]
    payload: bytes
    attempts: int
    received_at: datetime


def _table(settings: ServiceSettings, name: str = "inbox") -> sql.Identifier:
    return sql.Identifier(settings.service_schema, name)


class IntakeWriter:
    """A few threads, each with its connection, each committing the group waiting for it.

    Several writers overlap their commits: while one waits for its WAL flush, the next
    gathers the deliveries that arrived meanwhile (PostgreSQL merges the flushes).
    """

    def __init__(self, settings: ServiceSettings, database_url: str) -> None:
        """Connect lazily on the threads; nothing is written before `start`."""
        self.settings = settings
        self._url = database_url
        self._queue: queue.Queue[tuple[InboxEntry, Future[Stored]] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._run, name=f"zoho-webhooks-intake-{n}", daemon=True)
            for n in range(max(1, settings.intake_writers))
        ]
        self.commits = 0

    def start(self) -> None:
        """Start the writer threads."""
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Finish queued deliveries, then stop."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=10)

    def submit(self, entry: InboxEntry) -> Future[Stored]:
        """Queue a delivery; the future resolves after its commit (or fails)."""
        future: Future[Stored] = Future()
        self._queue.put((entry, future))
        return future

    def _run(self) -> None:  # noqa: C901 - gather, write, answer, reconnect
        connection: psycopg.Connection[Any] | None = None
        while True:
            first = self._queue.get()
            if first is None:
                break
            group = [first]
            stop = False
            while len(group) < _MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
            try:
                if connection is None or connection.closed:
                    connection = connect(self._url)
                results = self._write(connection, [entry for entry, _ in group])
            except psycopg.Error as error:
                logger.warning("Inbox write failed for %d deliveries: %s", len(group),
                               type(error).__name__)  # fmt: skip
                if connection is not None:
                    connection.close()
                connection = None
                for _, future in group:
                    future.set_exception(error)
                continue
            for (_, future), result in zip(group, results, strict=True):
                future.set_result(result)
            if stop:
                break
        if connection is not None:
            connection.close()

    def _write(
        self, connection: psycopg.Connection[Any], entries: list[InboxEntry]
    ) -> list[Stored]:
        """One INSERT for the whole group (unnest), then the ids of duplicates."""
        inbox = _table(self.settings)
        unique: dict[str, InboxEntry] = {}
        for entry in entries:
            unique.setdefault(entry.delivery_key, entry)
        rows = list(unique.values())
        inserted = dict(connection.execute(
            sql.SQL(
                "INSERT INTO {} (delivery_key, source, module, operation, organization_id,"
                " record_ids, event_time, payload)"
                " SELECT k, s, m, o, g, string_to_array(r, %s), t, p FROM unnest("
                "  %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
                "  %s::timestamptz[], %s::bytea[]) AS u(k, s, m, o, g, r, t, p)"
                " ORDER BY k ON CONFLICT (delivery_key) DO NOTHING RETURNING delivery_key, id"
            ).format(inbox),
            (_ID_SEPARATOR, [e.delivery_key for e in rows], [e.source for e in rows],
             [e.module for e in rows], [e.operation for e in rows],
             [e.organization_id for e in rows],
             [_ID_SEPARATOR.join(e.record_ids) for e in rows],
             [e.event_time for e in rows], [e.payload for e in rows]),
        ).fetchall())  # fmt: skip
        missing = [key for key in unique if key not in inserted]
        existing: dict[str, int] = {}
        if missing:
            existing = dict(connection.execute(
                sql.SQL("SELECT delivery_key, id FROM {} WHERE delivery_key = ANY(%s)")
                .format(inbox), (missing,),
            ).fetchall())  # fmt: skip
        results: list[Stored] = []
        announced: set[str] = set()
        new: list[tuple[int, InboxEntry]] = []
        for entry in entries:
            key = entry.delivery_key
            if key in inserted and key not in announced:
                announced.add(key)
                results.append(Stored(int(inserted[key]), duplicate=False))
                new.append((int(inserted[key]), entry))
            else:
                results.append(Stored(int(inserted.get(key) or existing[key]), duplicate=True))
        if new:
            publish(connection, self.settings.erp_schema, self.settings.notify_channel,
                    WEBHOOK_RECEIVED, {
                        "count": len(new),
                        "events": [{"inbox_id": inbox_id, "source": e.source,
                                    "module": e.module, "operation": e.operation,
                                    "organization_id": e.organization_id,
                                    "record_ids": e.record_ids[:20]}
                                   for inbox_id, e in new[:50]],
                    })  # fmt: skip
        connection.commit()
        self.commits += 1
        return results


def claim(
    connection: psycopg.Connection[Any], settings: ServiceSettings, limit: int
) -> list[Claimed]:
    """Lock up to `limit` due events; other workers skip them (FOR UPDATE SKIP LOCKED)."""
    rows = connection.execute(
        sql.SQL(
            "SELECT id, source, module, operation, organization_id, record_ids, payload,"
            " attempts, received_at FROM {} WHERE status = 'pending'"
            " AND next_attempt_at <= clock_timestamp() ORDER BY next_attempt_at, id"
            " LIMIT %s FOR UPDATE SKIP LOCKED"
        ).format(_table(settings)),
        (limit,),
    ).fetchall()
    return [Claimed(int(r[0]), r[1], r[2], r[3], r[4], list(r[5]), bytes(r[6]), int(r[7]), r[8])
            for r in rows]  # fmt: skip


def mark_done(
    connection: psycopg.Connection[Any], settings: ServiceSettings, ids: list[int]
) -> None:
    """Done, in the transaction that wrote the event's rows."""
    connection.execute(
        sql.SQL("UPDATE {} SET status = 'done', processed_at = clock_timestamp(),"
                " attempts = attempts + 1, last_error = NULL WHERE id = ANY(%s)")
        .format(_table(settings)), (ids,),
    )  # fmt: skip


def backoff(settings: ServiceSettings, attempts: int) -> float:
    """Exponential backoff after the n-th failed attempt, capped."""
    return float(min(settings.retry_max_seconds, settings.retry_base_seconds * 2 ** (attempts - 1)))


def mark_failed(
    connection: psycopg.Connection[Any], settings: ServiceSettings, event: Claimed, error: str
) -> bool:
    """Count a failed attempt; dead-letter after `max_attempts`. Returns True if dead."""
    attempts = event.attempts + 1
    dead = attempts >= settings.max_attempts
    connection.execute(
        sql.SQL("UPDATE {} SET attempts = %s, last_error = %s, status = %s,"
                " next_attempt_at = clock_timestamp() + %s WHERE id = %s")
        .format(_table(settings)),
        (attempts, error[:2000], "dead" if dead else "pending",
         timedelta(seconds=backoff(settings, attempts)), event.inbox_id),
    )  # fmt: skip
    return dead


def replay(
    connection: psycopg.Connection[Any],
    settings: ServiceSettings,
    since: datetime,
    *,
    module: str | None = None,
    dead_only: bool = False,
) -> int:
    """Put stored events received since `since` back to pending; commits; returns the count.

    Re-processing a done event is safe: the stale guard keeps rows that are newer.
    """
    conditions = [sql.SQL("received_at >= %s")]
    params: list[Any] = [since]
    conditions.append(sql.SQL("status = 'dead'") if dead_only else sql.SQL("status <> 'pending'"))
    if module:
        conditions.append(sql.SQL("lower(module) = lower(%s)"))
        params.append(module)
    cursor = connection.execute(
        sql.SQL("UPDATE {} SET status = 'pending', attempts = 0, last_error = NULL,"
                " next_attempt_at = clock_timestamp() WHERE {}")
        .format(_table(settings), sql.SQL(" AND ").join(conditions)), params,
    )  # fmt: skip
    count = cursor.rowcount
    connection.commit()
    return count


@dataclass(frozen=True, slots=True)
class QueueStats:
    """What /health and /metrics report about the inbox."""

    pending: int
    oldest_pending_seconds: float | None
    retrying: int
    dead: int
    last_processed_at: datetime | None


def stats(connection: psycopg.Connection[Any], settings: ServiceSettings) -> QueueStats:
    """Counts by state (the pending and dead indexes keep this cheap)."""
    inbox = _table(settings)
    row = connection.execute(
        sql.SQL(
            "SELECT count(*), extract(epoch FROM clock_timestamp() - min(received_at)),"
            " count(*) FILTER (WHERE attempts > 0) FROM {} WHERE status = 'pending'"
        ).format(inbox)
    ).fetchone()
    dead = connection.execute(
        sql.SQL("SELECT count(*) FROM {} WHERE status = 'dead'").format(inbox)
    ).fetchone()
    last = connection.execute(
        sql.SQL("SELECT max(processed_at) FROM {}").format(inbox)
    ).fetchone()
    connection.commit()
    assert row is not None  # noqa: S101 - aggregates always return a row
    assert dead is not None  # noqa: S101
    assert last is not None  # noqa: S101
    return QueueStats(int(row[0]), float(row[1]) if row[1] is not None else None,
                      int(row[2]), int(dead[0]), last[0])  # fmt: skip


def now_utc() -> datetime:
    """Wall clock in UTC (one place, for tests to reason about)."""
    return datetime.now(UTC)


def wait_until(predicate: Any, timeout: float, interval: float = 0.05) -> bool:  # noqa: ANN401
    """Poll `predicate()` until true or timeout (commands and tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
