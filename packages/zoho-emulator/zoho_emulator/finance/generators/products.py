"""Items, item groups, composite items, and the settings they hang on.

Items carry stock per warehouse or location; the settings are taxes, the chart of
accounts, warehouses and locations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoho_emulator.finance.generators.common import Record, address, custom_field_values, money
from zoho_emulator.finance.rand import (
    COLOURS,
    PRODUCT_ADJECTIVES,
    PRODUCT_NOUNS,
    SIZES,
    UNITS,
    mix,
    pick,
)

if TYPE_CHECKING:
    from zoho_emulator.finance.generators.common import GenContext
    from zoho_emulator.finance.orgs import Organization

GROUP_EVERY = 3
"""Every third item belongs to an item group."""

TAXES = {
    "India": (
        ("GST5", 5.0),
        ("GST12", 12.0),
        ("GST18", 18.0),
        ("GST28", 28.0),
        ("IGST18", 18.0),
        ("Exempt", 0.0),
    ),
    "U.S.A": (
        ("CA Sales Tax", 7.25),
        ("SF City Tax", 8.625),
        ("WA Sales Tax", 6.5),
        ("OR No Tax", 0.0),
        ("TX Sales Tax", 6.25),
        ("Exempt", 0.0),
    ),
}


def tax_of(context: GenContext, bits: int) -> tuple[str, str, float]:
    """(tax_id, tax_name, percentage) of one of the organization's taxes."""
    table = TAXES[context.organization.country]
    position = bits % (len(table) - 1)
    name, percentage = table[position]
    return context.other("taxes").record_id(position), name, percentage


def item_name(context: GenContext, index: int) -> str:
    """Display name of item `index`."""
    bits = context.bits(index)(1)
    name = f"{pick(PRODUCT_ADJECTIVES, bits)} {pick(PRODUCT_NOUNS, bits >> 8)}"
    if index % GROUP_EVERY == 0:
        name += f" - {pick(COLOURS, bits >> 16)}/{pick(SIZES, bits >> 20)}"
    return name


def item_sku(context: GenContext, index: int) -> str:
    """Stock keeping unit of item `index`."""
    return f"SKU-{context.organization.organization_id[-3:]}-{index:07d}"


ECONOMICS_SLOTS = 4096
"""Item prices and taxes come from a seeded table of this many slots: document lines
need them for every line of every generated document, so they must cost one lookup."""


def _economics(items: GenContext) -> list[tuple[int, int]]:
    table: list[tuple[int, int]] | None = items.extra.get("economics")
    if table is None:
        taxes = len(TAXES[items.organization.country]) - 1
        table = []
        for slot in range(ECONOMICS_SLOTS):
            bits = mix(items.key ^ (slot * 0x51ED_2701) ^ 0xEC0)
            table.append((500 + bits % 250_000, (bits >> 32) % taxes))
        items.extra["economics"] = table
    return table


def _slot(index: int) -> int:
    return ((index * 0x9E37_79B1) >> 7) % ECONOMICS_SLOTS


def item_rate_cents(context: GenContext, index: int) -> int:
    """Selling price of item `index`, in cents."""
    return _economics(context)[_slot(index)][0]


def item_tax(items: GenContext, index: int) -> tuple[str, str, float]:
    """(tax_id, tax_name, percentage) of item `index`."""
    position = _economics(items)[_slot(index)][1]
    name, percentage = TAXES[items.organization.country][position]
    return items.other("taxes").record_id(position), name, percentage


def item_economics(items: GenContext, index: int) -> tuple[int, float]:
    """(rate in cents, tax percentage) of an item: what document lines need."""
    rate, position = _economics(items)[_slot(index)]
    return rate, TAXES[items.organization.country][position][1]


def stock_locations(organization: Organization) -> tuple[tuple[str, str], ...]:
    """(kind, name) of the places stock is kept: warehouses, or locations on newer orgs."""
    if organization.uses_locations:
        return tuple(("location", name) for name in LOCATION_NAMES[organization.country])
    return tuple(("warehouse", name) for name in WAREHOUSE_NAMES[organization.country])


