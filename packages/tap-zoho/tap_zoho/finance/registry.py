"""Every Books/Inventory stream class by product: what the tap syncs, and what others read.

Entity facts live once: a stream class points at its route (`tap_zoho.api.entities`) and
its keys derive from it. Code outside the tap that needs stream names, keys, routes or
line-item children (the webhook service) reads them here instead of rebuilding them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tap_zoho.finance import books, inventory
from tap_zoho.finance.details import LineItemStream, LineManifestStream
from tap_zoho.finance.listing import ListStream

if TYPE_CHECKING:
    from tap_zoho.finance.base import ZohoStream

PRODUCT_STREAMS: dict[str, tuple[type[ZohoStream], ...]] = {
    "books": books.STREAMS,
    "inventory": inventory.STREAMS,
}


def list_streams(product: str) -> dict[str, type[ListStream]]:
    """A product's list streams by entity (`invoices` is `BooksInvoices` in Books)."""
    return {cls.entity: cls for cls in PRODUCT_STREAMS[product] if issubclass(cls, ListStream)}


def line_streams(product: str, entity: str) -> list[type[LineItemStream]]:
    """The line-item children of an entity's document stream, in declaration order."""
    return [
        cls
        for cls in PRODUCT_STREAMS[product]
        if issubclass(cls, LineItemStream) and cls.detail_entity == entity
    ]


def line_manifests(product: str, entity: str) -> list[type[LineManifestStream]]:
    """The line manifests of an entity's document stream (one per line stream)."""
    return [
        cls
        for cls in PRODUCT_STREAMS[product]
        if issubclass(cls, LineManifestStream) and cls.line_stream.detail_entity == entity
    ]
