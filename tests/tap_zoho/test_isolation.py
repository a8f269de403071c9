"""Stream isolation: one failing stream or organization does not stop the others.

The failed part keeps its bookmark (the next run redoes it), the others complete and keep
theirs, the run's summary names what failed, and the command line exits non-zero.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tap_zoho.testing import emulator_config, run_tap
from zoho_emulator.faults import FaultKind, FaultRule
from zoho_emulator.testing import run_emulator

ORG_IN = "10234695"
ORG_US = "20987654"
TAP = str(Path(sys.executable).with_name("tap-zoho"))
STREAMS = {"books_invoices", "books_invoice_line_items", "books_bills", "books_contacts"}


def bookmark(state: dict, stream: str, org: str) -> str | None:
    for partition in state["bookmarks"].get(stream, {}).get("partitions", []):
        if partition["context"]["organization_id"] == org:
            return partition.get("replication_key_value")
    return None


def refused_once_after(route: str, after: int) -> FaultRule:
    """Zoho answering one call with HTTP 403 and an unexpected code (not retried)."""
    return FaultRule(FaultKind.SERVER_ERROR, route_glob=route, status=403, after=after, remaining=1)


def test_one_failing_organization_keeps_its_bookmark_and_the_rest_completes(fresh_zoho):
    zoho = fresh_zoho
    config = emulator_config(zoho.base_url, products=["books"])
    first = run_tap(config, streams=STREAMS)
    assert not list(first.tap.failures)
    finance = zoho.emulator.finance
    [edited_in] = finance.update(ORG_IN, "invoices", count=1)
    [edited_us] = finance.update(ORG_US, "invoices", count=1)
    [bill_us] = finance.update(ORG_US, "bills", count=1)
    # The first /invoices call (India) is answered; the second (US) is refused.
    zoho.emulator.faults.add(refused_once_after("books:/invoices", after=1))

    second = run_tap(config, streams=STREAMS, state=first.state)

    [failure] = list(second.tap.failures)
    assert (failure.stream, failure.organization_id) == ("books_invoices", ORG_US)
    line = failure.describe()
    assert line == (
        f"stream books_invoices, organization {ORG_US}: GET /invoices failed with HTTP 403, "
        "Zoho code 1000: Internal error"
    )
    assert line in second.logs
    assert "Traceback" not in second.logs
    summary = [text for text in second.logs.splitlines() if "tds.zoho.tap.summary" in text]
    assert summary == ["tds.zoho.tap.summary: 1 failed (books_invoices); fallbacks used: none"]
    invoices = {r["invoice_id"] for r in second.records["books_invoices"]}
    assert edited_in in invoices
    assert edited_us not in invoices
    assert bill_us in {r["bill_id"] for r in second.records["books_bills"]}
    # The failed partition (and its line items) keep the first run's bookmark; the rest moves.
    for stream in ("books_invoices", "books_invoice_line_items"):
        assert bookmark(second.state, stream, ORG_US) == bookmark(first.state, stream, ORG_US)
        assert bookmark(second.state, stream, ORG_IN) > bookmark(first.state, stream, ORG_IN)
    assert bookmark(second.state, "books_bills", ORG_US) > bookmark(
        first.state, "books_bills", ORG_US
    )

    third = run_tap(config, streams=STREAMS, state=second.state)
    assert not list(third.tap.failures)
    assert edited_us in {r["invoice_id"] for r in third.records["books_invoices"]}
    assert edited_us in {r["invoice_id"] for r in third.records["books_invoice_line_items"]}


def test_a_failed_first_run_takes_no_table_version(fresh_zoho):
    """A partial listing proves nothing about deletions: no ACTIVATE_VERSION for that stream."""
    config = emulator_config(fresh_zoho.base_url, products=["books"])
    fresh_zoho.emulator.faults.add(refused_once_after("books:/invoices", after=1))
    result = run_tap(config, streams={"books_invoices", "books_bills"})
    versions = {m["stream"] for m in result.messages if m["type"] == "ACTIVATE_VERSION"}
    assert "books_bills" in versions
    assert "books_invoices" not in versions
    assert bookmark(result.state, "books_invoices", ORG_US) is None


def test_a_failing_crm_stream_does_not_stop_the_other_streams():
    with run_emulator(
        scale=8, requests_per_minute=0, daily_limit=0, token_mint_limit=1_000
    ) as zoho:
        config = emulator_config(zoho.base_url, products=["books", "crm"], crm_bulk_threshold=0)
        streams = {"crm_deals", "crm_leads", "books_taxes"}
        first = run_tap(config, streams=streams)
        zoho.emulator.faults.add(refused_once_after("crm:/{module}", after=0))  # Deals first
        second = run_tap(config, streams=streams, state=first.state)
    [failure] = list(second.tap.failures)
    assert failure.stream == "crm_deals"
    assert failure.organization_id  # the CRM org
    assert "GET /Deals failed with HTTP 403" in failure.describe()
    assert second.records["crm_leads"]
    assert len(second.records["books_taxes"]) == len(first.records["books_taxes"])
    assert (
        second.state["bookmarks"]["crm_deals"]["partitions"][0]["replication_key_value"]
        == (first.state["bookmarks"]["crm_deals"]["partitions"][0]["replication_key_value"])
    )


def test_unknown_product_is_refused_naming_the_valid_ones(zoho, caplog):
    config = emulator_config(zoho.base_url, products=["bookz"])
    with pytest.raises(SystemExit) as stopped:
        run_tap(config)
    assert stopped.value.code == 1
    assert "products 'bookz' unknown; valid products: books, inventory, crm" in caplog.text


def test_command_line_exits_non_zero_after_every_other_stream_ran(fresh_zoho, tmp_path):
    config = emulator_config(fresh_zoho.base_url, products=["books"])
    fresh_zoho.emulator.faults.add(refused_once_after("books:/bills", after=0))
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [TAP, "--config", str(path)], capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "LOGLEVEL": "INFO"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert "stream books_bills, organization 10234695: GET /bills failed with HTTP 403" in (
        done.stderr
    )
    assert "tds.zoho.tap.summary: 1 failed (books_bills)" in done.stderr
    streams = {
        json.loads(line)["stream"] for line in done.stdout.splitlines() if '"RECORD"' in line
    }
    assert {"books_invoices", "books_journals", "books_users"} <= streams
    last = [json.loads(line) for line in done.stdout.splitlines() if '"STATE"' in line][-1]
    assert "books_invoices" in last["value"]["bookmarks"]


def test_a_row_without_its_id_fails_that_organization_only(fresh_zoho):
    fresh_zoho.emulator.finance.update(ORG_US, "bills", count=1, fields={"bill_id": ""})
    config = emulator_config(fresh_zoho.base_url, products=["books"])
    result = run_tap(config, streams={"books_bills", "books_invoices"})
    [failure] = list(result.tap.failures)
    assert (failure.stream, failure.organization_id, failure.path) == (
        "books_bills", ORG_US, "/bills",
    )  # fmt: skip
    assert failure.describe().startswith(
        f"stream books_bills, organization {ORG_US}: GET /bills gave an unexpected answer: "
        "a row of page 1 has no 'bill_id' (keys: balance, bill_id, "
    )
    assert all(r["bill_id"] for r in result.records["books_bills"])
    assert len(result.records["books_invoices"]) == 16
    assert bookmark(result.state, "books_bills", ORG_US) is None