WAREHOUSE_NAMES = {
    "India": ("Bengaluru Main Warehouse", "Mumbai Depot", "Chennai Hub"),
    "U.S.A": ("Oakland Warehouse", "Reno Fulfilment", "Tacoma Depot"),
}
LOCATION_NAMES = {
    "India": ("Bengaluru HQ", "Mumbai Store", "Pune Store", "Chennai Store"),
    "U.S.A": ("Oakland HQ", "Portland Store", "Seattle Store", "Reno Fulfilment"),
}


def stock_by_place(context: GenContext, index: int) -> list[tuple[int, int, int]]:
    """(on hand, committed, in transit) per warehouse/location, all derived from bits."""
    bits = context.bits(index)
    places = stock_locations(context.organization)
    if not context.klass(index)["track_inventory"]:
        return [(0, 0, 0) for _ in places]
    result = []
    for position in range(len(places)):
        random = bits(100 + position)
        on_hand = random % 400
        committed = min(on_hand, (random >> 16) % 40)
        in_transit = (random >> 32) % 5
        result.append((on_hand, committed, in_transit))
    return result


def item_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/items` row; Inventory adds the stock summary in `inventory_row`."""
    bits = context.bits(index)
    klass = context.klass(index)
    tax_id, tax_name, tax_percentage = item_tax(context, index)
    rate = item_rate_cents(context, index)
    org = context.organization
    name = item_name(context, index)
    record: Record = {
        "item_id": context.record_id(index),
        "name": name,
        "item_name": name,
        "unit": pick(UNITS, bits(4)),
        "status": klass["status"],
        "source": "user",
        "is_linked_with_zohocrm": False,
        "zcrm_product_id": "",
        "description": f"{name} for everyday use",
        "rate": money(rate),
        "purchase_rate": money(rate * 6 // 10),
        "purchase_description": "",
        "tax_id": tax_id,
        "tax_name": tax_name,
        "tax_percentage": tax_percentage,
        "tax_type": "tax",
        "is_taxable": True,
        "sku": item_sku(context, index),
        "product_type": "goods" if klass["track_inventory"] else "service",
        "item_type": "inventory" if klass["track_inventory"] else "sales_and_purchases",
        "track_inventory": klass["track_inventory"],
        "is_combo_product": False,
        "has_attachment": False,
        "image_name": "",
        "image_type": "",
        "reorder_level": float(bits(5) % 50) if klass["track_inventory"] else "",
        "created_time": org.format_time(created),
        "last_modified_time": org.format_time(modified),
    }
    if org.country == "India":
        record["hsn_or_sac"] = f"{8400 + bits(6) % 1200}"
    if index % GROUP_EVERY == 0:
        groups = context.other("itemgroups")
        group = (index // GROUP_EVERY) % groups.count
        record["group_id"] = groups.record_id(group)
        record["group_name"] = group_name(groups, group)
    custom_field_values(context, bits, record)
    return record


def item_stock_summary(context: GenContext, index: int) -> Record:
    """Item-level stock: sums over warehouses/locations (accounting and physical)."""
    places = stock_by_place(context, index)
    on_hand = sum(place[0] for place in places)
    committed = sum(place[1] for place in places)
    in_transit = sum(place[2] for place in places)
    return {
        "stock_on_hand": float(on_hand),
        "available_stock": float(on_hand),
        "actual_available_stock": float(on_hand - in_transit),
        "committed_stock": float(committed),
        "actual_committed_stock": float(committed),
        "available_for_sale_stock": float(on_hand - committed),
        "actual_available_for_sale_stock": float(on_hand - in_transit - committed),
    }


def inventory_item_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """Inventory's `/items` row: the Books row plus the stock summary."""
    record = item_row(context, index, created, modified)
    summary = item_stock_summary(context, index)
    record["stock_on_hand"] = summary["stock_on_hand"]
    record["available_stock"] = summary["available_stock"]
    record["actual_available_stock"] = summary["actual_available_stock"]
    return record


def item_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/items/{id}`; Inventory's carries stock per warehouse or per location."""
    record = item_row(context, index, created, modified)
    bits = context.bits(index)
    accounts = context.other("chartofaccounts")
    record.update(
        {
            "account_id": accounts.record_id(SALES_ACCOUNT),
            "account_name": ACCOUNTS[SALES_ACCOUNT][0],
            "purchase_account_id": accounts.record_id(COGS_ACCOUNT),
            "purchase_account_name": ACCOUNTS[COGS_ACCOUNT][0],
            "can_be_sold": True,
            "can_be_purchased": True,
            "is_returnable": True,
            "item_tax_preferences": [],
            "upc": "",
            "ean": "",
            "isbn": "",
            "part_number": f"PN-{bits(7) % 100_000:05d}",
        }
    )
    if product != "inventory":
        return record
    record.update(item_stock_summary(context, index))
    record.update(
        {
            "inventory_account_id": accounts.record_id(INVENTORY_ACCOUNT),
            "inventory_account_name": ACCOUNTS[INVENTORY_ACCOUNT][0],
            "initial_stock": 0.0,
            "initial_stock_rate": record["purchase_rate"],
            "asset_value": round(record["purchase_rate"] * record["stock_on_hand"], 2),
            "vendor_id": "",
            "vendor_name": "",
            "track_serial_number": False,
            "track_batch_number": False,
        }
    )
    places = stock_locations(context.organization)
    place_ids = context.other("locations" if context.organization.uses_locations else "warehouses")
    rows = []
    for position, ((kind, name), (on_hand, committed, in_transit)) in enumerate(
        zip(places, stock_by_place(context, index), strict=True)
    ):
        prefix = kind
        rows.append(
            {
                f"{prefix}_id": place_ids.record_id(position),
                f"{prefix}_name": name,
                "status": "active",
                "is_primary": position == 0,
                f"{prefix}_stock_on_hand": float(on_hand),
                "initial_stock": 0.0,
                "initial_stock_rate": record["purchase_rate"],
                f"{prefix}_available_stock": float(on_hand),
                f"{prefix}_actual_available_stock": float(on_hand - in_transit),
                f"{prefix}_committed_stock": float(committed),
                f"{prefix}_actual_committed_stock": float(committed),
                f"{prefix}_available_for_sale_stock": float(on_hand - committed),
                f"{prefix}_actual_available_for_sale_stock": float(
                    on_hand - in_transit - committed
                ),
            }
        )
    record["locations" if context.organization.uses_locations else "warehouses"] = rows
    return record


