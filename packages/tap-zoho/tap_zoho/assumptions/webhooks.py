"""Register entries for Zoho's webhook deliveries (the zoho-webhooks service)."""

from __future__ import annotations

from tap_zoho.assumptions.model import Assumption

WEBHOOKS: tuple[Assumption, ...] = (
    Assumption(
        id="webhook.delivery-shape",
        applies_to="Books/Inventory workflow webhooks",
        we_assume="a delivery is the default payload (the record's detail JSON under its "
        "entity key, with its `line_items`), signed with `X-Zoho-Webhook-Signature` as "
        "Zoho Billing documents it (Books and Inventory do not document a scheme)",
        docs_say="the webhook settings allow POST, PUT or DELETE, and a body of form-data "
        "entity parameters (`application/x-www-form-urlencoded;charset=UTF-8`), the default "
        "payload or a raw JSON template; a form body is signed over its URL-decoded pairs "
        "sorted by key together with the query parameters (`keyvalue`, no separators, no "
        "body appended), a JSON body over the sorted query pairs followed by its raw bytes",
        verified_by="the method and Content-Type of each delivery choose how its signature "
        "is computed; a form's pairs or a raw template's flat fields are recognised as a "
        "partial record",
        fallback="every documented shape is accepted and verified; a partial record (form "
        "or raw template) is read whole from Zoho before it is applied; a form naming no "
        "single entity, or anything else, is refused with a 4xx that names what is missing",
        emulator_answer="webhook-form-deliveries",
    ),
)
"""Webhook entries, in the order the docs page shows them."""
