"""Register entries for Zoho's webhook deliveries (the zoho-webhooks service)."""

from __future__ import annotations

from tap_zoho.assumptions.model import Assumption

WEBHOOKS: tuple[Assumption, ...] = (
    Assumption(
        id="webhook.delivery-shape",
        applies_to="Books/Inventory workflow webhooks",
        we_assume="a delivery is a signed JSON body sent with POST",
        docs_say="the webhook settings allow POST, PUT or DELETE, and a body of form-data "
        "entity parameters (`application/x-www-form-urlencoded`) or raw JSON; a form body is "
        "signed over its decoded pairs sorted together with the query parameters",
        verified_by="the method and Content-Type of each delivery, and its signature as Zoho "
        "documents it for that shape",
        fallback="every documented shape is accepted and verified; anything else is refused "
        "with a 4xx that names what was expected",
        emulator_answer="webhook-form-deliveries",
    ),
)
"""Webhook entries, in the order the docs page shows them."""
