"""The running service's parts, started and stopped together (the app's lifespan)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tap_zoho.api import UnifiedZohoClient
from tap_zoho.assumptions import REGISTER, FallbackLedger
from target_tsh_erp.database import connect
from target_tsh_erp.store.migrations import migrate as migrate_target
from zoho_webhooks import crm, inbox, storage
from zoho_webhooks.metrics import ServiceMetrics
from zoho_webhooks.processor import Outcome, WorkerLoop

if TYPE_CHECKING:
    import psycopg

    from zoho_webhooks.settings import ServiceSettings

logger = logging.getLogger("zoho_webhooks.service")

RENEW_CHECK_SECONDS = 60.0


def prepare_database(settings: ServiceSettings, database_url: str) -> None:
    """The target's migrations, then ours (both idempotent, both lock-guarded)."""
    with connect(database_url) as connection:
        migrate_target(connection, settings.erp_schema, settings.raw_schema)
        storage.migrate(connection, settings.service_schema)


def client_factory(settings: ServiceSettings) -> UnifiedZohoClient | None:
    """The tap's client from the tap's settings, or None without credentials."""
    if not settings.has_zoho_credentials:
        return None
    return UnifiedZohoClient.from_config(settings.zoho)


@dataclass
class Runtime:
    """Intake writer, worker threads, channel renewal, and the state /health reports."""

    settings: ServiceSettings
    database_url: str
    run_worker: bool = True
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    ledger: FallbackLedger = field(default_factory=lambda: FallbackLedger(REGISTER))
    """Register fallbacks of every worker thread (/health reports them)."""
    intake: inbox.IntakeWriter | None = None
    workers: list[WorkerLoop] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    channels: dict[int, str] = field(default_factory=dict)
    channels_loaded_at: float = 0.0
    last_success: datetime | None = None
    failures: int = 0
    renew_errors: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _health_connection: psycopg.Connection[Any] | None = None

    def start(self) -> None:
        """Migrate, then start intake, workers and the renewal loop."""
        prepare_database(self.settings, self.database_url)
        self.reload_channels(force=True)
        self.intake = inbox.IntakeWriter(self.settings, self.database_url)
        self.intake.start()
        if self.run_worker:
            for number in range(max(1, self.settings.worker_threads)):
                loop = WorkerLoop(self.settings, self.database_url,
                                  lambda: client_factory(self.settings), self._outcome,
                                  self.ledger)  # fmt: skip
                self.workers.append(loop)
                self._thread(loop.run, f"zoho-webhooks-worker-{number}")
        if self.settings.has_zoho_credentials:
            self._thread(self._renew_forever, "zoho-webhooks-crm-renewal")

    def stop(self) -> None:
        """Stop the workers after their batch, then the intake after its queue."""
        self.stopping.set()
        for loop in self.workers:
            loop.stop()
        for thread in self.threads:
            thread.join(timeout=15)
        if self.intake is not None:
            self.intake.stop()
        with self._lock:
            if self._health_connection is not None:
                self._health_connection.close()

    def _thread(self, target: Any, name: str) -> None:  # noqa: ANN401 - a callable
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _outcome(self, outcome: Outcome) -> None:
        self.metrics.record(outcome)
        if outcome.processed:
            self.last_success = datetime.now(UTC)
        self.failures += outcome.failed

    def _renew_forever(self) -> None:
        while not self.stopping.wait(RENEW_CHECK_SECONDS):
            self.renew_channels()

    def renew_channels(self) -> None:
        """Renew our CRM channel if one exists and nears expiry (never creates one)."""
        client = client_factory(self.settings)
        if client is None:
            return
        try:
            with connect(self.database_url) as connection:
                if not crm.load_channels(connection, self.settings):
                    return
                crm.subscribe(connection, self.settings, client)
            self.reload_channels(force=True)
        except Exception as error:  # noqa: BLE001 - a renewal failure is retried next round
            self.renew_errors += 1
            logger.warning("CRM channel renewal failed: %s: %s", type(error).__name__, error)
        finally:
            client.close()

    def reload_channels(self, *, force: bool = False) -> dict[int, str]:
        """Every active channel's token from the database (start-up and renewals)."""
        del force
        with self._lock, connect(self.database_url) as connection:
            self.channels = crm.load_channels(connection, self.settings)
            self.channels_loaded_at = time.monotonic()
            return dict(self.channels)

    def lookup_channel(self, channel_id: int) -> dict[int, str]:
        """A channel we do not know yet (made by `subscribe` in another process).

        One primary-key lookup per unknown channel id, so a flood of forged channel ids
        costs the database little and a fresh channel is honoured at once.
        """
        with self._lock:
            if self._health_connection is None or self._health_connection.closed:
                self._health_connection = connect(self.database_url)
            token = crm.channel_token(self._health_connection, self.settings, channel_id)
            if token is not None:
                self.channels = {**self.channels, channel_id: token}
            return dict(self.channels)

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Readiness facts; False when the database cannot be reached."""
        with self._lock:
            try:
                if self._health_connection is None or self._health_connection.closed:
                    self._health_connection = connect(self.database_url)
                queue = inbox.stats(self._health_connection, self.settings)
                channels = crm.channel_status(self._health_connection, self.settings)
            except Exception as error:  # noqa: BLE001 - health reports, never raises
                if self._health_connection is not None:
                    self._health_connection.close()
                self._health_connection = None
                return False, {"status": "unavailable", "database": "unreachable",
                               "error": type(error).__name__}  # fmt: skip
        self.metrics.queue_depth.set(queue.pending)
        self.metrics.dead_depth.set(queue.dead)
        self.metrics.oldest_pending.set(queue.oldest_pending_seconds or 0.0)
        last = self.last_success or queue.last_processed_at
        workers_alive = sum(t.is_alive() for t in self.threads if "worker" in t.name)
        self.metrics.workers_alive.set(workers_alive)
        problems = self._problems(workers_alive, queue.oldest_pending_seconds)
        return not problems, {
            "status": "ok" if not problems else "degraded",
            "problems": problems,
            "database": "reachable",
            "queue_depth": queue.pending,
            "oldest_pending_seconds": queue.oldest_pending_seconds,
            "retrying": queue.retrying,
            "dead_letters": queue.dead,
            "last_success": last.isoformat() if last else None,
            "failures": self.failures,
            "crm_renewal_failures": self.renew_errors,
            "workers": workers_alive,
            "crm_channels": channels,
            "fallbacks": self.ledger.summary(),
        }

    def _problems(self, workers_alive: int, oldest_pending: float | None) -> list[str]:
        """Why the service cannot keep its promise, in words an operator acts on.

        A dead worker or a stuck queue means deliveries are acknowledged and never
        applied; /health must say so (503), not "ok", or nobody notices (issue 14 D1).
        """
        problems = []
        if self.run_worker and not self.stopping.is_set() and workers_alive == 0:
            problems.append("no worker thread is alive: events are stored but not applied")
        limit = self.settings.health_max_pending_age_seconds
        if limit > 0 and oldest_pending is not None and oldest_pending > limit:
            problems.append(f"the oldest pending event is {oldest_pending:.0f} s old (limit"
                            f" {limit:g} s): the worker is not keeping up or is stuck")  # fmt: skip
        return problems
