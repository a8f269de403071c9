"""Customers, vendors, contact persons and their CRM links (the seed's CustomerProcessor).

Books/Inventory contacts become `customers` or `vendors` by `contact_type`. Contact
persons come from the tap's child stream `books_contact_persons` (the contacts are list
rows, which carry no persons) or from a contact's nested `contact_persons` (a detail
payload, e.g. a webhook); both give the same `contact_persons` row. CRM Accounts and
Contacts land in `crm_accounts`/`crm_contacts`; the writer links a customer to them by Books'
`zcrm_account_id`/`zcrm_contact_id`, else by the documented name/email rule (see
`target_tsh_erp.links`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_tsh_erp.mapping.common import (
    CRM_MODIFIED,
    LINE_MODIFIED,
    MODIFIED,
    MappingError,
    Row,
    as_bool,
    as_int,
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

__all__ = ["map_contact", "map_contact_person", "map_crm_account", "map_crm_contact"]

CONTACT_TYPES = frozenset({"customer", "vendor"})


def map_contact(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A contact -> a customer or a vendor, plus its contact persons."""
    contact_id = require(record, "contact_id")
    contact_type = require(record, "contact_type")
    if contact_type not in CONTACT_TYPES:
        msg = f"unknown contact_type {contact_type!r} (expected customer or vendor)"
        raise MappingError(msg)
    row = base_row(record, stream, contact_id, MODIFIED)
    row.update(
        name=as_text(record, "contact_name"),
        company_name=as_text(record, "company_name"),
        email=as_text(record, "email"),
        phone=as_text(record, "phone"),
        mobile=as_text(record, "mobile"),
        status=as_text(record, "status"),
        currency_code=as_text(record, "currency_code"),
        payment_terms=as_int(record, "payment_terms"),
        created_at=as_timestamp(record, "created_time"),
    )
    if contact_type == "customer":
        row.update(
            credit_limit=as_number(record, "credit_limit"),
            outstanding_receivable=as_number(record, "outstanding_receivable_amount"),
            zcrm_account_id=as_text(record, "zcrm_account_id"),
            zcrm_contact_id=as_text(record, "zcrm_contact_id"),
        )
        rows = [Row("customers", row)]
    else:
        row["outstanding_payable"] = as_number(record, "outstanding_payable_amount")
        rows = [Row("vendors", row)]
    persons = record.get("contact_persons") or []
    if not isinstance(persons, list):
        msg = "'contact_persons' must be an array"
        raise MappingError(msg)
    for person in persons:
        if not isinstance(person, dict):
            msg = "'contact_persons' items must be objects"
            raise MappingError(msg)
        person_row = base_row(record, stream, require(person, "contact_person_id"), MODIFIED)
        person_row.update(_person_columns(person, contact_id))
        person_row.update(
            customer_zoho_id=contact_id if contact_type == "customer" else None,
            vendor_zoho_id=contact_id if contact_type == "vendor" else None,
        )
        rows.append(Row("contact_persons", person_row))
    return rows


def map_contact_person(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A `books_contact_persons` record -> one `contact_persons` row.

    The record names its contact (`contact_id`) but not whether that contact is a
    customer or a vendor: the writer resolves both links from the stored contacts
    (`ParentRef.fills`), so nothing here guesses. Dated by the contact's
    `parent_last_modified_time`, like line items, so a person dropped from its contact
    is soft-deleted by the removed-lines sweep.
    """
    contact_id = require(record, "contact_id")
    row = base_row(record, stream, require(record, "contact_person_id"), LINE_MODIFIED)
    row.update(_person_columns(record, contact_id))
    return [Row("contact_persons", row)]


def _person_columns(person: Mapping[str, Any], contact_id: str) -> dict[str, Any]:
    return {
        "contact_zoho_id": contact_id,
        "salutation": as_text(person, "salutation"),
        "first_name": as_text(person, "first_name"),
        "last_name": as_text(person, "last_name"),
        "email": as_text(person, "email"),
        "phone": as_text(person, "phone"),
        "mobile": as_text(person, "mobile"),
        "is_primary": as_bool(person, "is_primary_contact"),
    }


def map_crm_account(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A CRM Account -> one `crm_accounts` row."""
    row = base_row(record, stream, require(record, "id"), CRM_MODIFIED)
    row.update(
        name=as_text(record, "Account_Name"),
        account_type=as_text(record, "Account_Type"),
        industry=as_text(record, "Industry"),
        phone=as_text(record, "Phone"),
        website=as_text(record, "Website"),
        owner_name=lookup_name(record, "Owner"),
        created_at=as_timestamp(record, "Created_Time"),
    )
    return [Row("crm_accounts", row)]


def map_crm_contact(record: Mapping[str, Any], stream: str) -> list[Row]:
    """A CRM Contact -> one `crm_contacts` row, linked to its Account."""
    row = base_row(record, stream, require(record, "id"), CRM_MODIFIED)
    row.update(
        crm_account_zoho_id=lookup_id(record, "Account_Name"),
        first_name=as_text(record, "First_Name"),
        last_name=as_text(record, "Last_Name"),
        email=as_text(record, "Email"),
        phone=as_text(record, "Phone"),
        mobile=as_text(record, "Mobile"),
        created_at=as_timestamp(record, "Created_Time"),
    )
    return [Row("crm_contacts", row)]
