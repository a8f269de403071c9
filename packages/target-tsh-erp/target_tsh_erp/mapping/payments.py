"""Customer payments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_tsh_erp.mapping.common import (
    MODIFIED,
    MappingError,
    Row,
    as_date,
    as_number,
    as_text,
    as_timestamp,
    base_row,
    require,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["map_customer_payment"]


def map_customer_payment(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A customer payment -> one payment row (applied invoices stay in the raw record)."""
    row = base_row(record, stream, require(record, "payment_id"), MODIFIED)
    amount = as_number(record, "amount")
    if amount is None:
        msg = "missing required value 'amount'"
        raise MappingError(msg)
    row.update(
        number=as_text(record, "payment_number"),
        customer_zoho_id=as_text(record, "customer_id"),
        date=as_date(record, "date"),
        payment_mode=as_text(record, "payment_mode"),
        amount=amount,
        unused_amount=as_number(record, "unused_amount"),
        currency_code=as_text(record, "currency_code"),
        exchange_rate=as_number(record, "exchange_rate"),
        reference_number=as_text(record, "reference_number"),
        invoice_numbers=as_text(record, "invoice_numbers"),
        created_at=as_timestamp(record, "created_time"),
    )
    return [Row("payments", row)]
