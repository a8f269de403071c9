"""Sales and purchase documents, payments, expenses and journals.

Documents are invoices, estimates, sales/purchase orders, bills and credit notes. List
rows are summaries; details add line items, as in Zoho.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zoho_emulator.finance.generators.common import Record, address, custom_field_values, money
from zoho_emulator.finance.generators.parties import (
    base_currency_id,
    contact_name,
    customer_index,
    vendor_index,
)
from zoho_emulator.finance.generators.products import (
    ACCOUNTS,
    BANK_ACCOUNT,
    EXPENSE_ACCOUNTS,
    RECEIVABLE_ACCOUNT,
    SALES_ACCOUNT,
    item_economics,
    item_name,
    item_sku,
    item_tax,
)
from zoho_emulator.finance.orgs import format_date
from zoho_emulator.finance.rand import UNITS, pick

if TYPE_CHECKING:
    from zoho_emulator.finance.generators.common import GenContext

DAY = 86_400


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """How one kind of document names and dates things."""

    id_field: str
    number_field: str
    number_prefix: str
    party: str
    """`customer` or `vendor`."""
    due_field: str
    """`due_date`, `expiry_date`, `shipment_date`, `delivery_date` or ``."""
    has_balance: bool
    purchase: bool


KINDS = {
    "invoices": DocumentKind(
        "invoice_id",
        "invoice_number",
        "INV-",
        "customer",
        "due_date",
        has_balance=True,
        purchase=False,
    ),
    "estimates": DocumentKind(
        "estimate_id",
        "estimate_number",
        "EST-",
        "customer",
        "expiry_date",
        has_balance=False,
        purchase=False,
    ),
    "salesorders": DocumentKind(
        "salesorder_id",
        "salesorder_number",
        "SO-",
        "customer",
        "shipment_date",
        has_balance=False,
        purchase=False,
    ),
    "purchaseorders": DocumentKind(
        "purchaseorder_id",
        "purchaseorder_number",
        "PO-",
        "vendor",
        "delivery_date",
        has_balance=False,
        purchase=True,
    ),
    "bills": DocumentKind(
        "bill_id", "bill_number", "BILL-", "vendor", "due_date", has_balance=True, purchase=True
    ),
    "creditnotes": DocumentKind(
        "creditnote_id",
        "creditnote_number",
        "CN-",
        "customer",
        "",
        has_balance=True,
        purchase=False,
    ),
}


def lines(context: GenContext, index: int) -> list[tuple[int, int, int]]:
    """(item index, quantity, rate in cents) of each line; 1 to 5 lines."""
    bits = context.bits(index)
    items = context.other("items")
    count = items.count
    result = []
    for position in range(1 + bits(11) % 5):
        random = bits(400 + position)
        item = random % count
        result.append((item, 1 + (random >> 40) % 12, item_economics(items, item)[0]))
    return result


def totals(context: GenContext, index: int) -> tuple[int, int, int]:
    """(sub total, tax, total) in cents, consistent with the detail's line items."""
    bits = context.bits(index)
    items = context.other("items")
    count = items.count
    sub_total = 0
    tax = 0
    for position in range(1 + bits(11) % 5):
        random = bits(400 + position)
        rate, percentage = item_economics(items, random % count)
        amount = (1 + (random >> 40) % 12) * rate
        sub_total += amount
        tax += round(amount * percentage / 100)
    return sub_total, tax, sub_total + tax


def party(context: GenContext, index: int, kind: DocumentKind) -> tuple[str, str]:
    """(id, name) of the document's customer or vendor."""
    contacts = context.other("contacts")
    random = context.bits(index)(12)
    chosen = (
        vendor_index(contacts, random)
        if kind.party == "vendor"
        else customer_index(contacts, random)
    )
    return contacts.record_id(chosen), contact_name(contacts, chosen)


