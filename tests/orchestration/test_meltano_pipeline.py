"""`meltano run tap-zoho target-tsh-erp` twice, against the emulator's ground truth.

The second run must resume from the state Meltano stored after the first (not from
scratch), fetch only what changed, and leave the ERP tables equal to Zoho again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from scripts.emulator_process import EmulatorProcess
    from scripts.meltano_runner import MeltanoProject

pytestmark = pytest.mark.timeout(900)

STATE_ID = "dev:tap-zoho-to-target-tsh-erp"
ORGS = ("10234695", "20987654")
SCALE = 30  # conftest.SCALE: records per entity and organization
# (emulator entity, product, ERP table): documents whose ids the ERP must hold exactly.
DOCUMENTS = [
    ("invoices", "books", "invoices"),
    ("salesorders", "books", "sales_orders"),
    ("customerpayments", "books", "payments"),
    ("items", "books", "products"),
]


def ground_truth(emulator: EmulatorProcess, org: str, entity: str) -> list[dict[str, Any]]:
    body = emulator.control("GET", f"finance/{org}/{entity}/records?product=books")
    records: list[dict[str, Any]] = body["records"]
    return records


def erp_rows(erp, table: str, org: str) -> dict[str, dict[str, Any]]:
    cursor = erp.execute(
        f"SELECT * FROM erp.{table} WHERE organization_id = %s AND deleted_at IS NULL"  # noqa: S608 - fixed names
        " AND NOT is_placeholder",
        (org,),
    )
    names = [column.name for column in cursor.description]
    return {row[names.index("zoho_id")]: dict(zip(names, row, strict=True)) for row in cursor}


def id_field(entity: str) -> str:
    return {"invoices": "invoice_id", "salesorders": "salesorder_id",
            "customerpayments": "payment_id", "items": "item_id"}[entity]


def assert_erp_matches_zoho(emulator: EmulatorProcess, erp) -> None:
    for org in ORGS:
        for entity, _, table in DOCUMENTS:
            truth = {r[id_field(entity)]: r for r in ground_truth(emulator, org, entity)}
            rows = erp_rows(erp, table, org)
            assert set(rows) == set(truth), f"{table} of {org} differs from Zoho's {entity}"
        invoices = {r["invoice_id"]: r for r in ground_truth(emulator, org, "invoices")}
        for zoho_id, row in erp_rows(erp, "invoices", org).items():
            zoho = invoices[zoho_id]
            assert row["status"] == zoho["status"], zoho_id
            assert row["total"] == Decimal(str(zoho["total"])), zoho_id
            assert row["balance"] == Decimal(str(zoho["balance"])), zoho_id


def test_second_run_resumes_from_meltano_state_and_loads_only_changes(
    project: MeltanoProject, emulator: EmulatorProcess, erp
) -> None:
    emulator.reset_stats()
    project.run("run", "tap-zoho", "target-tsh-erp")
    first = emulator.stats()["requests_by_route"]
    assert_erp_matches_zoho(emulator, erp)
    state = project.state(STATE_ID)
    bookmarks = state["singer_state"]["bookmarks"]
    assert "books_invoices" in bookmarks, "Meltano stored no bookmark for books_invoices"

    org = ORGS[0]
    paid = emulator.control(
        "POST", f"finance/{org}/invoices/update",
        {"count": 2, "fields": {"status": "paid", "balance": 0.0}},
    )["ids"]
    created = emulator.control("POST", f"finance/{org}/salesorders/create", {"count": 1})["ids"]
    removed = emulator.control(
        "POST", f"finance/{org}/customerpayments/delete", {"count": 1}
    )["ids"]

    emulator.reset_stats()
    project.run("run", "tap-zoho", "target-tsh-erp")
    second = emulator.stats()["requests_by_route"]

    # Details are fetched per changed header: from scratch that is every invoice of both
    # orgs; from Meltano's state only the two paid ones (and the lookback's neighbours).
    assert first["books:/invoices/{id}"] == 2 * SCALE
    # Meltano discovers before every run; the metadata cache (meltano.yml) makes the
    # second run's discovery read no organization's custom-field definitions again.
    for product in ("books", "inventory"):
        assert first[f"{product}:/settings/preferences"] == len(ORGS)
        assert f"{product}:/settings/preferences" not in second
    metadata = project.root / ".meltano/run/tap-zoho/metadata"
    cached = [path for path in metadata.iterdir() if not path.name.startswith("catalog-")]
    assert len(cached) == 2 * len(ORGS)
    # ... and the first discovery's catalog, which answered the second run's discovery.
    assert len(list(metadata.glob("catalog-*.json"))) == 1
    assert second.get("books:/invoices/{id}", 0) <= 4
    assert second.get("books:/salesorders/{id}", 0) <= 3
    assert sum(second.values()) < sum(first.values()) / 5

    assert_erp_matches_zoho(emulator, erp)
    statuses = erp.execute(
        "SELECT status FROM erp.invoices WHERE organization_id = %s AND zoho_id = ANY(%s)",
        (org, paid),
    ).fetchall()
    assert statuses == [("paid",), ("paid",)]
    assert erp.execute(
        "SELECT count(*) FROM erp.sales_orders WHERE zoho_id = ANY(%s) AND deleted_at IS NULL",
        (created,),
    ).fetchone() == (1,)
    assert erp.execute(
        "SELECT count(*) FROM erp.payments WHERE zoho_id = ANY(%s) AND deleted_at IS NOT NULL",
        (removed,),
    ).fetchone() == (1,)
