"""`response_option` on the Books invoice list, as Zoho's OAS documents its five formats.

The figures are checked against the emulator's ground truth (its Python API), not
against another answer of the same route.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.zoho_emulator.conftest import ORG_IN, ORG_US, session_for
from zoho_emulator.crm import Crm
from zoho_emulator.testing import run_emulator

BOOKS = "/books/v3"


def cents(values: list[Any]) -> float:
    return float(sum((Decimal(str(v)) for v in values), Decimal(0)).quantize(Decimal("0.01")))


def truth(zoho: Any, org: str) -> dict[str, Any]:
    rows = list(zoho.emulator.finance.records(org, "invoices"))
    return {"total": len(rows), "sum_total": cents([r["total"] for r in rows]),
            "sum_balance": cents([r["balance"] for r in rows]), "rows": rows}


def invoices(zoho: Any, session: Any, org: str, **params: Any) -> dict[str, Any]:
    response = session.get(f"{zoho.base_url}{BOOKS}/invoices",
                           params={"organization_id": org, **params}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def zoho():
    with run_emulator(scale=60, requests_per_minute=0, daily_limit=0,
                      concurrency_limit=0) as running:
        yield running


def test_each_format_answers_what_the_oas_lists(zoho) -> None:
    session = session_for(zoho.base_url)
    for org in (ORG_IN, ORG_US):
        expected = truth(zoho, org)
        assert expected["total"] > 50  # more than a page of 50: the figures are not the page's
        count_only = invoices(zoho, session, org, response_option=2, filter_by="Status.All")
        assert "invoices" not in count_only
        context = count_only["page_context"]
        assert (context["response_option"], context["total"]) == (2, expected["total"])
        assert "sum_total" not in context
        sums = invoices(zoho, session, org, response_option=3)["page_context"]
        assert (sums["total"], sums["sum_total"], sums["sum_balance"]) == (
            expected["total"], expected["sum_total"], expected["sum_balance"])
        first = invoices(zoho, session, org, response_option=1, per_page=50)
        assert len(first["invoices"]) == 50
        assert first["page_context"]["has_more_page"] is True
        assert first["page_context"]["total"] == expected["total"]
        assert first["page_context"]["total_pages"] == -(-expected["total"] // 50)
        assert first["page_context"]["sum_total"] == expected["sum_total"]
        rows_and_sums = invoices(zoho, session, org, response_option=4, per_page=10)
        assert len(rows_and_sums["invoices"]) == 10
        assert "total" not in rows_and_sums["page_context"]
        assert rows_and_sums["page_context"]["sum_balance"] == expected["sum_balance"]
        plain = invoices(zoho, session, org)
        assert "total" not in plain["page_context"]
        assert plain["page_context"]["response_option"] == 0


def test_figures_follow_filters_and_mutations(zoho) -> None:
    session = session_for(zoho.base_url)
    finance = zoho.emulator.finance
    paid = [r for r in truth(zoho, ORG_IN)["rows"] if r["status"] == "paid"]
    context = invoices(zoho, session, ORG_IN, response_option=3,
                       filter_by="Status.Paid")["page_context"]
    assert (context["total"], context["sum_total"]) == (
        len(paid), cents([r["total"] for r in paid]))
    zoho.emulator.clock.advance(5)
    since = datetime.fromtimestamp(zoho.emulator.clock.time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = truth(zoho, ORG_IN)
    deleted = finance.delete(ORG_IN, "invoices", count=2)
    victim = next(r for r in before["rows"] if r["invoice_id"] not in deleted)
    finance.update(ORG_IN, "invoices", ids=[victim["invoice_id"]],
                   fields={"total": victim["total"] + 1000, "balance": 0})
    after = truth(zoho, ORG_IN)
    assert after["total"] == before["total"] - 2
    context = invoices(zoho, session, ORG_IN, response_option=3)["page_context"]
    assert (context["total"], context["sum_total"], context["sum_balance"]) == (
        after["total"], after["sum_total"], after["sum_balance"])
    changed = invoices(zoho, session, ORG_IN, response_option=1, last_modified_time=since)
    assert [r["invoice_id"] for r in changed["invoices"]] == [victim["invoice_id"]]
    assert (changed["page_context"]["total"], changed["page_context"]["sum_total"]) == (
        1, cents([victim["total"] + 1000]))


def test_undocumented_values_and_lists(zoho) -> None:
    session = session_for(zoho.base_url)
    for bad in ("5", "-1", "one", ""):
        response = session.get(f"{zoho.base_url}{BOOKS}/invoices", timeout=30,
                               params={"organization_id": ORG_IN, "response_option": bad})
        assert response.status_code == 400
        assert response.json()["code"] == 2
        assert "response_option" in response.json()["message"]
    orders = session.get(f"{zoho.base_url}{BOOKS}/salesorders", timeout=30,
                         params={"organization_id": ORG_IN, "response_option": 2}).json()
    assert orders["salesorders"]  # not documented there: ignored, as unknown parameters are
    assert "total" not in orders["page_context"]


def test_crm_count_compares_times_as_instants(zoho) -> None:
    crm = Crm.of(zoho.emulator)
    records = list(crm.records("Accounts"))
    created = sorted(datetime.fromisoformat(r["Created_Time"]) for r in records)
    middle = created[len(created) // 2]
    bound = middle.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # UTC, unlike the records
    session = session_for(zoho.base_url)
    answer = session.get(f"{zoho.base_url}/crm/v8/Accounts/actions/count", timeout=30,
                         params={"criteria": f"(Created_Time:less_equal:{bound})"}).json()
    assert int(answer["count"]) == sum(1 for moment in created if moment <= middle)
    assert 0 < int(answer["count"]) < len(created)


def test_other_lists_honour_it_only_under_aggregates_everywhere(zoho) -> None:
    """Register entry list.aggregate-other-lists: both answers a real organization may give."""
    session = session_for(zoho.base_url)
    finance = zoho.emulator.finance

    def sales_orders(**params: Any) -> dict[str, Any]:
        response = session.get(f"{zoho.base_url}{BOOKS}/salesorders", timeout=30,
                               params={"organization_id": ORG_US, "filter_by": "Status.All",
                                       **params})
        assert response.status_code == 200, response.text
        return response.json()

    live = len(list(finance.records(ORG_US, "salesorders")))
    assert "total" not in sales_orders(response_option=2)["page_context"]  # the default
    zoho.emulator.answers.set(["aggregates-everywhere"])
    count_only = sales_orders(response_option=2)
    assert "salesorders" not in count_only
    assert count_only["page_context"]["total"] == live
    assert "sum_total" not in count_only["page_context"]  # the count only: no sums elsewhere
    finance.delete(ORG_US, "salesorders")
    assert sales_orders(response_option=2)["page_context"]["total"] == live - 1
    with_rows = sales_orders(response_option=1, per_page=10)
    assert (len(with_rows["salesorders"]), with_rows["page_context"]["total"]) == (10, live - 1)
    refused = session.get(f"{zoho.base_url}{BOOKS}/salesorders", timeout=30,
                          params={"organization_id": ORG_US, "response_option": "9"})
    assert (refused.status_code, refused.json()["code"]) == (400, 2)
    invoices_count = invoices(zoho, session, ORG_US, response_option=3)["page_context"]
    assert invoices_count["total"] == len(list(finance.records(ORG_US, "invoices")))
