"""Inventory's logistics: packages, shipment orders, transfers and adjustments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoho_emulator.finance.generators.common import Record, address, custom_field_values, money
from zoho_emulator.finance.generators.documents import KINDS, line_item_id, lines, party
from zoho_emulator.finance.generators.parties import base_currency_id
from zoho_emulator.finance.generators.products import (
    ACCOUNTS,
    COGS_ACCOUNT,
    item_name,
    item_rate_cents,
    item_sku,
    stock_locations,
)
from zoho_emulator.finance.orgs import format_date
from zoho_emulator.finance.rand import pick

if TYPE_CHECKING:
    from zoho_emulator.finance.generators.common import GenContext

DAY = 86_400
CARRIERS = ("FedEx", "UPS", "DHL", "BlueDart", "USPS", "Delhivery")


def package_salesorder(context: GenContext, index: int) -> int:
    """Package `index` packs (part of) sales order `index`: the two are index-aligned."""
    return index % context.other("salesorders").count


def package_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/packages` row."""
    bits = context.bits(index)
    org = context.organization
    orders = context.other("salesorders")
    order = package_salesorder(context, index)
    customer_id, customer_name = party(orders, order, KINDS["salesorders"])
    status = context.klass(index)["status"]
    shipped = status in {"shipped", "delivered"}
    quantity = sum(quantity for _, quantity, _ in lines(orders, order))
    shipments = context.other("shipmentorders")
    record: Record = {
        "package_id": context.record_id(index),
        "package_number": f"PKG-{index + 1:06d}",
        "salesorder_id": orders.record_id(order),
        "salesorder_number": f"SO-{order + 1:06d}",
        "customer_id": customer_id,
        "customer_name": customer_name,
        "date": format_date(created, org),
        "status": status,
        "detailed_status": status.replace("_", " ").title(),
        "shipment_id": shipments.record_id(index) if shipped else "",
        "shipment_number": f"SHP-{index + 1:06d}" if shipped else "",
        "shipment_date": format_date(created + DAY, org) if shipped else "",
        "tracking_number": f"TRK{bits(1) % 10**10:010d}" if shipped else "",
        "carrier": pick(CARRIERS, bits(2)) if shipped else "",
        "delivery_method": pick(CARRIERS, bits(2)),
        "shipping_charge": 0.0,
        "total_quantity": float(quantity),
        "email": "",
        "phone": "",
        "mobile": "",
        "notes": "",
        "is_emailed": False,
        "template_id": "",
        "template_name": "Standard",
        "template_type": "standard",
        "created_time": org.format_time(created),
        "last_modified_time": org.format_time(modified),
    }
    custom_field_values(context, bits, record)
    return record


def package_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/packages/{id}`: the row plus packed lines and the shipment, when shipped."""
    del product
    record = package_row(context, index, created, modified)
    orders = context.other("salesorders")
    order = package_salesorder(context, index)
    items = context.other("items")
    record["line_items"] = [
        {
            "line_item_id": line_item_id(context, index, position),
            "so_line_item_id": line_item_id(orders, order, position),
            "item_id": items.record_id(item),
            "name": item_name(items, item),
            "sku": item_sku(items, item),
            "description": "",
            "item_order": position + 1,
            "quantity": float(quantity),
            "unit": "pcs",
            "is_invoiced": False,
            "item_custom_fields": [],
            "is_combo_product": False,
        }
        for position, (item, quantity, _) in enumerate(lines(orders, order))
    ]
    record["billing_address"] = address(context.organization, context.bits(index)(3))
    record["shipping_address"] = record["billing_address"]
    record["contact_persons"] = []
    if record["shipment_id"]:
        record["shipment_order"] = {
            "shipment_id": record["shipment_id"],
            "shipment_number": record["shipment_number"],
            "shipping_date": record["shipment_date"],
            "status": record["status"],
            "detailed_status": record["detailed_status"],
            "carrier": record["carrier"],
            "service": "Ground",
            "delivery_days": 3,
            "delivery_guarantee": False,
            "delivery_method": record["delivery_method"],
            "delivery_method_id": "",
            "tracking_number": record["tracking_number"],
            "shipment_rate": 0.0,
            "notes": "",
        }
    return record


def shipment_exists(context: GenContext, index: int) -> bool:
    """A shipment order exists for each shipped or delivered package."""
    packages = context.other("packages")
    return index < packages.count and packages.klass(index)["status"] in {"shipped", "delivered"}


def shipment_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/shipmentorders/{id}` (Zoho documents no list endpoint for shipments)."""
    del product
    packages = context.other("packages")
    package = package_detail(packages, index, created, modified, "inventory")
    return {
        "shipment_id": package["shipment_id"],
        "shipment_number": package["shipment_number"],
        "salesorder_id": package["salesorder_id"],
        "salesorder_number": package["salesorder_number"],
        "package_ids": [package["package_id"]],
        "date": package["shipment_date"],
        "status": package["status"],
        "detailed_status": package["detailed_status"],
        "status_message": "",
        "carrier": package["carrier"],
        "service": "Ground",
        "delivery_days": 3,
        "delivery_guarantee": False,
        "reference_number": "",
        "customer_id": package["customer_id"],
        "customer_name": package["customer_name"],
        "contact_persons": [],
        "currency_id": base_currency_id(context),
        "currency_code": context.organization.currency_code,
        "currency_symbol": context.organization.currency_symbol,
        "exchange_rate": 1.0,
        "discount_amount": 0.0,
        "discount": 0.0,
        "is_discount_before_tax": True,
        "discount_type": "entity_level",
        "estimate_id": "",
        "delivery_method": package["delivery_method"],
        "delivery_method_id": "",
        "tracking_number": package["tracking_number"],
        "line_items": [
            {
                "line_item_id": line["line_item_id"],
                "item_id": line["item_id"],
                "name": line["name"],
                "description": "",
                "item_order": line["item_order"],
                "quantity": line["quantity"],
                "unit": line["unit"],
                "is_invoiced": False,
            }
            for line in package["line_items"]
        ],
        "shipping_charge": 0.0,
        "price_precision": 2,
        "is_emailed": False,
        "billing_address": package["billing_address"],
        "shipping_address": package["shipping_address"],
        "notes": "",
        "template_id": "",
        "template_name": "Standard",
        "template_type": "standard",
        "shipmentorder_custom_fields": [],
        "created_time": package["created_time"],
        "last_modified_time": package["last_modified_time"],
    }


def shipment_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """Shipments have no list rows of their own; ground truth uses the detail."""
    return shipment_detail(context, index, created, modified, "inventory")


def _places(context: GenContext) -> tuple[GenContext, str, tuple[tuple[str, str], ...]]:
    kind = "locations" if context.organization.uses_locations else "warehouses"
    return context.other(kind), kind[:-1], stock_locations(context.organization)


def transfer_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/transferorders` row: stock moved between two warehouses/locations."""
    bits = context.bits(index)
    org = context.organization
    places, _, names = _places(context)
    source = bits(1) % len(names)
    target = (source + 1 + bits(2) % (len(names) - 1)) % len(names)
    status = context.klass(index)["status"]
    record: Record = {
        "transfer_order_id": context.record_id(index),
        "transfer_order_number": f"TO-{index + 1:06d}",
        "date": format_date(created, org),
        "description": "Stock rebalancing",
        "status": status,
        "from_location_id": places.record_id(source),
        "from_location_name": names[source][1],
        "to_location_id": places.record_id(target),
        "to_location_name": names[target][1],
        "from_warehouse_id": places.record_id(source),
        "from_warehouse_name": names[source][1],
        "to_warehouse_id": places.record_id(target),
        "to_warehouse_name": names[target][1],
        "is_intransit_order": status == "in_transit",
        "quantity_transfered": float(sum(quantity for _, quantity, _ in lines(context, index))),
        "created_time": org.format_time(created),
        "last_modified_time": org.format_time(modified),
    }
    custom_field_values(context, bits, record)
    return record


