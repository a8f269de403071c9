"""A reconciliation's result: lines, verdicts, the printed table, the outbox events.

One line per organization, entity and measure (count, sum of `total`, sum of
`balance`). `difference` is ERP minus Zoho: positive when the ERP holds more (a record
deleted in Zoho still live in the ERP), negative when it holds less (a record it never
got). Money is compared to the cent: Zoho's sums are rounded to it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from psycopg import sql

from target_tsh_erp.store.events import publish

if TYPE_CHECKING:
    import psycopg

    from target_tsh_erp.settings import WriterSettings

__all__ = [
    "RECONCILE_COMPLETED",
    "RECONCILE_DRIFT",
    "Line",
    "ReconcileReport",
    "StoredReconcile",
    "latest_reconcile",
    "publish_report",
    "render_text",
    "status_html",
    "status_text",
    "when",
]

RECONCILE_COMPLETED = "tds.zoho.reconcile.completed"
RECONCILE_DRIFT = "tds.zoho.reconcile.drift"
IN_SYNC = "in sync"
DRIFT = "drift"
NOT_IN_ANSWER = "not in Zoho's answer"
NOT_COMPARED = "not compared"
REFUSED = "Zoho refused"
UNVERIFIED = "unverified"
INFORMATION = "information, not judged"
"""Both figures shown, no verdict: what changed since the last sync cannot be set apart."""
CENT = Decimal("0.01")
HEADERS = ["organization", "entity", "measure", "Zoho", "ERP", "difference", "verdict", "note"]


@dataclass(slots=True)
class Line:
    """One compared (or not comparable) figure."""

    organization_id: str
    entity: str
    measure: str
    zoho: Decimal | None
    erp: Decimal | None
    verdict: str
    note: str = ""

    @property
    def difference(self) -> Decimal | None:
        """ERP minus Zoho, when both are known."""
        if self.zoho is None or self.erp is None:
            return None
        return self.erp - self.zoho

    def as_json(self) -> dict[str, Any]:
        """The line in an event: figures as exact decimal strings."""
        return {
            "organization_id": self.organization_id, "entity": self.entity,
            "measure": self.measure, "zoho": _text(self.zoho), "erp": _text(self.erp),
            "difference": _text(self.difference), "verdict": self.verdict, "note": self.note,
        }  # fmt: skip


def compared(  # noqa: PLR0913 - a line's parts
    organization_id: str, entity: str, measure: str, zoho: Decimal, erp: Decimal, *, note: str = ""
) -> Line:
    """A line with both figures: in sync when equal (money: within a cent)."""
    tolerance = CENT if measure != "count" else Decimal(0)
    verdict = IN_SYNC if abs(erp - zoho) < tolerance or erp == zoho else DRIFT
    return Line(organization_id, entity, measure, zoho, erp, verdict, note)


def when(moment: datetime | None) -> str:
    """A bookmark in a line's note (UTC, to the second)."""
    return "never" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(slots=True)
class ReconcileReport:
    """Everything one `tsh-erp reconcile` run found, and what it cost."""

    started_at: datetime
    finished_at: datetime | None = None
    lines: list[Line] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    """Zoho calls per organization (`-`: the organizations listing, counted against none)."""
    errors: list[str] = field(default_factory=list)

    @property
    def drift(self) -> list[Line]:
        """The lines whose figures differ."""
        return [line for line in self.lines if line.verdict == DRIFT]

    def payload(self) -> dict[str, Any]:
        """The `tds.zoho.reconcile.completed` payload (the drift event carries a subset)."""
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": (self.finished_at or datetime.now(UTC)).isoformat(),
            "calls": self.calls, "drift": len(self.drift), "errors": self.errors,
            "lines": [line.as_json() for line in self.lines],
        }  # fmt: skip


def _row(line: Line) -> list[str]:
    return [
        line.organization_id, line.entity, line.measure,
        "-" if line.zoho is None else str(line.zoho),
        "-" if line.erp is None else str(line.erp),
        "-" if line.difference is None else f"{line.difference:+}",
        line.verdict, line.note,
    ]  # fmt: skip


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [
        max([len(header)] + [len(row[i]) for row in rows]) for i, header in enumerate(headers)
    ]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out.extend(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )
    return out


