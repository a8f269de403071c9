"""`tsh-erp reconcile`: prove the ERP matches Zoho with a handful of calls.

Modules, one concern each: `plan` (what Zoho documents an aggregate for), `zoho` (the
calls, through the tap's `UnifiedZohoClient`), `erp` (live rows and sums), `run` (the
comparison and the bookmark rule), `report` (verdicts, table, outbox events, the
`tsh-erp status` section), `command` (settings and the CLI glue).

Nothing is imported here: `tsh-erp status` reads `report` alone and must not load the
Zoho client.
"""
