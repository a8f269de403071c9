"""Monitoring of the batch path: metrics, warnings, charts and the live status page.

Everything here reads what `tsh-erp status` reads (the outbox, the raw and ERP tables,
Meltano's run log, the webhook inbox) and changes nothing, so a page or a scrape can
never disturb a sync.
"""
