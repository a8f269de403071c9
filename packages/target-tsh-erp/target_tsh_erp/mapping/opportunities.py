"""CRM Deals -> opportunities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_tsh_erp.mapping.common import (
    CRM_MODIFIED,
    Row,
    as_date,
    as_number,
    as_text,
    as_timestamp,
    base_row,
    lookup_id,
    lookup_name,
    require,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["map_deal"]


def map_deal(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A CRM Deal -> one opportunity linked to its CRM account and contact."""
    row = base_row(record, stream, require(record, "id"), CRM_MODIFIED)
    row.update(
        name=as_text(record, "Deal_Name"),
        crm_account_zoho_id=lookup_id(record, "Account_Name"),
        crm_contact_zoho_id=lookup_id(record, "Contact_Name"),
        amount=as_number(record, "Amount"),
        stage=as_text(record, "Stage"),
        probability=as_number(record, "Probability"),
        expected_revenue=as_number(record, "Expected_Revenue"),
        closing_date=as_date(record, "Closing_Date"),
        deal_type=as_text(record, "Type"),
        lead_source=as_text(record, "Lead_Source"),
        owner_name=lookup_name(record, "Owner"),
        created_at=as_timestamp(record, "Created_Time"),
    )
    return [Row("opportunities", row)]
