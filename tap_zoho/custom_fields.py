"""`tap_zoho.finance.custom_fields` under its former name, for `zoho_webhooks.records`."""

from tap_zoho.finance.custom_fields import CF_PREFIX, UNFORMATTED, property_for

__all__ = ["CF_PREFIX", "UNFORMATTED", "property_for"]