def _row_template(context: GenContext) -> Record:
    """Every key of a document row in Zoho's order, with the constant values filled in.

    Rows are copies of this template with the varying values set, which is several times
    cheaper than building a forty-key dict per record.
    """
    template: Record | None = context.extra.get("row_template")
    if template is not None:
        return template
    kind = KINDS[context.entity]
    org = context.organization
    template = {
        kind.id_field: "",
        kind.number_field: "",
        f"{kind.party}_id": "",
        f"{kind.party}_name": "",
        "status": "",
        "date": "",
        "reference_number": "",
        "currency_id": base_currency_id(context),
        "currency_code": org.currency_code,
        "exchange_rate": 1.0,
        "total": 0.0,
        "sub_total": 0.0,
        "tax_total": 0.0,
        "created_time": "",
        "last_modified_time": "",
        "has_attachment": False,
        "is_emailed": True,
        "salesperson_id": "",
        "salesperson_name": "",
    }
    if kind.has_balance:
        template["balance"] = 0.0
    if kind.due_field:
        template[kind.due_field] = ""
    template.update(_ENTITY_CONSTANTS.get(context.entity, {}))
    context.extra["row_template"] = template
    return template


_ENTITY_CONSTANTS: dict[str, Record] = {
    "invoices": {
        "due_days": "",
        "is_viewed_by_client": False,
        "client_viewed_time": "",
        "reminders_sent": 0,
        "last_reminder_sent_date": "",
        "payment_expected_date": "",
        "schedule_time": "",
        "last_payment_date": "",
        "ach_payment_initiated": False,
        "documents": "",
        "adjustment": 0.0,
        "write_off_amount": 0.0,
        "shipping_charge": 0.0,
        "location_id": "",
        "location_name": "",
    },
    "salesorders": {
        "order_status": "",
        "invoiced_status": "",
        "paid_status": "",
        "shipped_status": "",
        "delivery_method": "",
        "is_drop_shipment": False,
        "total_invoiced_amount": 0.0,
    },
    "purchaseorders": {"order_status": "", "billed_status": "", "received_status": ""},
    "bills": {
        "due_days": "",
        "is_tds_applied": False,
        "tds_total": 0.0,
        "location_id": "",
        "location_name": "",
    },
    "estimates": {"location_id": "", "location_name": ""},
    "creditnotes": {"location_id": "", "location_name": ""},
}
"""Per-entity row keys; `location_*` where Zoho's OAS lists them on the list rows."""
SETTLED = frozenset({"paid", "closed", "void", "draft"})
DELIVERY_METHODS = ("Courier", "FedEx", "BlueDart", "Pickup")


