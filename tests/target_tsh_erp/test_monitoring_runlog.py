"""`tsh-erp status` reads the tap's lines of this and older tap versions alike."""

from __future__ import annotations

from datetime import UTC, datetime

from target_tsh_erp.monitoring.runlog import read_facts

AT = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)


def test_done_lines_name_their_product_and_older_lines_still_read() -> None:
    facts = read_facts([
        (AT, ("done items org 20469390 product=inventory: 40 records, 1 pages, 5 requests"
             " (5/min), daily quota left 4000 of 5000")),
        (AT, ("done books_invoices org 10234695: 12 records, 2 pages, 150 requests (60/min),"
             " daily quota left 1750")),
    ])  # fmt: skip
    [named, older] = facts.done
    assert (named.stream, named.organization_id, named.product) == (
        "items", "20469390", "inventory"), "the product comes from the line, not the name"
    assert (named.records, named.requests, named.quota_left, named.quota_limit) == (
        40, 5, 4000, 5000)
    assert (older.organization_id, older.product, older.quota_left, older.quota_limit) == (
        "10234695", "books", 1750, None)


def test_credit_lines_name_their_organization() -> None:
    facts = read_facts([
        (AT, ("tds.zoho.crm.credits stream=crm_accounts org=7000001 credits=12 calls=12"
             " by_call={'list': 12} run_total=30")),
        (AT, ("tds.zoho.crm.credits stream=crm_deals credits=9 calls=9 by_call={'list': 9}"
             " run_total=39")),
    ])  # fmt: skip
    assert [(c.stream, c.organization_id, c.credits) for c in facts.credits] == [
        ("crm_accounts", "7000001", 12), ("crm_deals", "-", 9)]
