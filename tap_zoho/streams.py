"""The Books/Inventory stream bases under their former module, for `zoho_webhooks.records`."""

from tap_zoho.finance.base import PARENT_MODIFIED
from tap_zoho.finance.details import LineItemStream
from tap_zoho.finance.listing import ListStream

__all__ = ["PARENT_MODIFIED", "LineItemStream", "ListStream"]