def document_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A list row of any sales/purchase document."""
    kind = KINDS[context.entity]
    bits = context.bits(index)
    random = bits(13)
    klass = context.klass(index)
    org = context.organization
    sub_total, tax, total = totals(context, index)
    status = klass["status"]
    created_time = org.format_time(created)
    record = _row_template(context).copy()
    record[kind.id_field] = context.record_id(index)
    record[kind.number_field] = f"{kind.number_prefix}{index + 1:06d}"
    record[f"{kind.party}_id"], record[f"{kind.party}_name"] = party(context, index, kind)
    record["status"] = status
    record["date"] = created_time[:10]
    record["reference_number"] = f"REF-{random % 100_000:05d}" if (random >> 20) % 3 else ""
    record["total"] = money(total)
    record["sub_total"] = money(sub_total)
    record["tax_total"] = money(tax)
    record["created_time"] = created_time
    record["last_modified_time"] = org.format_time(modified)
    record["is_emailed"] = status != "draft"
    if kind.has_balance:
        balance = 0 if status in SETTLED else total
        if status == "partially_paid":
            balance = total // 2
        record["balance"] = money(balance)
    if kind.due_field:
        due = created + (15 + (random >> 30) % 30) * DAY
        record[kind.due_field] = org.format_time(due)[:10]
    entity = context.entity
    if entity == "invoices":
        if status in {"paid", "partially_paid"}:
            record["last_payment_date"] = record["date"]
    elif entity == "salesorders":
        record["order_status"] = status
        record["invoiced_status"] = klass.get("invoiced", "")
        record["shipped_status"] = klass.get("shipped", "")
        record["delivery_method"] = DELIVERY_METHODS[(random >> 40) % len(DELIVERY_METHODS)]
    elif entity == "purchaseorders":
        record["order_status"] = status
        record["billed_status"] = klass.get("billed", "")
    custom_field_values(context, bits, record)
    return record


def line_item_id(context: GenContext, index: int, position: int) -> str:
    """Line ids are unique across documents: their own id space per entity."""
    return f"{context.id_prefix}{500 + context.code:03d}{index * 8 + position:010d}"


def document_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """A document's detail: the row plus line items, addresses, taxes and terms."""
    del product
    kind = KINDS[context.entity]
    record = document_row(context, index, created, modified)
    bits = context.bits(index)
    org = context.organization
    items = context.other("items")
    accounts = context.other("chartofaccounts")
    line_items = []
    taxes: dict[str, float] = {}
    for position, (item, quantity, rate) in enumerate(lines(context, index)):
        tax_id, tax_name, percentage = item_tax(items, item)
        amount = quantity * rate
        taxes[tax_name] = taxes.get(tax_name, 0.0) + money(round(amount * percentage / 100))
        line: Record = {
            "line_item_id": line_item_id(context, index, position),
            "item_id": items.record_id(item),
            "name": item_name(items, item),
            "sku": item_sku(items, item),
            "description": "",
            "item_order": position + 1,
            "bcy_rate": money(rate),
            "rate": money(rate),
            "quantity": float(quantity),
            "unit": pick(UNITS, items.bits(item)(4)),
            "discount_amount": 0.0,
            "discount": 0.0,
            "tax_id": tax_id,
            "tax_name": tax_name,
            "tax_type": "tax",
            "tax_percentage": percentage,
            "item_total": money(amount),
            "item_custom_fields": [],
            "account_id": accounts.record_id(SALES_ACCOUNT),
            "account_name": ACCOUNTS[SALES_ACCOUNT][0],
            "project_id": "",
            "product_type": "goods",
            "item_type": "inventory",
            "tags": [],
        }
        if context.entity == "salesorders":
            line.update({"quantity_invoiced": 0.0, "quantity_packed": 0.0, "quantity_shipped": 0.0})
        if context.entity == "purchaseorders":
            line.update({"quantity_received": 0.0, "quantity_billed": 0.0})
        line_items.append(line)
    record.update(
        {
            "line_items": line_items,
            "taxes": [
                {"tax_name": name, "tax_amount": round(amount, 2)} for name, amount in taxes.items()
            ],
            "discount": 0.0,
            "discount_type": "entity_level",
            "is_discount_before_tax": True,
            "is_inclusive_tax": False,
            "price_precision": 2,
            "adjustment": 0.0,
            "adjustment_description": "",
            "shipping_charge": 0.0,
            "notes": "Thanks for your business.",
            "terms": "",
            "template_id": f"{context.id_prefix}094{0:010d}",
            "template_name": "Standard Template",
            "billing_address": address(org, bits(17)),
            "shipping_address": address(org, bits(17)),
            "payment_terms": 15,
            "payment_terms_label": "Net 15",
            "contact_persons": [],
            "location_id": "",
            "location_name": "",
        }
    )
    if kind.has_balance:
        record["payment_made"] = round(record["total"] - record["balance"], 2)
        record["credits_applied"] = 0.0
        record["write_off_amount"] = 0.0
    if context.entity == "invoices":
        record.update(
            {
                "invoice_url": f"https://books.zoho.example/portal/{record['invoice_id']}",
                "allow_partial_payments": True,
                "payment_reminder_enabled": True,
                "tax_amount_withheld": 0.0,
                "contact_persons_associated": [],
                "can_send_in_mail": True,
                "attachment_name": "",
                "recurring_invoice_id": "",
            }
        )
    if context.entity == "salesorders":
        record["packages"] = []
        record["invoices"] = []
    return record


PAYMENT_MODES = ("cash", "check", "banktransfer", "creditcard", "paypal")


