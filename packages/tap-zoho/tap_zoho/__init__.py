"""tap_zoho package."""
