"""Contacts (customers and vendors), their contact persons, and users."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoho_emulator.finance.generators.common import (
    Record,
    address,
    company_name,
    custom_field_values,
    money,
    person_name,
    phone,
)
from zoho_emulator.finance.rand import pick

if TYPE_CHECKING:
    from zoho_emulator.finance.generators.common import GenContext

PAYMENT_TERMS = ((0, "Due on Receipt"), (15, "Net 15"), (30, "Net 30"), (45, "Net 45"))
VENDOR_EVERY = 5
"""Every fifth contact is a vendor (index % 5 == 4), so callers can pick either kind."""


def base_currency_id(context: GenContext) -> str:
    """The organization's base currency id."""
    return f"{context.id_prefix}000{0:010d}"


def contact_name(context: GenContext, index: int) -> str:
    """The display name of contact `index` (used by documents referring to it)."""
    return company_name(context.bits(index)(1))


def customer_index(contacts: GenContext, bits: int) -> int:
    """A customer's index (never a vendor's)."""
    index = bits % contacts.count
    return index - 1 if index % VENDOR_EVERY == VENDOR_EVERY - 1 else index


def vendor_index(contacts: GenContext, bits: int) -> int:
    """A vendor's index."""
    vendors = max(contacts.count // VENDOR_EVERY, 1)
    return min((bits % vendors) * VENDOR_EVERY + VENDOR_EVERY - 1, contacts.count - 1)


def contact_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/contacts` list row."""
    bits = context.bits(index)
    klass = context.klass(index)
    org = context.organization
    first, last = person_name(bits(2))
    name = contact_name(context, index)
    terms, terms_label = PAYMENT_TERMS[bits(3) % len(PAYMENT_TERMS)]
    is_vendor = klass["contact_type"] == "vendor"
    receivable = 0 if is_vendor else bits(4) % 500_000
    payable = bits(5) % 300_000 if is_vendor else 0
    domain = name.split()[0].lower()
    record: Record = {
        "contact_id": context.record_id(index),
        "contact_name": name,
        "customer_name": name,
        "vendor_name": name,
        "company_name": name,
        "website": f"https://www.{domain}.example",
        "language_code": "en",
        "contact_type": klass["contact_type"],
        "contact_type_formatted": klass["contact_type"].capitalize(),
        "status": klass["status"],
        "customer_sub_type": "business",
        "source": "user",
        "is_linked_with_zohocrm": False,
        "payment_terms": terms,
        "payment_terms_label": terms_label,
        "currency_id": base_currency_id(context),
        "twitter": "",
        "facebook": "",
        "currency_code": org.currency_code,
        "outstanding_receivable_amount": money(receivable),
        "outstanding_receivable_amount_bcy": money(receivable),
        "outstanding_payable_amount": money(payable),
        "outstanding_payable_amount_bcy": money(payable),
        "unused_credits_receivable_amount": 0.0,
        "unused_credits_receivable_amount_bcy": 0.0,
        "unused_credits_payable_amount": 0.0,
        "unused_credits_payable_amount_bcy": 0.0,
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}@{domain}.example",
        "phone": phone(org, bits(6)),
        "mobile": phone(org, bits(7)),
        "portal_status": "disabled",
        "has_attachment": False,
        "created_time": org.format_time(created),
        "created_time_formatted": org.format_time(created)[:10],
        "last_modified_time": org.format_time(modified),
        "last_modified_time_formatted": org.format_time(modified)[:10],
    }
    custom_field_values(context, bits, record)
    return record


def contact_persons(context: GenContext, index: int) -> list[Record]:
    """The contact persons of contact `index` (one to three; the first is primary)."""
    bits = context.bits(index)
    org = context.organization
    name = contact_name(context, index)
    domain = name.split()[0].lower()
    persons = []
    for position in range(1 + bits(8) % 3):
        first, last = person_name(bits(20 + position))
        persons.append(
            {
                "contact_person_id": contact_person_id(context, index, position),
                "salutation": pick(("Mr.", "Ms.", "Mrs.", "Dr."), bits(30 + position)),
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}@{domain}.example",
                "phone": phone(org, bits(40 + position)),
                "mobile": phone(org, bits(50 + position)),
                "designation": pick(
                    ("Purchasing Manager", "Accountant", "Owner", "Director", "Store Manager"),
                    bits(60 + position),
                ),
                "department": pick(
                    ("Finance", "Procurement", "Operations", "Sales"), bits(70 + position)
                ),
                "skype": "",
                "is_primary_contact": position == 0,
                "is_added_in_portal": False,
                "communication_preference": {"is_sms_enabled": False, "is_whatsapp_enabled": False},
            }
        )
    return persons


CONTACT_PERSON_CODE = 99
PERSONS_PER_CONTACT = 4


def contact_person_id(context: GenContext, index: int, position: int) -> str:
    """Contact persons get their own id space, derived from their contact's index."""
    return (
        f"{context.id_prefix}{CONTACT_PERSON_CODE:03d}{index * PERSONS_PER_CONTACT + position:010d}"
    )


def contact_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """A `/contacts/{id}` record: the row plus addresses, persons and tax details."""
    del product
    record = contact_row(context, index, created, modified)
    bits = context.bits(index)
    org = context.organization
    persons = contact_persons(context, index)
    attention = f"{persons[0]['first_name']} {persons[0]['last_name']}"
    record.update(
        {
            "has_transaction": True,
            "credit_limit": money(bits(9) % 10_000_000),
            "contact_number": "",
            "is_taxable": True,
            "tax_id": "",
            "tax_name": "",
            "tax_percentage": 0,
            "primary_contact_id": persons[0]["contact_person_id"],
            "payment_reminder_enabled": True,
            "billing_address": address(org, bits(10), attention),
            "shipping_address": address(org, bits(10), attention),
            "contact_persons": persons,
            "default_templates": {},
            "notes": "",
            "owner_id": "",
            "pricebook_id": "",
            "opening_balances": [],
        }
    )
    if org.country == "India":
        record.update(
            {
                "gst_treatment": "business_gst",
                "place_of_contact": "KA",
                "gst_no": f"29ABCDE{bits(11) % 10_000:04d}F1Z5",
            }
        )
    else:
        record.update({"tax_treatment": "", "tax_exemption_id": "", "tax_authority_id": ""})
    return record


USER_ROLES = (
    ("admin", "Admin"),
    ("staff", "Staff"),
    ("staff", "Staff"),
    ("timesheetstaff", "Timesheet Staff"),
)


def user_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/users` row."""
    del created, modified
    bits = context.bits(index)
    first, last = person_name(bits(1))
    role, role_label = USER_ROLES[0] if index == 0 else pick(USER_ROLES, bits(2))
    domain = context.organization.email.split("@")[1]
    return {
        "user_id": context.record_id(index),
        "role_id": f"{context.id_prefix}098{USER_ROLES.index((role, role_label)):010d}",
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}@{domain}",
        "user_role": role,
        "user_role_formatted": role_label,
        "status": context.klass(index)["status"],
        "is_current_user": index == 0,
        "photo_url": "",
        "is_customer_segmented": False,
        "is_vendor_segmented": False,
        "user_type": "zoho",
    }


def user_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """A `/users/{id}` record."""
    del product
    record = user_row(context, index, created, modified)
    record["created_time"] = context.organization.format_time(created)
    return record