def group_name(context: GenContext, index: int) -> str:
    """Display name of item group `index`."""
    bits = context.bits(index)(1)
    return f"{pick(PRODUCT_ADJECTIVES, bits)} {pick(PRODUCT_NOUNS, bits >> 8)} Range"


def group_items(context: GenContext, index: int) -> list[int]:
    """Indices of the items in group `index` (at most six)."""
    items = context.other("items")
    members: list[int] = []
    position = index
    while len(members) < 6 and position * GROUP_EVERY < items.count:  # noqa: PLR2004
        members.append(position * GROUP_EVERY)
        position += context.count
    return members


def itemgroup_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """An `/itemgroups` row (Inventory lists a group with its items)."""
    bits = context.bits(index)
    items = context.other("items")
    tax_id, tax_name, tax_percentage = tax_of(context, bits(3))
    record: Record = {
        "group_id": context.record_id(index),
        "group_name": group_name(context, index),
        "product_type": "goods",
        "brand": pick(("Saffron", "Northwind", "Acme", "Everyday"), bits(4)),
        "manufacturer": pick(("Acme Manufacturing", "Globex", "Initech"), bits(5)),
        "unit": "pcs",
        "description": f"{group_name(context, index)} in several colours and sizes",
        "is_taxable": True,
        "tax_id": tax_id,
        "tax_name": tax_name,
        "tax_percentage": tax_percentage,
        "tax_type": "tax",
        "attribute_id1": f"{context.id_prefix}097{1:010d}",
        "attribute_name1": "Colour",
        "status": context.klass(index)["status"],
        "source": "user",
        "image_id": "",
        "image_name": "",
        "image_type": "",
        "created_time": context.organization.format_time(created),
        "last_modified_time": context.organization.format_time(modified),
    }
    members: list[Record] = []
    for member in group_items(context, index):
        summary = item_stock_summary(items, member)
        members.append(
            {
                "item_id": items.record_id(member),
                "name": item_name(items, member),
                "status": items.klass(member)["status"],
                "rate": money(item_rate_cents(items, member)),
                "purchase_rate": money(item_rate_cents(items, member) * 6 // 10),
                "sku": item_sku(items, member),
                "stock_on_hand": summary["stock_on_hand"],
                "available_stock": summary["available_stock"],
                "actual_available_stock": summary["actual_available_stock"],
                "attribute_option_name1": pick(COLOURS, items.bits(member)(1) >> 16),
            }
        )
    record["items"] = members
    custom_field_values(context, bits, record)
    return record


def itemgroup_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/itemgroups/{id}`: the group with its items and attribute options."""
    del product
    record = itemgroup_row(context, index, created, modified)
    record["attributes"] = [
        {
            "id": record["attribute_id1"],
            "name": "Colour",
            "options": [
                {"id": f"{context.id_prefix}096{n:010d}", "name": colour}
                for n, colour in enumerate(COLOURS)
            ],
        }
    ]
    record["options"] = record["attributes"][0]["options"]
    return record


def composite_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/compositeitems` row (kits and assemblies of ordinary items)."""
    bits = context.bits(index)
    klass = context.klass(index)
    tax_id, tax_name, tax_percentage = tax_of(context, bits(3))
    components = composite_components(context, index)
    items = context.other("items")
    rate = sum(item_rate_cents(items, item) * quantity for item, quantity in components)
    on_hand = float(bits(4) % 60)
    accounts = context.other("chartofaccounts")
    record: Record = {
        "composite_item_id": context.record_id(index),
        "name": f"{pick(PRODUCT_ADJECTIVES, bits(1))} Starter Kit #{index + 1}",
        "status": klass["status"],
        "source": "user",
        "description": "Bundle of items sold together",
        "rate": money(rate * 9 // 10),
        "tax_id": tax_id,
        "tax_name": tax_name,
        "tax_percentage": tax_percentage,
        "purchase_description": "",
        "purchase_rate": money(rate * 6 // 10),
        "is_combo_product": True,
        "combo_type": klass["combo_type"],
        "item_type": "inventory",
        "product_type": "goods",
        "is_taxable": True,
        "stock_on_hand": on_hand,
        "available_stock": on_hand,
        "actual_available_stock": on_hand,
        "sku": f"KIT-{context.organization.organization_id[-3:]}-{index:06d}",
        "upc": "",
        "ean": "",
        "isbn": "",
        "part_number": "",
        "reorder_level": 5.0,
        "image_id": "",
        "image_name": "",
        "image_type": "",
        "unit": "set",
        "category_id": "",
        "category_name": "",
        "brand": "",
        "manufacturer": "",
        "purchase_account_id": accounts.record_id(COGS_ACCOUNT),
        "purchase_account_name": ACCOUNTS[COGS_ACCOUNT][0],
        "account_id": accounts.record_id(SALES_ACCOUNT),
        "account_name": ACCOUNTS[SALES_ACCOUNT][0],
        "created_time": context.organization.format_time(created),
        "last_modified_time": context.organization.format_time(modified),
    }
    custom_field_values(context, bits, record)
    return record


def composite_components(context: GenContext, index: int) -> list[tuple[int, int]]:
    """(item index, quantity) of the items a composite item is made of."""
    bits = context.bits(index)
    items = context.other("items")
    return [
        (bits(200 + position) % items.count, 1 + bits(300 + position) % 4)
        for position in range(2 + bits(9) % 3)
    ]


def composite_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/compositeitems/{id}`: the row plus `mapped_items` and stock numbers."""
    del product
    record = composite_row(context, index, created, modified)
    items = context.other("items")
    record["mapped_items"] = [
        {
            "line_item_id": f"{context.id_prefix}095{index * 8 + position:010d}",
            "item_id": items.record_id(item),
            "name": item_name(items, item),
            "sku": item_sku(items, item),
            "quantity": float(quantity),
            "rate": money(item_rate_cents(items, item)),
            "purchase_rate": money(item_rate_cents(items, item) * 6 // 10),
            "stock_on_hand": item_stock_summary(items, item)["stock_on_hand"],
            "item_type": "inventory",
            "product_type": "goods",
            "unit": "pcs",
        }
        for position, (item, quantity) in enumerate(composite_components(context, index))
    ]
    record.update(
        {
            "committed_stock": 0.0,
            "available_for_sale_stock": record["available_stock"],
            "track_inventory": True,
            "can_be_sold": True,
            "can_be_purchased": True,
            "is_returnable": True,
            "initial_stock": 0.0,
            "initial_stock_rate": 0.0,
            "asset_value": 0.0,
            "vendor_id": "",
            "vendor_name": "",
            "tags": [],
            "item_tax_preferences": [],
        }
    )
    return record


def tax_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/settings/taxes` row (a fixed table per country)."""
    del created, modified
    name, percentage = TAXES[context.organization.country][index]
    accounts = context.other("chartofaccounts")
    return {
        "tax_id": context.record_id(index),
        "tax_name": name,
        "tax_percentage": percentage,
        "tax_type": "tax",
        "tax_factor": "rate",
        "tax_specific_type": "",
        "tax_authority_id": f"{context.id_prefix}089{0:010d}",
        "tax_authority_name": "GSTN" if context.organization.country == "India" else "State",
        "is_value_added": False,
        "is_default_tax": index == 0,
        "is_editable": True,
        "status": "active",
        "output_tax_account_name": ACCOUNTS[TAX_ACCOUNT][0],
        "purchase_tax_account_name": ACCOUNTS[TAX_ACCOUNT][0],
        "tax_account_id": accounts.record_id(TAX_ACCOUNT),
        "purchase_tax_account_id": accounts.record_id(TAX_ACCOUNT),
    }


def tax_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/settings/taxes/{id}`."""
    del product
    return tax_row(context, index, created, modified)


ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("Petty Cash", "cash", "1000"),
    ("Undeposited Funds", "cash", "1010"),
    ("Business Checking", "bank", "1020"),
    ("Accounts Receivable", "accounts_receivable", "1100"),
    ("Inventory Asset", "stock", "1200"),
    ("Prepaid Expenses", "other_current_asset", "1300"),
    ("Furniture and Equipment", "fixed_asset", "1500"),
    ("Accounts Payable", "accounts_payable", "2000"),
    ("Tax Payable", "other_current_liability", "2100"),
    ("Employee Reimbursements", "other_current_liability", "2200"),
    ("Owner's Equity", "equity", "3000"),
    ("Retained Earnings", "equity", "3100"),
    ("Sales", "income", "4000"),
    ("Shipping Charge", "income", "4100"),
    ("Discount", "income", "4200"),
    ("Cost of Goods Sold", "cost_of_goods_sold", "5000"),
    ("Advertising And Marketing", "expense", "6000"),
    ("Office Supplies", "expense", "6100"),
    ("Rent Expense", "expense", "6200"),
    ("Travel Expense", "expense", "6300"),
    ("Telephone Expense", "expense", "6400"),
    ("Bank Fees and Charges", "expense", "6500"),
    ("Exchange Gain or Loss", "other_expense", "7000"),
    ("Uncategorized", "other_expense", "7100"),
    ("Old Marketing Account", "expense", "6900"),
)
ACCOUNT_BASE_TYPES = {
    "cash": "Asset",
    "bank": "Asset",
    "accounts_receivable": "Asset",
    "stock": "Asset",
    "other_current_asset": "Asset",
    "fixed_asset": "Asset",
    "accounts_payable": "Liability",
    "other_current_liability": "Liability",
    "equity": "Equity",
    "income": "Income",
    "cost_of_goods_sold": "Expense",
    "expense": "Expense",
    "other_expense": "Expense",
}
BANK_ACCOUNT = 2
RECEIVABLE_ACCOUNT = 3
INVENTORY_ACCOUNT = 4
PAYABLE_ACCOUNT = 7
TAX_ACCOUNT = 8
SALES_ACCOUNT = 12
COGS_ACCOUNT = 15
EXPENSE_ACCOUNTS = (16, 17, 18, 19, 20, 21)
INACTIVE_ACCOUNT = 24


def account_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/chartofaccounts` row (a fixed chart shared by both organizations)."""
    name, account_type, code = ACCOUNTS[index]
    org = context.organization
    return {
        "account_id": context.record_id(index),
        "account_name": name,
        "account_code": code,
        "account_type": account_type,
        "account_type_formatted": account_type.replace("_", " ").title(),
        "account_base_type": ACCOUNT_BASE_TYPES[account_type],
        "is_user_created": index >= INACTIVE_ACCOUNT,
        "is_system_account": index in {RECEIVABLE_ACCOUNT, PAYABLE_ACCOUNT, INVENTORY_ACCOUNT},
        "is_standalone_account": False,
        "is_active": context.klass(index)["is_active"] and index != INACTIVE_ACCOUNT,
        "can_show_in_ze": False,
        "is_involved_in_transaction": True,
        "current_balance": money(context.bits(index)(1) % 10_000_000),
        "parent_account_id": "",
        "parent_account_name": "",
        "depth": 0,
        "has_attachment": False,
        "is_child_present": False,
        "child_count": "",
        "documents": [],
        "created_time": org.format_time(created),
        "last_modified_time": org.format_time(modified),
    }


def account_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/chartofaccounts/{id}`: Zoho returns the account's fields at the top level."""
    del product
    record = account_row(context, index, created, modified)
    record.update(
        {
            "currency_id": "",
            "currency_code": context.organization.currency_code,
            "description": "",
            "include_in_vat_return": False,
            "custom_fields": [],
            "closing_balance": record["current_balance"],
        }
    )
    return record


def warehouse_exists(context: GenContext, index: int) -> bool:
    """Warehouses exist in organizations that have not moved to locations."""
    del index
    return not context.organization.uses_locations


def location_exists(context: GenContext, index: int) -> bool:
    """Locations exist in organizations on the multi-location model."""
    del index
    return context.organization.uses_locations


def warehouse_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/settings/warehouses` row (organizations not on locations)."""
    del created, modified
    org = context.organization
    where = address(org, context.bits(index)(1))
    return {
        "warehouse_id": context.record_id(index),
        "warehouse_name": WAREHOUSE_NAMES[org.country][index],
        "attention": "",
        "address": where["address"],
        "address1": where["address"],
        "address2": "",
        "city": where["city"],
        "state": where["state"],
        "country": org.country,
        "zip": where["zip"],
        "phone": where["phone"],
        "email": org.email,
        "is_primary": index == 0,
        "status": "active",
        "status_formatted": "Active",
    }


def warehouse_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/settings/warehouses/{id}`."""
    del product
    return warehouse_row(context, index, created, modified)


def location_row(context: GenContext, index: int, created: int, modified: int) -> Record:
    """A `/locations` row (organizations on the newer multi-location model)."""
    del created, modified
    org = context.organization
    where = address(org, context.bits(index)(1))
    users = context.other("users")
    return {
        "location_id": context.record_id(index),
        "location_name": LOCATION_NAMES[org.country][index],
        "type": "general",
        "email": org.email,
        "phone": where["phone"],
        "status": "active",
        "is_primary": index == 0,
        "address": {
            "attention": "",
            "street_address1": where["address"],
            "street_address2": "",
            "city": where["city"],
            "state": where["state"],
            "state_code": where["state_code"],
            "country": org.country,
            "zip": where["zip"],
        },
        "tax_settings_id": "",
        "parent_location_id": "",
        "associated_series_ids": [],
        "auto_number_generation_id": "",
        "is_all_users_selected": True,
        "associated_users": [{"user_id": users.record_id(0), "user_name": "Admin"}],
    }


def location_detail(
    context: GenContext, index: int, created: int, modified: int, product: str
) -> Record:
    """`/locations/{id}`."""
    del product
    return location_row(context, index, created, modified)