def transfer_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/transferorders/{id}` with its lines."""
    del product
    record = transfer_row(context, index, created, modified)
    items = context.other("items")
    record["line_items"] = [
        {
            "line_item_id": line_item_id(context, index, position),
            "item_id": items.record_id(item),
            "name": item_name(items, item),
            "sku": item_sku(items, item),
            "description": "",
            "quantity_transfer": float(quantity),
            "unit": "pcs",
        }
        for position, (item, quantity, _) in enumerate(lines(context, index))
    ]
    return record


ADJUSTMENT_REASONS = (
    "Stock on fire",
    "Stolen goods",
    "Damaged goods",
    "Stock written off",
    "Inventory revaluation",
    "Stocktake correction",
)


def adjustment_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """An `/inventoryadjustments` row (quantity or value adjustments)."""
    bits = context.bits(index)
    org = context.organization
    total = sum(quantity * rate for _, quantity, rate in lines(context, index)) * 6 // 10
    record: Record = {
        "inventory_adjustment_id": context.record_id(index),
        "date": format_date(created, org),
        "reason": pick(ADJUSTMENT_REASONS, bits(1)),
        "reason_id": f"{context.id_prefix}091{bits(1) % len(ADJUSTMENT_REASONS):010d}",
        "description": "",
        "reference_number": f"ADJ-{index + 1:06d}",
        "adjustment_type": context.klass(index)["adjustment_type"],
        "status": context.klass(index)["status"],
        "total": money(total),
        "created_time": org.format_time(created),
        "last_modified_time": org.format_time(modified),
    }
    custom_field_values(context, bits, record)
    return record


def adjustment_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/inventoryadjustments/{id}` with its lines."""
    del product
    record = adjustment_row(context, index, created, modified)
    items = context.other("items")
    places, _, names = _places(context)
    accounts = context.other("chartofaccounts")
    place = context.bits(index)(2) % len(names)
    sign = -1 if context.bits(index)(3) % 3 else 1
    record["location_id"] = places.record_id(place)
    record["location_name"] = names[place][1]
    record["line_items"] = [
        {
            "line_item_id": line_item_id(context, index, position),
            "item_id": items.record_id(item),
            "name": item_name(items, item),
            "description": "",
            "quantity_adjusted": float(sign * quantity),
            "item_total": money(quantity * item_rate_cents(items, item) * 6 // 10),
            "unit": "pcs",
            "is_combo_product": False,
            "adjustment_account_id": accounts.record_id(COGS_ACCOUNT),
            "adjustment_account_name": ACCOUNTS[COGS_ACCOUNT][0],
            "location_id": record["location_id"],
            "location_name": record["location_name"],
        }
        for position, (item, quantity, _) in enumerate(lines(context, index))
    ]
    return record
