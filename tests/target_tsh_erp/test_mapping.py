"""Pure mapping: one test group per ERP aggregate, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from target_tsh_erp.mapping import MappingError, mapper_for
from target_tsh_erp.mapping.customers import map_contact, map_crm_account, map_crm_contact
from target_tsh_erp.mapping.invoices import map_invoice, map_invoice_line
from target_tsh_erp.mapping.opportunities import map_deal
from target_tsh_erp.mapping.payments import map_customer_payment
from target_tsh_erp.mapping.products import map_item, map_item_stock, map_warehouse
from target_tsh_erp.mapping.purchase_orders import map_purchase_order, map_purchase_order_line
from target_tsh_erp.mapping.registry import known_key_properties, modification_field
from target_tsh_erp.mapping.sales_orders import map_sales_order, map_sales_order_line

T = "2025-01-02T03:04:05+00:00"


def test_books_item_maps_to_product_without_stock():
    [row] = map_item({"organization_id": "1", "item_id": "9", "name": "Bolt", "rate": 12.5,
                      "status": "active", "last_modified_time": T, "track_inventory": True},
                     "books_items")
    assert row.table == "products"
    assert row.values["zoho_id"] == "9"
    assert row.values["rate"] == 12.5
    assert row.values["source_modified_at"] == T
    assert row.values["stock_on_hand"] is None


def test_inventory_item_carries_stock_and_numeric_strings_become_numbers():
    [row] = map_item({"organization_id": "1", "item_id": "9", "stock_on_hand": "42.5",
                      "last_modified_time": T}, "inventory_items")
    assert row.values["stock_on_hand"] == Decimal("42.5")


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"organization_id": "1", "rate": 1}, "item_id"),
        ({"organization_id": "1", "item_id": "9", "rate": "abc"}, "'rate' must be a number"),
        ({"organization_id": "1", "item_id": "9", "rate": True}, "boolean"),
        ({"organization_id": "1", "item_id": "9", "status": "weird"}, "unknown item status"),
        ({"item_id": "9"}, "organization_id"),
        ({"organization_id": "1", "item_id": "9", "last_modified_time": "yesterday"},
         "ISO-8601"),
        ({"organization_id": "1", "item_id": "9", "last_modified_time": "2025-01-02T03:04:05"},
         "no UTC offset"),
    ],
)
def test_item_rejects_name_the_problem(record, reason):
    with pytest.raises(MappingError, match=reason):
        map_item(record, "books_items")


def test_item_stock_maps_to_inventory_level_keyed_by_item_and_warehouse():
    [row] = map_item_stock({"organization_id": "1", "item_id": "9", "warehouse_id": "w1",
                            "warehouse_name": "Main", "location_type": "warehouse",
                            "stock_on_hand": 5, "committed_stock": 2,
                            "parent_last_modified_time": T}, "inventory_item_stock")
    assert row.table == "inventory_levels"
    assert row.values["zoho_id"] == "9:w1"
    assert (row.values["item_zoho_id"], row.values["warehouse_zoho_id"]) == ("9", "w1")
    assert row.values["committed_stock"] == 2
    assert row.values["source_modified_at"] == T
    with pytest.raises(MappingError, match="location_type"):
        map_item_stock({"organization_id": "1", "item_id": "9", "warehouse_id": "w",
                        "location_type": "moon"}, "inventory_item_stock")


def test_warehouse_and_location():
    [w] = map_warehouse({"organization_id": "1", "warehouse_id": "w", "warehouse_name": "A",
                         "is_primary": True}, "inventory_warehouses")
    [loc] = map_warehouse({"organization_id": "1", "location_id": "l", "location_name": "B"},
                          "inventory_locations")
    assert (w.values["name"], w.values["location_type"], w.values["is_primary"]) == (
        "A", "warehouse", True)
    assert (loc.values["zoho_id"], loc.values["location_type"]) == ("l", "location")


def test_contact_becomes_customer_or_vendor_with_persons():
    base = {"organization_id": "1", "contact_id": "c", "contact_name": "Acme",
            "last_modified_time": T, "zcrm_account_id": "crm-a",
            "contact_persons": [{"contact_person_id": "p1", "first_name": "Ann",
                                 "is_primary_contact": True}]}
    customer, person = map_contact({**base, "contact_type": "customer"}, "books_contacts")
    assert customer.table == "customers"
    assert customer.values["zcrm_account_id"] == "crm-a"
    assert person.table == "contact_persons"
    assert (person.values["customer_zoho_id"], person.values["vendor_zoho_id"]) == ("c", None)
    vendor, person = map_contact({**base, "contact_type": "vendor"}, "books_contacts")
    assert vendor.table == "vendors"
    assert "zcrm_account_id" not in vendor.values
    assert person.values["vendor_zoho_id"] == "c"
    with pytest.raises(MappingError, match="unknown contact_type 'partner'"):
        map_contact({**base, "contact_type": "partner"}, "books_contacts")


def test_crm_accounts_contacts_and_deals_use_lookup_ids():
    [account] = map_crm_account({"organization_id": "crm", "id": "a1", "Account_Name": "Acme",
                                 "Owner": {"name": "Tom", "id": "u"}, "Modified_Time": T},
                                "crm_accounts")
    assert (account.values["name"], account.values["owner_name"]) == ("Acme", "Tom")
    [contact] = map_crm_contact({"organization_id": "crm", "id": "k1", "Email": "a@b",
                                 "Account_Name": {"name": "Acme", "id": "a1"}}, "crm_contacts")
    assert contact.values["crm_account_zoho_id"] == "a1"
    [deal] = map_deal({"organization_id": "crm", "id": "d1", "Deal_Name": "Big",
                       "Account_Name": {"name": "Acme", "id": "a1"},
                       "Contact_Name": {"name": "K", "id": "k1"}, "Amount": 10.5,
                       "Closing_Date": "2025-02-01", "Modified_Time": T}, "crm_deals")
    assert deal.table == "opportunities"
    assert (deal.values["crm_account_zoho_id"], deal.values["crm_contact_zoho_id"]) == ("a1", "k1")
    assert deal.values["closing_date"] == "2025-02-01"
    with pytest.raises(MappingError, match="Closing_Date"):
        map_deal({"organization_id": "crm", "id": "d1", "Closing_Date": "01/02/2025"},
                 "crm_deals")


def test_documents_and_lines():
    [so] = map_sales_order({"organization_id": "1", "salesorder_id": "s", "salesorder_number":
                            "SO-1", "customer_id": "c", "total": 10, "date": "2025-01-01",
                            "last_modified_time": T}, "books_sales_orders")
    assert (so.values["number"], so.values["customer_zoho_id"]) == ("SO-1", "c")
    [line] = map_sales_order_line({"organization_id": "1", "salesorder_id": "s",
                                   "line_item_id": "l", "item_id": "9", "quantity": 2,
                                   "item_order": "1", "parent_last_modified_time": T},
                                  "books_sales_order_line_items")
    assert (line.values["sales_order_zoho_id"], line.values["item_order"]) == ("s", 1)
    assert line.values["source_modified_at"] == T
    [po] = map_purchase_order({"organization_id": "1", "purchaseorder_id": "p",
                               "vendor_id": "v"}, "books_purchase_orders")
    assert po.values["vendor_zoho_id"] == "v"
    [pl] = map_purchase_order_line({"organization_id": "1", "purchaseorder_id": "p",
                                    "line_item_id": "l2"}, "books_purchase_order_line_items")
    assert pl.values["purchase_order_zoho_id"] == "p"
    [inv] = map_invoice({"organization_id": "1", "invoice_id": "i", "status": "paid",
                         "balance": 0}, "books_invoices")
    assert inv.values["balance"] == 0
    with pytest.raises(MappingError, match="unknown invoice status"):
        map_invoice({"organization_id": "1", "invoice_id": "i", "status": "lost"},
                    "books_invoices")
    with pytest.raises(MappingError, match="item_order"):
        map_invoice_line({"organization_id": "1", "invoice_id": "i", "line_item_id": "l",
                          "item_order": 1.5}, "books_invoice_line_items")


def test_payment_requires_amount():
    [p] = map_customer_payment({"organization_id": "1", "payment_id": "p", "amount": 5,
                                "customer_id": "c"}, "books_customer_payments")
    assert (p.values["amount"], p.values["customer_zoho_id"]) == (5, "c")
    with pytest.raises(MappingError, match="amount"):
        map_customer_payment({"organization_id": "1", "payment_id": "p"},
                             "books_customer_payments")


def test_tombstone_sets_deleted_at():
    [row] = map_item({"organization_id": "1", "item_id": "9", "_sdc_deleted_at": T},
                     "books_items")
    assert row.values["deleted_at"] == T


def test_registry_routes_streams_and_knows_keys():
    assert mapper_for("books_items") is map_item
    assert mapper_for("inventory_salesorders") is map_sales_order
    assert mapper_for("books_bills") is None
    assert known_key_properties("books_invoice_line_items") == (
        "organization_id", "invoice_id", "line_item_id")
    assert known_key_properties("inventory_item_stock") == (
        "organization_id", "item_id", "warehouse_id")
    assert known_key_properties("crm_deals") == ("organization_id", "id")
    assert known_key_properties("something_else") is None
    assert modification_field("crm_deals") == "Modified_Time"
    assert modification_field("books_invoice_line_items") == "parent_last_modified_time"
    assert modification_field("other", ["updated"]) == "updated"