def render_text(report: ReconcileReport) -> str:
    """The table `tsh-erp reconcile` prints, then the calls per organization."""
    out = _table(HEADERS, [_row(line) for line in report.lines])
    calls = ", ".join(f"{org} {n}" for org, n in sorted(report.calls.items()))
    out.extend(["", f"Zoho calls per organization: {calls or 'none'}"])
    out.extend(f"error: {error}" for error in report.errors)
    verdict = f"{len(report.drift)} line(s) drift" if report.drift else "no drift"
    out.append(f"Result: {verdict}.")
    return "\n".join(out) + "\n"


def publish_report(
    connection: psycopg.Connection[Any], settings: WriterSettings, report: ReconcileReport
) -> None:
    """Store the result in the outbox (completed always; drift when a line differs)."""
    payload = report.payload()
    publish(connection, settings.erp_schema, settings.notify_channel, RECONCILE_COMPLETED, payload)
    if report.drift:
        publish(
            connection, settings.erp_schema, settings.notify_channel, RECONCILE_DRIFT,
            {"finished_at": payload["finished_at"],
             "lines": [line.as_json() for line in report.drift]},
        )  # fmt: skip
    connection.commit()


# ------------------------------------------------------------------ `tsh-erp status`


@dataclass(frozen=True, slots=True)
class StoredReconcile:
    """The newest reconciliation in the outbox, as `tsh-erp status` shows it."""

    created_at: datetime
    payload: dict[str, Any]

    def rows(self) -> list[list[str]]:
        """Table rows of its lines."""
        lines = self.payload.get("lines")
        return [
            [str(item.get(key) if item.get(key) is not None else "-") for key in
             ("organization_id", "entity", "measure", "zoho", "erp", "difference", "verdict",
              "note")]
            for item in (lines if isinstance(lines, list) else []) if isinstance(item, dict)
        ]  # fmt: skip

    def summary(self) -> str:
        """One sentence: when, how much drift, what it cost."""
        calls = self.payload.get("calls")
        spent = sum(int(n) for n in calls.values()) if isinstance(calls, dict) else 0
        drift = int(self.payload.get("drift") or 0)
        when = self.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return (
            f"Last reconciliation with Zoho: {when} UTC, "
            f"{f'{drift} line(s) drift' if drift else 'no drift'}, {spent} Zoho calls"
        )


def latest_reconcile(
    connection: psycopg.Connection[Any], erp_schema: str
) -> StoredReconcile | None:
    """The newest `tds.zoho.reconcile.completed` event, or None (never run, no outbox)."""
    exists = connection.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s"
        " AND table_name = 'events_outbox'",
        (erp_schema,),
    ).fetchone()
    if exists is None:
        return None
    row = connection.execute(
        sql.SQL(
            "SELECT created_at, payload FROM {}.events_outbox WHERE event_type = %s"
            " ORDER BY id DESC LIMIT 1"
        ).format(sql.Identifier(erp_schema)),
        (RECONCILE_COMPLETED,),
    ).fetchone()
    if row is None or not isinstance(row[1], dict):
        return None
    return StoredReconcile(row[0], row[1])


def status_text(stored: StoredReconcile | None) -> list[str]:
    """The reconciliation section of `tsh-erp status` (text)."""
    if stored is None:
        return ["", "Reconciliation with Zoho: never run (`tsh-erp reconcile`)"]
    return ["", stored.summary() + ":", *_table(HEADERS, stored.rows())]


def status_html(stored: StoredReconcile | None) -> str:
    """The reconciliation section of `tsh-erp status --html`."""
    if stored is None:
        return "<h2>Reconciliation with Zoho</h2><p>Never run (<code>tsh-erp reconcile</code>).</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in stored.rows()
    )
    return (
        f"<h2>Reconciliation with Zoho</h2><p>{html.escape(stored.summary())}.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
