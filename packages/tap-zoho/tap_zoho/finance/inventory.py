"""Zoho Inventory v1 streams: declarations, plus the two shapes Inventory adds.

Warehouses are merged with locations, and per-warehouse stock comes from batched item
details (`/itemdetails`, 100 items per call).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from typing_extensions import override

from tap_zoho.api.errors import ZohoAPIError, ZohoUnexpectedAnswerError
from tap_zoho.finance.base import LAST_MODIFIED, PARENT_MODIFIED, ZohoStream
from tap_zoho.finance.details import (
    DetailChildStream,
    HeaderStream,
    LineItemStream,
    LineManifestStream,
)
from tap_zoho.finance.listing import ListStream

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_zoho.api.client import Page
    from tap_zoho.progress import StreamProgress
    from tap_zoho.run import ZohoRun

ITEM_BATCH = 100
"""Items per `/itemdetails` call."""
STOCK_FIELDS = (
    "stock_on_hand", "available_stock", "actual_available_stock", "committed_stock",
    "actual_committed_stock", "available_for_sale_stock", "actual_available_for_sale_stock",
)  # fmt: skip


class InventoryItems(HeaderStream):
    """Items with their stock summary; feeds `inventory_item_stock` in batches."""

    name = "inventory_items"
    product = "inventory"
    entity = "items"

    def __init__(self, tap: Tap, run: ZohoRun) -> None:
        """Start with no item waiting for its stock."""
        super().__init__(tap, run)
        self._batch: list[tuple[str, str | None]] = []
        self._batches = 0

    def _stock(self) -> InventoryItemStock | None:
        for child in self.child_streams:
            if isinstance(child, InventoryItemStock) and child.selected:
                return child
        return None

    @override
    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        stock = self._stock()
        organization_id = record["organization_id"]
        item_id, modified = str(record["item_id"]), record.get(LAST_MODIFIED)
        if stock is None or not stock.wants(organization_id, item_id, modified):
            return
        self._batch.append((item_id, modified))
        if len(self._batch) >= ITEM_BATCH:
            yield self._flush(stock, organization_id)

    def _flush(self, stock: InventoryItemStock, organization_id: str) -> Context:
        self._batches += 1
        stock.pending[(organization_id, self._batches)] = self._batch
        self._batch = []
        return {"organization_id": organization_id, "item_batch": self._batches}

    @override
    def zoho_records(self, context: Context, progress: StreamProgress) -> Iterator[dict[str, Any]]:
        try:
            yield from super().zoho_records(context, progress)
        except BaseException:
            # This organization stopped (failure, quota): its waiting items must not be
            # fetched under the next organization; the stock bookmark stays, so the
            # next run asks for them again.
            self._batch = []
            raise
        stock = self._stock()
        if stock is not None and self._batch:
            stock.sync(context=self._flush(stock, context["organization_id"]))


class InventoryItemStock(DetailChildStream):
    """Stock per item per warehouse (or location), from `/itemdetails` in batches."""

    name = "inventory_item_stock"
    product = "inventory"
    entity = "items"
    parent_stream_type = InventoryItems
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "item_id", "warehouse_id")

    def __init__(self, tap: Tap, run: ZohoRun) -> None:
        """Batches are handed over by the items stream through `pending`."""
        super().__init__(tap, run)
        self.pending: dict[tuple[str, int], list[tuple[str, str | None]]] = {}

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
        return self.normalizer(row)

    @override
    def zoho_records(self, context: Context, progress: StreamProgress) -> Iterator[dict[str, Any]]:
        organization_id = context["organization_id"]
        batch = self.pending.pop((organization_id, context["item_batch"]), [])
        modified_by_id = dict(batch)
        items = self.client.get_items(
            self.product, organization_id, [item_id for item_id, _ in batch], label=self.name
        )
        for item in items:
            item_id = str(item["item_id"])
            modified = modified_by_id.get(item_id, item.get(LAST_MODIFIED))
            yield from stock_rows(organization_id, item, modified)
            self.remember(organization_id, item_id, modified)


def stock_rows(
    organization_id: str, item: dict[str, Any], modified: str | None
) -> Iterator[dict[str, Any]]:
    """One row per warehouse and per location of an item detail.

    The entry's other keys (`is_primary`, `status`, `initial_stock`, ...) go to the row's
    `zoho_extra`, so the raw layer keeps everything Zoho sent about the place.
    """
    for kind, entries in (
        ("warehouse", item.get("warehouses")),
        ("location", item.get("locations")),
    ):
        used = {f"{kind}_id", f"{kind}_name", *(f"{kind}_{field}" for field in STOCK_FIELDS)}
        for entry in entries or []:
            row: dict[str, Any] = {
                "organization_id": organization_id,
                "item_id": str(item["item_id"]),
                "warehouse_id": str(entry.get(f"{kind}_id")),
                "warehouse_name": entry.get(f"{kind}_name"),
                "location_type": kind,
                PARENT_MODIFIED: modified,
            }
            for field in STOCK_FIELDS:
                row[field] = entry.get(f"{kind}_{field}")
            extra = {key: value for key, value in entry.items() if key not in used}
            if extra:
                row["zoho_extra"] = extra
            yield row


class InventoryItemGroups(ListStream):
    """Item groups (`/itemgroups`)."""

    name = "inventory_item_groups"
    product = "inventory"
    entity = "itemgroups"


class InventoryCompositeItems(ListStream):
    """Composite items (assemblies and kits)."""

    name = "inventory_composite_items"
    product = "inventory"
    entity = "compositeitems"


class InventoryWarehouses(ZohoStream):
    """Warehouses and, for organizations on locations, locations (`location_type`)."""

    name = "inventory_warehouses"
    product = "inventory"
    entity = "warehouses"
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "warehouse_id")
    replication_key = None

    @override
    def zoho_records(self, context: Context, progress: StreamProgress) -> Iterator[dict[str, Any]]:
        organization_id = context["organization_id"]
        places = [("warehouses", "warehouse"), ("locations", "location")]
        if self.run.fallbacks.known_other(
            "inventory.warehouses", f"{self.product}:{organization_id}", "/settings/warehouses"
        ):
            places = places[1:]
            self.fell_back(
                "inventory.warehouses",
                "the doctor found /settings/warehouses refused or empty; reading /locations only",
                organization_id,
            )
        for entity, kind in places:
            route = self.client.entity(self.product, entity)
            pages = self.client.paginate(
                self.product, route.path, route.list_key, organization_id=organization_id,
                label=self.name, paginated=route.paginated,
                on_fallback=self.fallback_hook(organization_id),
            )  # fmt: skip
            if kind == "warehouse":
                pages = self._warehouse_pages(organization_id, pages)
            for page in pages:
                progress.page()
                for row in page.records:
                    record = dict(row)
                    if kind == "location":
                        record["warehouse_id"] = row.get("location_id")
                        record["warehouse_name"] = row.get("location_name")
                        # Locations nest their address; warehouses flatten it.
                        address = row.get("address")
                        if isinstance(address, dict):
                            record["location_address"] = address
                            record["address"] = address.get("street_address1")
                    record["location_type"] = kind
                    yield record

    def _warehouse_pages(self, organization_id: str, pages: Iterator[Page]) -> Iterator[Page]:
        """`/settings/warehouses`, or nothing when the organization is on locations.

        An organization on multi-location inventory may refuse the warehouses call
        (`inventory.warehouses`); its places are then the `/locations` read next, and
        its stock rows come from the `locations[]` of item details.
        """
        try:
            yield from pages
        except ZohoAPIError as error:
            if isinstance(error, ZohoUnexpectedAnswerError):
                raise
            self.fell_back(
                "inventory.warehouses",
                f"GET /settings/warehouses refused (HTTP {error.status}, Zoho code "
                f"{error.code}: {error.zoho_message}); reading /locations only",
                organization_id,
            )


class InventoryContacts(ListStream):
    """Contacts as Inventory sees them (same ids as Books)."""

    name = "inventory_contacts"
    product = "inventory"
    entity = "contacts"


class InventorySalesOrders(HeaderStream):
    """Sales order headers."""

    name = "inventory_sales_orders"
    product = "inventory"
    entity = "salesorders"


class InventorySalesOrderLineItems(LineItemStream):
    """Sales order lines from `/salesorders/{id}`."""

    name = "inventory_sales_order_line_items"
    product = "inventory"
    entity = "salesorders"
    parent_stream_type = InventorySalesOrders


class InventorySalesOrderLineManifests(LineManifestStream):
    """Current line ids of each document `InventorySalesOrderLineItems` fetched."""

    line_stream = InventorySalesOrderLineItems


class InventoryPurchaseOrders(HeaderStream):
    """Purchase order headers."""

    name = "inventory_purchase_orders"
    product = "inventory"
    entity = "purchaseorders"


class InventoryPurchaseOrderLineItems(LineItemStream):
    """Purchase order lines from `/purchaseorders/{id}`."""

    name = "inventory_purchase_order_line_items"
    product = "inventory"
    entity = "purchaseorders"
    parent_stream_type = InventoryPurchaseOrders


class InventoryPurchaseOrderLineManifests(LineManifestStream):
    """Current line ids of each document `InventoryPurchaseOrderLineItems` fetched."""

    line_stream = InventoryPurchaseOrderLineItems


class InventoryPackages(HeaderStream):
    """Packages; shipped ones lead to `inventory_shipments`."""

    name = "inventory_packages"
    product = "inventory"
    entity = "packages"


class InventoryShipments(DetailChildStream):
    """Shipment orders (Zoho has no list call): `/shipmentorders/{id}` of shipped packages."""

    name = "inventory_shipments"
    product = "inventory"
    entity = "shipmentorders"
    parent_stream_type = InventoryPackages
    context_fields = ("shipment_id",)
    primary_keys: ClassVar[tuple[str, ...]] = ("organization_id", "shipment_id")

    @override
    def accepts(self, record: dict[str, Any]) -> bool:
        return bool(record.get("shipment_id"))

    @override
    def detail_records(self, context: Context) -> Iterator[dict[str, Any]]:
        shipment = self.client.get_record(
            self.product, context["organization_id"], "shipmentorders",
            str(context["shipment_id"]), label=self.name,
            on_fallback=self.fallback_hook(context["organization_id"]),
        )  # fmt: skip
        if shipment is not None:
            yield dict(shipment)


class InventoryTransferOrders(ListStream):
    """Transfer orders between warehouses."""

    name = "inventory_transfer_orders"
    product = "inventory"
    entity = "transferorders"


class InventoryAdjustments(ListStream):
    """Inventory adjustments."""

    name = "inventory_adjustments"
    product = "inventory"
    entity = "inventoryadjustments"


STREAMS: tuple[type[ZohoStream], ...] = (
    InventoryItems, InventoryItemStock, InventoryItemGroups, InventoryCompositeItems,
    InventoryWarehouses, InventoryContacts, InventorySalesOrders, InventorySalesOrderLineItems,
    InventorySalesOrderLineManifests, InventoryPurchaseOrders, InventoryPurchaseOrderLineItems,
    InventoryPurchaseOrderLineManifests, InventoryPackages, InventoryShipments,
    InventoryTransferOrders, InventoryAdjustments,
)  # fmt: skip