def payment_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/customerpayments` or `/vendorpayments` row."""
    bits = context.bits(index)
    org = context.organization
    customer = context.entity == "customerpayments"
    source = context.other("invoices" if customer else "bills")
    document = bits(1) % source.count
    amount = totals(source, document)[2]
    party_id, party_name = party(source, document, KINDS[source.entity])
    mode = context.klass(index)["payment_mode"]
    record: Record = {
        "payment_id": context.record_id(index),
        "payment_number": f"{index + 1}",
        "date": format_date(created, org),
        "payment_mode": mode,
        "payment_mode_formatted": mode.capitalize(),
        "amount": money(amount),
        "bcy_amount": money(amount),
        "unused_amount": 0.0,
        "reference_number": f"TXN{bits(2) % 10_000_000:07d}" if mode != "cash" else "",
        "description": "",
        "created_time": org.format_time(created),
        "last_modified_time": org.format_time(modified),
        "has_attachment": False,
        "currency_code": org.currency_code,
        "location_id": "",
        "location_name": "",
    }
    if customer:
        record.update(
            {
                "customer_id": party_id,
                "customer_name": party_name,
                "invoice_numbers": f"INV-{document + 1:06d}",
                "invoice_number": f"INV-{document + 1:06d}",
                "account_id": context.other("chartofaccounts").record_id(BANK_ACCOUNT),
                "account_name": ACCOUNTS[BANK_ACCOUNT][0],
            }
        )
    else:
        record.update(
            {
                "vendor_id": party_id,
                "vendor_name": party_name,
                "bill_numbers": f"BILL-{document + 1:06d}",
                "balance": 0.0,
                "paid_through_account_id": context.other("chartofaccounts").record_id(BANK_ACCOUNT),
                "paid_through_account_name": ACCOUNTS[BANK_ACCOUNT][0],
            }
        )
    custom_field_values(context, bits, record)
    return record


def payment_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """A payment's detail: the documents it was applied to."""
    del product
    record = payment_row(context, index, created, modified)
    bits = context.bits(index)
    customer = context.entity == "customerpayments"
    source = context.other("invoices" if customer else "bills")
    document = bits(1) % source.count
    applied = {
        ("invoice_id" if customer else "bill_id"): source.record_id(document),
        ("invoice_number" if customer else "bill_number"): (
            f"{'INV-' if customer else 'BILL-'}{document + 1:06d}"
        ),
        "date": format_date(source.timeline.created(document), context.organization),
        ("invoice_amount" if customer else "total"): record["amount"],
        "amount_applied": record["amount"],
        ("balance_amount" if customer else "balance"): 0.0,
    }
    record["invoices" if customer else "bills"] = [applied]
    record.update(
        {
            "status": "success",
            "amount_refunded": 0.0,
            "bank_charges": 0.0,
            "email": "",
            "currency_symbol": context.organization.currency_symbol,
            "exchange_rate": 1.0,
        }
    )
    return record


def expense_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """An `/expenses` row."""
    bits = context.bits(index)
    klass = context.klass(index)
    org = context.organization
    accounts = context.other("chartofaccounts")
    account = EXPENSE_ACCOUNTS[bits(1) % len(EXPENSE_ACCOUNTS)]
    amount = 1_000 + bits(2) % 2_500_000
    contacts = context.other("contacts")
    vendor = vendor_index(contacts, bits(3))
    customer = customer_index(contacts, bits(4)) if klass["is_billable"] else None
    record: Record = {
        "expense_id": context.record_id(index),
        "date": format_date(created, org),
        "account_id": accounts.record_id(account),
        "account_name": ACCOUNTS[account][0],
        "paid_through_account_id": accounts.record_id(BANK_ACCOUNT),
        "paid_through_account_name": ACCOUNTS[BANK_ACCOUNT][0],
        "description": pick(
            (
                "Team lunch",
                "Courier charges",
                "Printer toner",
                "Cab to client",
                "Internet bill",
                "Trade show booth",
            ),
            bits(5),
        ),
        "currency_id": base_currency_id(context),
        "currency_code": org.currency_code,
        "bcy_total": money(amount),
        "bcy_total_without_tax": money(amount),
        "total": money(amount),
        "total_without_tax": money(amount),
        "is_billable": klass["is_billable"],
        "reference_number": f"EXP-{index + 1:06d}",
        "location_id": "",
        "location_name": "",
        "customer_id": contacts.record_id(customer) if customer is not None else "",
        "customer_name": contact_name(contacts, customer) if customer is not None else "",
        "vendor_id": contacts.record_id(vendor),
        "vendor_name": contact_name(contacts, vendor),
        "status": klass["status"],
        "created_time": org.format_time(created),
        "last_modified_time": org.format_time(modified),
        "expense_receipt_name": "",
        "mileage_rate": 0.0,
        "mileage_unit": "",
        "mileage_type": "non_mileage",
        "distance": 0.0,
        "has_attachment": False,
        "report_id": "",
        "report_name": "",
        "expense_type": "non_mileage",
    }
    custom_field_values(context, bits, record)
    return record


def expense_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """An expense's detail (itemised in one line)."""
    del product
    record = expense_row(context, index, created, modified)
    record["line_items"] = [
        {
            "line_item_id": f"{context.id_prefix}093{index:010d}",
            "account_id": record["account_id"],
            "account_name": record["account_name"],
            "description": record["description"],
            "amount": record["total"],
            "tax_id": "",
            "tax_name": "",
            "tax_percentage": 0.0,
            "item_total": record["total"],
            "item_order": 1,
        }
    ]
    record.update(
        {
            "exchange_rate": 1.0,
            "sub_total": record["total"],
            "tax_amount": 0.0,
            "tax_id": "",
            "tax_name": "",
            "tax_percentage": 0.0,
            "is_inclusive_tax": False,
            "is_personal": False,
            "project_id": "",
            "project_name": "",
        }
    )
    return record


def journal_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/journals` row."""
    bits = context.bits(index)
    org = context.organization
    amount = 10_000 + bits(1) % 5_000_000
    record: Record = {
        "journal_id": context.record_id(index),
        "journal_date": format_date(created, org),
        "entry_number": f"JV-{index + 1:06d}",
        "reference_number": f"ADJ-{bits(2) % 10_000:04d}",
        "notes": pick(
            (
                "Depreciation for the month",
                "Accrued rent",
                "Reclassification",
                "Year-end adjustment",
            ),
            bits(3),
        ),
        "journal_type": "both",
        "status": context.klass(index)["status"],
        "total": money(amount),
        "bcy_total": money(amount),
        "currency_id": base_currency_id(context),
        "currency_code": org.currency_code,
        "created_time": org.format_time(created),
        "last_modified_time": org.format_time(modified),
        "created_by_id": "",
    }
    custom_field_values(context, bits, record)
    return record


def journal_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """A journal's detail: one debit and one credit line that balance."""
    del product
    record = journal_row(context, index, created, modified)
    accounts = context.other("chartofaccounts")
    bits = context.bits(index)
    debit = EXPENSE_ACCOUNTS[bits(4) % len(EXPENSE_ACCOUNTS)]
    record["line_items"] = [
        {
            "line_id": f"{context.id_prefix}092{index * 2 + side:010d}",
            "account_id": accounts.record_id(account),
            "account_name": ACCOUNTS[account][0],
            "description": record["notes"],
            "debit_or_credit": side_name,
            "amount": record["total"],
            "bcy_amount": record["total"],
            "tax_id": "",
            "tax_name": "",
            "customer_id": "",
            "customer_name": "",
        }
        for side, (account, side_name) in enumerate(
            ((debit, "debit"), (RECEIVABLE_ACCOUNT, "credit"))
        )
    ]
    record.update(
        {
            "exchange_rate": 1.0,
            "line_item_total": record["total"],
            "taxes": [],
            "price_precision": 2,
            "custom_fields": record["custom_fields"],
        }
    )
    return record
