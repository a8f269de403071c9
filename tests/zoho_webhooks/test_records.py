"""A webhook's record lands with the same typed columns a batch sync gives it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.zoho_webhooks.conftest import ORG
from zoho_webhooks.records import catalog, shape

if TYPE_CHECKING:
    from zoho_emulator.testing import RunningEmulator


def test_an_organizations_own_custom_field_keeps_its_typed_column(
    emulator: RunningEmulator,
) -> None:
    """A field added in Zoho after the schemas were built is typed from its definition."""
    finance = emulator.emulator.finance
    finance.custom_fields.add(ORG, "invoices", "Pallets", "number", api_name="cf_pallets")
    invoice_id = finance.create(ORG, "invoices")[0]
    record = finance.record(ORG, "invoices", invoice_id)
    assert record is not None
    assert "cf_pallets" in record, "the emulator flattens the new field into the record"

    header = shape(catalog()["books", "invoices"], ORG, record)[0].records[0]

    pallets = next(f for f in record["custom_fields"] if f["api_name"] == "cf_pallets")
    assert header["cf_pallets"] == pallets["value"]
    assert isinstance(header["cf_pallets"], (int, float))
    assert header["cf_pallets_unformatted"] == pallets["value"]
    assert header["custom_fields"] == record["custom_fields"], "the raw array is kept"
