"""`tsh-erp status`: how the syncs went, how fresh the data is, what the ERP holds.

Sources, each the one that knows:
- the events outbox (`<erp>.events_outbox`): every target run publishes
  `tds.zoho.sync.started` and then `tds.zoho.sync.completed` (with rows written per ERP
  table and rejects) or `tds.zoho.sync.failed`; a start with neither was killed;
- the raw landing tables (`<raw>.*`): the newest Zoho modification time per stream, so
  lag is "now minus the newest change we hold";
- Meltano's JSON run log (`.meltano/logs/meltano.jsonl`, written through the project's
  `logging.yaml` with `run_log_handler`): the tap's `tds.zoho.api.success` /
  `tds.zoho.api.failed` lines give the API requests of each run. Without that file the
  request column says "n/a"; the same log gives the quota left per organization and
  product, CRM credits and which stream of which organization finished or failed
  (target_tsh_erp/monitoring/runlog.py);
- the webhook service's inbox (`zoho_webhooks.inbox`) when that service shares the
  database: pending deliveries, the oldest one's age, dead letters.
"""

from __future__ import annotations

import html
import logging.handlers
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg import sql

from target_tsh_erp.monitoring.alerts import Thresholds, warnings
from target_tsh_erp.monitoring.figures import (
    credits_used,
    quota_figures,
    quota_readings,
    stream_health,
)
from target_tsh_erp.monitoring.inbox import DEFAULT_WEBHOOK_SCHEMA, load_inbox
from target_tsh_erp.monitoring.report import RunRecord, StatusReport, StreamLag, TableCount
from target_tsh_erp.monitoring.runlog import log_lines, read_facts
from target_tsh_erp.reconcile.report import latest_reconcile, status_text
from target_tsh_erp.settings import DEFAULT_ERP_SCHEMA, DEFAULT_RAW_SCHEMA
from target_tsh_erp.store.events import SYNC_COMPLETED, SYNC_FAILED, SYNC_STARTED

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "DEFAULT_RUN_LOG",
    "RunRecord",
    "StatusReport",
    "collect",
    "render_text",
    "run_log_handler",
]

DEFAULT_RUN_LOG = ".meltano/logs/meltano.jsonl"
RUN_LOG_MAX_BYTES = 10 * 1024 * 1024
RUN_LOG_BACKUPS = 5
RUNS_SHOWN = 10
HISTORY = timedelta(hours=24)
"""The page's charts cover a day: one quota period, ~96 runs at the 15-minute schedule."""
_REQUEST_WINDOW_BEFORE = timedelta(minutes=5)
"""The tap starts (discovery, first pages) before the target publishes sync.started."""
_REQUEST_WINDOW_AFTER = timedelta(seconds=1)
"""Clock skew between the tap's log lines and the database's event timestamps."""
_SUCCESS = re.compile(r"tds\.zoho\.api\.success stream=(?P<stream>\S+) calls=(?P<calls>\d+)")
_FAILED = re.compile(r"tds\.zoho\.api\.failed stream=(?P<stream>\S+) failures=(?P<calls>\d+)")


