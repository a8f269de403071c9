"""Prometheus metrics, one registry per app (tests run several apps in one process)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from zoho_webhooks.processor import Outcome

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


class ServiceMetrics:
    """Counters the handlers and the worker update; gauges refreshed on scrape."""

    def __init__(self) -> None:
        """Register every metric in a fresh registry."""
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter("zoho_webhooks_received", "Deliveries by source and result",
                                ["source", "result"], registry=r)  # fmt: skip
        self.processed = Counter("zoho_webhooks_processed", "Events applied to the ERP",
                                 ["source"], registry=r)  # fmt: skip
        self.failed = Counter("zoho_webhooks_failed", "Failed processing attempts", registry=r)
        self.dead = Counter("zoho_webhooks_dead_lettered", "Events moved to dead letter",
                            registry=r)  # fmt: skip
        self.queue_depth = Gauge("zoho_webhooks_queue_depth", "Pending events", registry=r)
        self.dead_depth = Gauge("zoho_webhooks_dead_letter_depth", "Dead events", registry=r)
        self.oldest_pending = Gauge("zoho_webhooks_oldest_pending_seconds",
                                    "Age of the oldest pending event", registry=r)  # fmt: skip
        self.workers_alive = Gauge("zoho_webhooks_workers_alive",
                                   "Worker threads alive in this process", registry=r)  # fmt: skip
        self.latency = Histogram("zoho_webhooks_processing_latency_seconds",
                                 "Receipt to ERP commit", buckets=LATENCY_BUCKETS,
                                 registry=r)  # fmt: skip
        self.ack_latency = Histogram("zoho_webhooks_ack_latency_seconds",
                                     "Request start to durable acknowledgement",
                                     buckets=LATENCY_BUCKETS, registry=r)  # fmt: skip

    def record(self, outcome: Outcome) -> None:
        """Fold one worker pass into the counters."""
        for source, count in outcome.by_source.items():
            self.processed.labels(source).inc(count)
        if outcome.failed:
            self.failed.inc(outcome.failed)
        if outcome.dead:
            self.dead.inc(outcome.dead)
        for seconds in outcome.latencies:
            self.latency.observe(seconds)
