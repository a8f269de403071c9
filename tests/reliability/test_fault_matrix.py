"""Fault matrix: each emulator fault x each product ends exact, or stopped and resumable."""

from __future__ import annotations

import json
import os

import pytest

from tests.reliability.fault_matrix import (
    ACCEPTABLE,
    FAULTS,
    KNOWN_FAILURES,
    PRODUCTS,
    markdown_table,
    run_cell,
)

# make test: each fault once, on a product that rotates with the fault (8 cells);
# make chaos: every fault x every product (24 cells).
QUICK_CELLS = [(fault, PRODUCTS[(i + 1) % len(PRODUCTS)]) for i, fault in enumerate(FAULTS)]
RESULTS = os.environ.get("FAULT_MATRIX_RESULTS")


def _record(cell) -> None:
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as handle:  # noqa: PTH123
            handle.write(json.dumps(cell.__dict__) + "\n")


@pytest.mark.parametrize(("fault", "product"), QUICK_CELLS,
                         ids=[f"{f.name}-{p}" for f, p in QUICK_CELLS])
def test_fault_cell(fault, product, database_url, schemas, workdir, db):  # noqa: PLR0913, PLR0917
    cell = run_cell(fault, product, database_url, schemas, workdir, db)
    _record(cell)
    known = KNOWN_FAILURES.get((fault.name, product))
    if known is not None:
        assert cell.outcome not in ACCEPTABLE, f"fixed? drop it from KNOWN_FAILURES: {known}"
        pytest.xfail(f"{cell.outcome}: {known}")
    assert cell.outcome in ACCEPTABLE, f"{cell.outcome}: {cell.detail}"


@pytest.mark.chaos_long
def test_full_fault_matrix(database_url, workdir, db):
    cells = []
    for n, fault in enumerate(FAULTS):
        for product in PRODUCTS:
            folder = workdir / f"{n}-{product}"
            folder.mkdir()
            cell = run_cell(fault, product, database_url, (f"erp_m{n}{product}",
                                                           f"raw_m{n}{product}"), folder, db)
            _record(cell)
            cells.append(cell)
    table = markdown_table(cells)
    bad = [c for c in cells
           if (c.outcome in ACCEPTABLE) == ((c.fault, c.product) in KNOWN_FAILURES)]
    assert not bad, table + "\n" + "\n".join(f"{c.fault}/{c.product}: {c.detail}" for c in bad)