def run_log_handler(path: str = DEFAULT_RUN_LOG) -> logging.Handler:
    """A rotating file handler for Meltano's `logging.yaml` that creates its folder.

    A plain `RotatingFileHandler` fails on a fresh clone (no `.meltano/logs/` yet) and
    takes every Meltano command down with it; this one creates the folder first.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return logging.handlers.RotatingFileHandler(
        target, maxBytes=RUN_LOG_MAX_BYTES, backupCount=RUN_LOG_BACKUPS, encoding="utf-8"
    )


# ---------------------------------------------------------------------- gathering


def _table_exists(connection: psycopg.Connection[Any], schema: str, table: str) -> bool:
    row = connection.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
        (schema, table),
    ).fetchone()
    return row is not None


def load_runs(connection: psycopg.Connection[Any], erp_schema: str) -> list[RunRecord]:
    """Pair every sync.started with the completed/failed event that follows it."""
    if not _table_exists(connection, erp_schema, "events_outbox"):
        return []
    rows = connection.execute(
        sql.SQL(
            "SELECT event_type, created_at, payload FROM {}.events_outbox"
            " WHERE event_type IN (%s, %s, %s) ORDER BY id"
        ).format(sql.Identifier(erp_schema)),
        (SYNC_STARTED, SYNC_COMPLETED, SYNC_FAILED),
    ).fetchall()
    runs: list[RunRecord] = []
    current: RunRecord | None = None
    for event_type, created_at, payload in rows:
        if event_type == SYNC_STARTED:
            current = RunRecord(started_at=created_at)
            runs.append(current)
            continue
        if current is None or current.ended_at is not None:
            continue  # an end without its start (outbox trimmed): nothing to pair it with
        body = payload if isinstance(payload, dict) else {}
        current.ended_at = created_at
        if event_type == SYNC_COMPLETED:
            current.outcome = "success"
            current.erp_written = {str(k): int(v) for k, v in body.get("erp_written", {}).items()}
            current.received = sum(int(v) for v in body.get("received", {}).values())
            current.rejected = int(body.get("rejected", 0))
        else:
            current.outcome = "failed"
            current.reason = str(body.get("reason", ""))
    return runs


def load_table_counts(connection: psycopg.Connection[Any], erp_schema: str) -> list[TableCount]:
    """Live and soft-deleted rows of every ERP table that has `deleted_at`."""
    tables = connection.execute(
        "SELECT table_name FROM information_schema.columns"
        " WHERE table_schema = %s AND column_name = 'deleted_at' ORDER BY table_name",
        (erp_schema,),
    ).fetchall()
    counts: list[TableCount] = []
    for (table,) in tables:
        live, deleted = connection.execute(
            sql.SQL(
                "SELECT count(*) FILTER (WHERE deleted_at IS NULL),"
                " count(*) FILTER (WHERE deleted_at IS NOT NULL) FROM {}.{}"
            ).format(sql.Identifier(erp_schema), sql.Identifier(table))
        ).fetchone() or (0, 0)
        counts.append(TableCount(str(table), int(live), int(deleted)))
    return counts


def load_lags(
    connection: psycopg.Connection[Any], raw_schema: str, now: datetime
) -> list[StreamLag]:
    """Newest modification time per raw landing table (one table per stream)."""
    tables = connection.execute(
        "SELECT table_name FROM information_schema.columns"
        " WHERE table_schema = %s AND column_name = 'modified_at' ORDER BY table_name",
        (raw_schema,),
    ).fetchall()
    lags: list[StreamLag] = []
    for (table,) in tables:
        rows, newest = connection.execute(
            sql.SQL("SELECT count(*), max(modified_at) FROM {}.{}").format(
                sql.Identifier(raw_schema), sql.Identifier(table)
            )
        ).fetchone() or (0, None)
        lag = None if newest is None else max(now - newest, timedelta(0))
        lags.append(StreamLag(str(table), int(rows), newest, lag))
    return lags


def _count_rejects(connection: psycopg.Connection[Any], raw_schema: str) -> int:
    if not _table_exists(connection, raw_schema, "rejects"):
        return 0
    row = connection.execute(
        sql.SQL("SELECT count(*) FROM {}.rejects").format(sql.Identifier(raw_schema))
    ).fetchone()
    return int(row[0]) if row else 0


def attach_api_requests(
    runs: list[RunRecord], log_path: Path, lines: list[tuple[datetime, str]] | None = None
) -> bool:
    """Fill `api_requests` of each run from the tap's aggregated API events in the log.

    The tap logs, per stream, its cumulative calls at the end of each partition, so the
    run's figure is the sum over streams of the largest value seen within the run.
    `lines`, when given, are the log's lines already read (collect reads the log once
    for this and the monitoring figures). Returns False when there is no log to read.
    """
    if not log_path.is_file():
        return False
    windows = [
        (run, run.started_at - _REQUEST_WINDOW_BEFORE,
         (run.ended_at or datetime.now(UTC)) + _REQUEST_WINDOW_AFTER)
        for run in runs
    ]  # fmt: skip
    successes: dict[int, dict[str, int]] = {}
    failures: dict[int, dict[str, int]] = {}
    for stamp, text in log_lines(log_path) if lines is None else lines:
        for pattern, sink in ((_SUCCESS, successes), (_FAILED, failures)):
            match = pattern.search(text)
            if match is None:
                continue
            # The first run whose window holds the line: the tap's aggregated lines are
            # written before its target publishes sync.completed, so they never fall
            # after their own run's end, and a later run's lines fall after it.
            for index, (_, start, end) in enumerate(windows):
                if start <= stamp <= end:
                    per_stream = sink.setdefault(index, {})
                    stream, calls = match["stream"], int(match["calls"])
                    per_stream[stream] = max(per_stream.get(stream, 0), calls)
                    break
    for index, (run, _, _) in enumerate(windows):
        run.api_requests = sum(successes.get(index, {}).values())
        run.api_failures = sum(failures.get(index, {}).values())
    return True


def collect(  # noqa: PLR0913 - keyword-only settings, each with its default
    connection: psycopg.Connection[Any],
    *,
    erp_schema: str = DEFAULT_ERP_SCHEMA,
    raw_schema: str = DEFAULT_RAW_SCHEMA,
    run_log: Path | None = None,
    now: datetime | None = None,
    webhook_schema: str = DEFAULT_WEBHOOK_SCHEMA,
) -> StatusReport:
    """Gather the whole status report from the database (and the run log, if any)."""
    moment = now or datetime.now(UTC)
    runs = load_runs(connection, erp_schema)
    log_used = None
    facts = read_facts([])
    if run_log is not None and run_log.is_file():
        lines = list(log_lines(run_log))  # read once for both uses
        attach_api_requests(runs, run_log, lines)
        log_used = str(run_log)
        facts = read_facts(lines)
    return StatusReport(
        generated_at=moment,
        runs=runs,
        tables=load_table_counts(connection, erp_schema),
        lags=load_lags(connection, raw_schema, moment),
        rejects_total=_count_rejects(connection, raw_schema),
        run_log=log_used,
        reconcile=latest_reconcile(connection, erp_schema),
        streams=stream_health(facts),
        quotas=quota_figures(facts, moment),
        crm_credits=credits_used(facts, moment),
        inbox=load_inbox(connection, webhook_schema, moment),
        quota_history=quota_readings(facts, moment - HISTORY),
    )


# ---------------------------------------------------------------------- rendering


def utc_text(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def duration_text(delta: timedelta | None) -> str:
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    if seconds < 120:  # noqa: PLR2004 - under two minutes reads best in seconds
        return f"{seconds}s"
    if seconds < 7200:  # noqa: PLR2004
        return f"{seconds // 60}m"
    if seconds < 172800:  # noqa: PLR2004
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def requests_text(run: RunRecord) -> str:
    if run.api_requests is None:
        return "n/a"
    failed = f" ({run.api_failures} failed)" if run.api_failures else ""
    return f"{run.api_requests}{failed}"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]  # fmt: skip
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out.extend(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )
    return out


def _rate(per_hour: float | None) -> str:
    return "-" if per_hour is None else f"{per_hour:.0f}/h"


def monitoring_text(report: StatusReport) -> list[str]:
    """Streams per organization, quotas, CRM credits and the webhook inbox (text)."""
    out = ["", "Streams per organization (from the tap's lines in the run log):"]
    if report.streams:
        out.extend(_table(
            ["stream", "organization", "last success (UTC)", "ago", "records",
             "failures since", "last failure"],
            [[s.stream, s.organization_id, utc_text(s.last_success),
              duration_text(None if s.last_success is None
                        else report.generated_at - s.last_success),
              str(s.records), str(s.failures_since_success), s.last_failure[:80] or "-"]
             for s in report.streams],
        ))  # fmt: skip
    else:
        out.append("  none logged (no run log, or no run since it was set up)")
    out.extend(["", "Daily request quota (Books, Inventory) at the tap's last reading:"])
    out.extend(_table(
        ["organization", "product", "left", "used today", "limit", "burn", "read at (UTC)"],
        [[q.organization_id, q.product, str(q.remaining),
          "-" if q.used is None else str(q.used), "-" if q.limit is None else str(q.limit),
          _rate(q.burn_per_hour), utc_text(q.observed_at)] for q in report.quotas],
    ))  # fmt: skip
    spent = sum(report.crm_credits.values())
    detail = ", ".join(f"{k} {v}" for k, v in report.crm_credits.items()) or "none logged"
    out.extend(["", f"CRM credits used in the last 24 h: {spent} ({detail})", ""])
    if report.inbox is None:
        out.append("Webhook inbox: no zoho-webhooks tables in this database")
    else:
        out.append(
            f"Webhook inbox: {report.inbox.pending} pending (oldest "
            f"{duration_text(report.inbox.oldest_pending_age)}), {report.inbox.dead} dead letters"
        )
    return out


def warnings_text(report: StatusReport, limits: Thresholds | None = None) -> list[str]:
    """The alert conditions that hold now, as the rules file names them."""
    found = warnings(report, limits)
    if not found:
        return ["", "Warnings: none"]
    return ["", f"Warnings ({len(found)}):", *(f"  ! {w.alert}: {w.message}" for w in found)]


def render_text(report: StatusReport, limits: Thresholds | None = None) -> str:
    """The terminal view: warnings first, then runs, tables, lag, quotas, inbox, drift."""
    out = [f"TSH ERP sync status at {utc_text(report.generated_at)} UTC"]
    out.extend(warnings_text(report, limits))
    out.append("")
    runs = report.runs[-RUNS_SHOWN:]
    out.append(f"Last runs ({len(runs)} of {len(report.runs)}):")
    if runs:
        rows = []
        for run in reversed(runs):
            tables = ", ".join(f"{t} {n}" for t, n in sorted(run.erp_written.items()) if n)
            rows.append([
                utc_text(run.started_at), utc_text(run.ended_at), run.outcome,
                str(run.received), str(run.rows_written), requests_text(run),
                str(run.rejected), (tables or run.reason or "-")[:90],
            ])  # fmt: skip
        out.extend(_table(
            ["start", "end", "outcome", "records", "erp rows", "API requests", "rejects",
             "rows per ERP table"], rows,
        ))  # fmt: skip
    else:
        out.append("  no runs recorded yet (run `meltano run tap-zoho target-tsh-erp`)")
    if report.run_log is None:
        out.append("  (API requests: no Meltano run log found; see logging.yaml)")
    out.extend(["", "Rows per ERP table:"])
    out.extend(_table(
        ["table", "live", "soft-deleted"],
        [[t.table, str(t.live), str(t.deleted)] for t in report.tables],
    ))  # fmt: skip
    out.extend(["", f"Rejected records kept in zoho_raw.rejects: {report.rejects_total}", ""])
    out.append("Lag per stream (now minus the newest Zoho modification time held):")
    out.extend(_table(
        ["stream", "rows", "newest change (UTC)", "lag"],
        [[s.stream, str(s.rows), utc_text(s.newest), duration_text(s.lag)] for s in report.lags],
    ))  # fmt: skip
    out.extend(monitoring_text(report))
    out.extend(status_text(report.reconcile))
    return "\n".join(out) + "\n"


def html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
