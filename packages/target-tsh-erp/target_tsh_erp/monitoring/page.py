"""The status page: what an operator of a Zoho integration keeps open.

One page for `tsh-erp status --html` (a file) and `--serve` (live, refreshing itself):
warnings first, then what runs out (quota, CRM credits), what is late or failing
(streams, runs, webhooks), then what the ERP holds and whether it matches Zoho.
Self-contained: inline CSS and SVG charts, no script, no CDN, so it works offline.
"""

from __future__ import annotations

import html
from datetime import UTC
from typing import TYPE_CHECKING

from target_tsh_erp.monitoring.alerts import warnings
from target_tsh_erp.monitoring.charts import Bar, Series, bar_chart, line_chart
from target_tsh_erp.reconcile.report import status_html
from target_tsh_erp.status import (
    HISTORY,
    duration_text,
    html_table,
    requests_text,
    utc_text,
)

if TYPE_CHECKING:
    from target_tsh_erp.monitoring.alerts import Thresholds
    from target_tsh_erp.monitoring.report import StatusReport

__all__ = ["render_page"]

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#1a202c;max-width:1100px}"
    "h1{margin-bottom:0}h2{margin-top:1.6em;border-bottom:1px solid #e2e8f0}"
    "table{border-collapse:collapse;margin:.6em 0}"
    "th,td{border:1px solid #cbd5e0;padding:3px 8px;font-size:13px;text-align:left}"
    "th{background:#f7fafc}td.num{text-align:right}"
    ".warn{background:#fff5f5;border-left:4px solid #c53030;padding:.4em .8em}"
    ".ok{background:#f0fff4;border-left:4px solid #2f855a;padding:.4em .8em}"
    "svg{display:block;margin:.6em 0}.muted{color:#4a5568;font-size:13px}"
)


def _warnings(report: StatusReport, limits: Thresholds | None) -> str:
    found = warnings(report, limits)
    if not found:
        return '<div class="ok" id="warnings">No warnings.</div>'
    items = "".join(
        f"<li><strong>{html.escape(w.alert)}</strong>: {html.escape(w.message)}</li>"
        for w in found
    )
    return f'<div class="warn" id="warnings"><ul>{items}</ul></div>'


def _quota(report: StatusReport) -> list[str]:
    rows = [
        [q.organization_id, q.product, "-" if q.used is None else str(q.used),
         "-" if q.limit is None else str(q.limit), str(q.remaining),
         "-" if q.burn_per_hour is None else f"{q.burn_per_hour:.0f}",
         "-" if not q.burn_per_hour else f"{q.remaining / q.burn_per_hour:.1f} h",
         utc_text(q.observed_at)]
        for q in report.quotas
    ]  # fmt: skip
    chart = line_chart(
        "Daily request quota left", "requests left",
        [Series(f"{org} {product}", [(at, float(left)) for at, left in points])
         for (org, product), points in report.quota_history.items()],
    )  # fmt: skip
    spent = sum(report.crm_credits.values())
    per_stream = ", ".join(f"{k} {v}" for k, v in report.crm_credits.items()) or "none logged"
    return [
        "<h2>Zoho quota and CRM credits</h2>",
        html_table(["organization", "product", "used today", "daily limit", "left",
                    "burn per hour", "left at this rate", "read at (UTC)"], rows)
        if rows else "<p>No quota reading in the run log yet.</p>",
        ('<p class="muted">Books and Inventory count requests per organization and day '
        "(Zoho's X-Rate-Limit headers, as the tap last read them); the daily limit shows "
        "once the tap logs it.</p>"),
        chart,
        (f"<p>CRM credits used in the last 24 h: <strong>{spent}</strong> "
         f"({html.escape(per_stream)})</p>"),
    ]  # fmt: skip


