"""Deletion reconciliation of incremental Books streams, end to end into the ERP.

Zoho has no deleted-records feed for Books/Inventory. A run that lists every row (no
state, no start_date: Meltano's full refresh) stamps its records with a table version
and sends ACTIVATE_VERSION after them; target-tsh-erp then soft-deletes the rows of
older versions. Emulator over HTTP -> tap -> target-tsh-erp -> embedded PostgreSQL.
"""

from __future__ import annotations

import io
import itertools
import json
from contextlib import redirect_stdout
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from tap_zoho.testing import emulator_config, run_tap
from target_tsh_erp.database import connect, embedded
from target_tsh_erp.target import TargetTshErp
from tests.tap_zoho.conftest import ORG_IN, ORG_US
from zoho_emulator.testing import run_emulator

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tap_zoho.testing import SyncResult

ORGS = (ORG_IN, ORG_US)
STREAMS = {
    "books_invoices", "books_invoice_line_items",
    "books_sales_orders", "books_sales_order_line_items",
}  # fmt: skip
RAW = {  # raw landing table -> (document id field)
    "books_invoices": "invoice_id",
    "books_invoice_line_items": "invoice_id",
    "books_sales_orders": "salesorder_id",
    "books_sales_order_line_items": "salesorder_id",
}
ERP = {  # ERP table -> column holding the document's Zoho id
    "invoices": "zoho_id",
    "invoice_lines": "invoice_zoho_id",
    "sales_orders": "zoho_id",
    "sales_order_lines": "sales_order_zoho_id",
}
_SCHEMAS = itertools.count()


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("reconcile")
    with embedded(folder / "pgdata") as database:
        yield database.url


def _load(result: SyncResult, config: dict[str, Any]) -> None:
    """Feed the tap's messages to the real target, as Meltano's pipe would."""
    text = "".join(json.dumps(message) + "\n" for message in result.messages)
    with redirect_stdout(io.StringIO()):
        TargetTshErp(config=config).listen(io.StringIO(text))


def _deleted(conn, schemas: tuple[str, str]) -> dict[str, set[tuple[str, str]]]:
    """(organization, document id) of soft-deleted rows, per raw and ERP table."""
    erp, raw = schemas
    found: dict[str, set[tuple[str, str]]] = {}
    for table, field in RAW.items():
        query = sql.SQL(
            "SELECT organization_id, record->>{} FROM {}.{} WHERE deleted_at IS NOT NULL"
        ).format(sql.Literal(field), sql.Identifier(raw), sql.Identifier(table))
        found[f"raw.{table}"] = set(conn.execute(query).fetchall())
    for table, column in ERP.items():
        query = sql.SQL(
            "SELECT organization_id, {} FROM {}.{} WHERE deleted_at IS NOT NULL"
        ).format(sql.Identifier(column), sql.Identifier(erp), sql.Identifier(table))
        found[f"erp.{table}"] = set(conn.execute(query).fetchall())
    return found


def _activated(result: SyncResult) -> set[str]:
    return {m["stream"] for m in result.messages if m["type"] == "ACTIVATE_VERSION"}


def _live_count(conn, schemas: tuple[str, str], table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}.{} WHERE deleted_at IS NULL").format(
        sql.Identifier(schemas[1]), sql.Identifier(table)
    )
    return int(conn.execute(query).fetchone()[0])


def test_full_refresh_soft_deletes_what_zoho_deleted_and_incremental_runs_do_not(database_url):
    n = next(_SCHEMAS)
    schemas = (f"erp_rd{n}", f"raw_rd{n}")
    target = {"database_url": database_url, "erp_schema": schemas[0],
              "raw_schema": schemas[1], "notify_channel": f"events_rd{n}"}  # fmt: skip
    with (
        run_emulator(scale=4, requests_per_minute=0, daily_limit=0) as zoho,
        connect(database_url, autocommit=True) as conn,
    ):
        finance = zoho.emulator.finance
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=list(ORGS))
        first = run_tap(config, streams=STREAMS)
        _load(first, target)
        assert all(not rows for rows in _deleted(conn, schemas).values())
        lines_before = _live_count(conn, schemas, "books_invoice_line_items")

        invoice = finance.delete(ORG_IN, "invoices", count=1)[0]
        order = finance.delete(ORG_US, "salesorders", count=1)[0]

        incremental = run_tap(config, state=first.state, streams=STREAMS)
        _load(incremental, target)
        assert not _activated(incremental)
        assert all(not rows for rows in _deleted(conn, schemas).values())

        refresh = run_tap(config, streams=STREAMS)  # Meltano's full refresh: no state
        _load(refresh, target)
        deleted = _deleted(conn, schemas)
        gone_lines = sum(
            1 for r in first.records["books_invoice_line_items"] if r["invoice_id"] == invoice
        )
        lines_after = _live_count(conn, schemas, "books_invoice_line_items")

    assert _activated(refresh) == STREAMS
    gone_invoice, gone_order = {(ORG_IN, invoice)}, {(ORG_US, order)}
    assert deleted == {
        "raw.books_invoices": gone_invoice,
        "raw.books_invoice_line_items": gone_invoice,
        "raw.books_sales_orders": gone_order,
        "raw.books_sales_order_line_items": gone_order,
        "erp.invoices": gone_invoice,
        "erp.invoice_lines": gone_invoice,
        "erp.sales_orders": gone_order,
        "erp.sales_order_lines": gone_order,
    }
    assert gone_lines > 0
    assert lines_after == lines_before - gone_lines  # every line of the invoice, no other


