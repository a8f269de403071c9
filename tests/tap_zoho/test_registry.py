"""The stream registry: entity facts (names, keys, routes, lines) as the streams declare them."""

from __future__ import annotations

from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.finance.registry import PRODUCT_STREAMS, line_streams, list_streams


def test_list_streams_carry_their_route_and_keys() -> None:
    invoices = list_streams("books")["invoices"]
    assert invoices.name == "books_invoices"
    assert invoices.entity_route() is UnifiedZohoClient.entity("books", "invoices")
    assert invoices.primary_keys == ("organization_id", "invoice_id")
    payments = list_streams("books")["vendorpayments"]
    assert payments.primary_keys == ("organization_id", payments.entity_route().id_field)


def test_line_streams_key_on_their_document_id() -> None:
    (lines,) = line_streams("inventory", "salesorders")
    assert lines.name == "inventory_sales_order_line_items"
    assert lines.parent_id_field == "salesorder_id"
    assert lines.primary_keys == ("organization_id", "salesorder_id", "line_item_id")
    assert line_streams("books", "contacts") == []


def test_every_stream_keys_on_its_organization_first() -> None:
    for streams in PRODUCT_STREAMS.values():
        for stream in streams:
            assert stream.primary_keys[0] == "organization_id", stream.name