def _streams(report: StatusReport) -> list[str]:
    now = report.generated_at
    rows = [
        [s.stream, s.organization_id, utc_text(s.last_success),
         duration_text(None if s.last_success is None else now - s.last_success),
         str(s.records), str(s.failures_since_success), s.last_failure or "-"]
        for s in report.streams
    ]  # fmt: skip
    lags = {lag.stream: lag for lag in report.lags}
    lag_rows = [[s.stream, str(s.rows), utc_text(s.newest), duration_text(s.lag)]
                for s in lags.values()]  # fmt: skip
    return [
        "<h2>Streams per organization</h2>",
        html_table(["stream", "organization", "last success (UTC)", "ago", "records",
                    "failures since", "last failure"], rows)
        if rows else "<p>No stream finished in the run log yet.</p>",
        "<h3>Lag per stream</h3>",
        '<p class="muted">Now minus the newest Zoho modification time held.</p>',
        html_table(["stream", "rows", "newest change (UTC)", "lag"], lag_rows),
    ]  # fmt: skip


def _runs(report: StatusReport) -> list[str]:
    since = report.generated_at - HISTORY
    recent = [run for run in report.runs if run.started_at >= since] or report.runs[-30:]
    rows_chart = bar_chart(
        "ERP rows written per run", "rows",
        [Bar(r.started_at, r.rows_written, r.outcome == "failed") for r in recent], "#2b6cb0",
    )  # fmt: skip
    requests_chart = bar_chart(
        "Zoho API requests per run", "requests",
        [Bar(r.started_at, r.api_requests or 0, r.outcome == "failed") for r in recent],
        "#c05621",
    )  # fmt: skip
    failed = [[utc_text(r.started_at), r.reason or "-"]
              for r in reversed(report.runs) if r.outcome == "failed"][:10]  # fmt: skip
    table = [
        [utc_text(r.started_at), utc_text(r.ended_at), r.outcome, str(r.received),
         str(r.rows_written), requests_text(r), str(r.rejected),
         ", ".join(f"{t} {n}" for t, n in sorted(r.erp_written.items()) if n) or r.reason]
        for r in reversed(report.runs[-20:])
    ]  # fmt: skip
    parts = ["<h2>Runs</h2>"]
    if report.run_log is None:
        parts.append("<p><em>API requests: no Meltano run log found.</em></p>")
    parts += [rows_chart, requests_chart, "<h3>Failed runs</h3>",
              html_table(["start (UTC)", "reason"], failed) if failed else "<p>None.</p>",
              "<h3>Last runs</h3>",
              html_table(["start (UTC)", "end (UTC)", "outcome", "records", "ERP rows",
                          "API requests", "rejects", "rows per ERP table or reason"], table)]
    return parts  # fmt: skip


def _inbox(report: StatusReport) -> list[str]:
    if report.inbox is None:
        return ["<h2>Webhook inbox</h2>",
                "<p>No zoho-webhooks tables in this database.</p>"]  # fmt: skip
    inbox = report.inbox
    return [
        "<h2>Webhook inbox</h2>",
        html_table(["pending", "oldest pending", "dead letters"],
                   [[str(inbox.pending), duration_text(inbox.oldest_pending_age),
                     str(inbox.dead)]]),
    ]  # fmt: skip


def render_page(
    report: StatusReport, limits: Thresholds | None = None, refresh_seconds: int | None = None
) -> str:
    """The whole page; with `refresh_seconds` the browser reloads it by itself."""
    refresh = (f'<meta http-equiv="refresh" content="{int(refresh_seconds)}">'
               if refresh_seconds else "")  # fmt: skip
    tables = html_table(["table", "live", "soft-deleted"],
                        [[t.table, str(t.live), str(t.deleted)] for t in report.tables])
    sections = [
        "<h2>Warnings</h2>", _warnings(report, limits),
        *_quota(report), *_streams(report), *_runs(report), *_inbox(report),
        "<h2>Rows per ERP table</h2>", tables,
        f"<p>Rejected records kept in the raw rejects table: {report.rejects_total}</p>",
        status_html(report.reconcile),
    ]  # fmt: skip
    generated = report.generated_at.astimezone(UTC)
    live = f" Refreshes every {refresh_seconds} s." if refresh_seconds else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'{refresh}<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>TSH ERP sync status</title><style>{_STYLE}</style></head><body>"
        f'<h1>TSH ERP sync status</h1><p class="muted">Generated '
        f"{utc_text(generated)} UTC.{live}</p>"
        + "".join(sections)
        + "</body></html>\n"
    )
