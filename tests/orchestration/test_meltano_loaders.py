"""The alternative loaders load the same records: target-postgres and target-jsonl."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from scripts.meltano_runner import MeltanoProject

pytestmark = pytest.mark.timeout(900)

SELECT = '["books_invoices.*", "books_invoice_line_items.*", "inventory_items.*"]'
STREAMS = {
    "books_invoices": ("organization_id", "invoice_id"),
    "books_invoice_line_items": ("organization_id", "invoice_id", "line_item_id"),
    "inventory_items": ("organization_id", "item_id"),
}


def jsonl_records(folder: Path, stream: str) -> dict[tuple[str, ...], dict]:
    records = {}
    for line in (folder / f"{stream}.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        records[tuple(str(record[k]) for k in STREAMS[stream])] = record
    return records


def postgres_records(erp, stream: str) -> dict[tuple[str, ...], dict]:
    cursor = erp.execute(f"SELECT * FROM zoho_generic.{stream}")  # noqa: S608 - fixed names
    names = [column.name for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor]
    return {tuple(str(row[k]) for k in STREAMS[stream]): row for row in rows}


def test_target_postgres_and_target_jsonl_load_the_same_records(
    project: MeltanoProject, target_jsonl_venv: Path, erp
) -> None:
    venv = target_jsonl_venv
    plugin_dir = project.root / ".meltano" / "loaders" / "target-jsonl"
    plugin_dir.mkdir(parents=True, exist_ok=True)
    if not (plugin_dir / "venv").exists():
        (plugin_dir / "venv").symlink_to(venv)

    selection = {"TAP_ZOHO__SELECT": SELECT}
    project.run("run", "tap-zoho", "target-postgres", extra_env=selection)
    # --no-install: use the cached venv linked above instead of re-installing from PyPI.
    project.run("run", "--no-install", "tap-zoho", "target-jsonl", extra_env=selection)

    output = project.root / "output"
    for stream in STREAMS:
        from_jsonl = jsonl_records(output, stream)
        from_postgres = postgres_records(erp, stream)
        assert from_jsonl, f"target-jsonl wrote no {stream} records"
        assert set(from_jsonl) == set(from_postgres), stream
    invoices_jsonl = jsonl_records(output, "books_invoices")
    invoices_pg = postgres_records(erp, "books_invoices")
    for key, record in invoices_jsonl.items():
        assert float(invoices_pg[key]["total"]) == pytest.approx(record["total"]), key
        assert invoices_pg[key]["status"] == record["status"], key