def test_a_listing_from_start_date_or_stopped_by_the_quota_activates_nothing():
    with run_emulator(scale=4, requests_per_minute=0, daily_limit=0) as zoho:
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=list(ORGS))
        complete = run_tap(config, streams=STREAMS)
        from_start = run_tap({**config, "start_date": "2025-01-01T00:00:00Z"}, streams=STREAMS)
    with run_emulator(scale=4, requests_per_minute=0, daily_limit=4) as zoho:
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=list(ORGS))
        stopped = run_tap(config, streams=STREAMS)
    assert _activated(complete) == STREAMS  # the control: the same run without a limit
    assert from_start.records.get("books_invoices")
    assert not _activated(from_start)
    assert "daily API quota" in stopped.logs
    assert stopped.records.get("books_invoices")
    assert not _activated(stopped)


def test_a_resumed_pass_after_a_quota_stop_activates_no_child_version():
    """The resumed run skips headers an earlier run detailed: their lines carry no
    version of this run, so a version here would soft-delete them."""
    with run_emulator(scale=6, requests_per_minute=0, daily_limit=6) as zoho:
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=list(ORGS))
        streams = {"books_purchase_orders", "books_purchase_order_line_items"}
        first = run_tap(config, streams=streams)
        assert "daily API quota" in first.logs
        zoho.emulator.clock.advance(86_400)
        zoho.emulator.limits.daily_limit = 0
        resumed = run_tap(config, state=first.state, streams=streams)
    assert "daily API quota" not in resumed.logs
    assert "books_purchase_order_line_items" not in _activated(resumed)
    assert "books_purchase_orders" in _activated(resumed)  # the headers were all listed


def _live(conn, schemas: tuple[str, str]) -> dict[str, set[tuple[str, str]]]:
    """(organization, document id) of live rows, per raw and ERP table."""
    erp, raw = schemas
    found: dict[str, set[tuple[str, str]]] = {}
    for table, field in RAW.items():
        query = sql.SQL(
            "SELECT organization_id, record->>{} FROM {}.{} WHERE deleted_at IS NULL"
        ).format(sql.Literal(field), sql.Identifier(raw), sql.Identifier(table))
        found[f"raw.{table}"] = set(conn.execute(query).fetchall())
    for table, column in ERP.items():
        query = sql.SQL(
            "SELECT organization_id, {} FROM {}.{} WHERE deleted_at IS NULL"
        ).format(sql.Identifier(column), sql.Identifier(erp), sql.Identifier(table))
        found[f"erp.{table}"] = set(conn.execute(query).fetchall())
    return found


def test_an_invoice_one_full_listing_missed_is_live_again_after_the_next(database_url):
    """The fallback listing (all-records filter refused) misses one invoice that still
    exists: that refresh deletes it as of its start; the next refresh lists it again,
    unchanged, and it is live again with its lines, raw and ERP (issue 14, D2 follow-up)."""
    n = next(_SCHEMAS)
    schemas = (f"erp_rd{n}", f"raw_rd{n}")
    target = {"database_url": database_url, "erp_schema": schemas[0],
              "raw_schema": schemas[1], "notify_channel": f"events_rd{n}"}  # fmt: skip
    with (
        run_emulator(scale=4, requests_per_minute=0, daily_limit=0) as zoho,
        connect(database_url, autocommit=True) as conn,
    ):
        config = emulator_config(zoho.base_url, products=["books"], organization_ids=list(ORGS))
        first = run_tap(config, streams=STREAMS)
        _load(first, target)
        everything = _live(conn, schemas)
        missed = next(r["invoice_id"] for r in first.records["books_invoice_line_items"]
                      if r["organization_id"] == ORG_IN)

        zoho.emulator.answers.set({"filter-all-refused"})
        zoho.emulator.finance.list_without(ORG_IN, "invoices", [missed])
        fallback = run_tap(config, streams=STREAMS)  # Meltano's full refresh: no state
        _load(fallback, target)
        after_miss = _deleted(conn, schemas)

        zoho.emulator.answers.set(set())
        zoho.emulator.finance.list_without(ORG_IN, "invoices", [])
        refresh = run_tap(config, streams=STREAMS)
        _load(refresh, target)
        after_refresh = _live(conn, schemas)

    assert _activated(fallback) == STREAMS == _activated(refresh)
    assert "filter_by" in fallback.logs  # the fallback listing ran
    gone = {(ORG_IN, missed)}
    assert after_miss == {
        "raw.books_invoices": gone, "raw.books_invoice_line_items": gone,
        "raw.books_sales_orders": set(), "raw.books_sales_order_line_items": set(),
        "erp.invoices": gone, "erp.invoice_lines": gone,
        "erp.sales_orders": set(), "erp.sales_order_lines": set(),
    }  # fmt: skip
    refreshed = {r["invoice_id"] for r in refresh.records["books_invoices"]
                 if r["organization_id"] == ORG_IN}
    unchanged = {r["last_modified_time"] for r in refresh.records["books_invoices"]
                 if r["invoice_id"] == missed} == {
        r["last_modified_time"] for r in first.records["books_invoices"]
        if r["invoice_id"] == missed}
    assert missed in refreshed
    assert unchanged
    assert after_refresh == everything
