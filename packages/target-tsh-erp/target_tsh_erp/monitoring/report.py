"""What `tsh-erp status` gathers: the report every view renders (text, page, metrics).

Its own module so that the views (`status`, `monitoring.page`, `monitoring.alerts`,
`monitoring.metrics`) share the report's shape without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from target_tsh_erp.monitoring.figures import QuotaFigure, StreamHealth
    from target_tsh_erp.monitoring.inbox import InboxFigures
    from target_tsh_erp.reconcile.report import StoredReconcile

__all__ = ["RunRecord", "StatusReport", "StreamLag", "TableCount"]


@dataclass(slots=True)
class RunRecord:
    """One target run, as the outbox tells it."""

    started_at: datetime
    ended_at: datetime | None = None
    outcome: str = "running or killed"
    erp_written: dict[str, int] = field(default_factory=dict)
    received: int = 0
    rejected: int = 0
    reason: str = ""
    api_requests: int | None = None
    api_failures: int | None = None

    @property
    def rows_written(self) -> int:
        """ERP rows written by the run, all tables together."""
        return sum(self.erp_written.values())


@dataclass(slots=True)
class TableCount:
    """Rows of one ERP table: live ones and soft-deleted ones."""

    table: str
    live: int
    deleted: int


@dataclass(slots=True)
class StreamLag:
    """Freshness of one stream: the newest Zoho modification time we hold."""

    stream: str
    rows: int
    newest: datetime | None
    lag: timedelta | None


@dataclass(slots=True)
class StatusReport:
    """Everything `tsh-erp status` shows, gathered once, rendered as text or HTML."""

    generated_at: datetime
    runs: list[RunRecord]
    tables: list[TableCount]
    lags: list[StreamLag]
    rejects_total: int
    run_log: str | None
    reconcile: StoredReconcile | None = None
    """The newest `tsh-erp reconcile` result (target_tsh_erp/reconcile/report.py)."""
    streams: list[StreamHealth] = field(default_factory=list)
    """Per stream and organization, from the tap's `done` lines in the run log."""
    quotas: list[QuotaFigure] = field(default_factory=list)
    crm_credits: dict[str, int] = field(default_factory=dict)
    """CRM credits per stream over the last 24 hours."""
    inbox: InboxFigures | None = None
    """None when the webhook service has no tables in this database."""
    quota_history: dict[tuple[str, str], list[tuple[datetime, int]]] = field(
        default_factory=dict)
    """Quota readings of the last day per (organization, product), for the chart."""
