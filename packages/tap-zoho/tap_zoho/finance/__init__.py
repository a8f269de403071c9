"""Zoho Books v3 and Inventory v1 streams: the two products share one API shape.

`base` (schema, client, partitions, normalization, quota stops), `listing` (list calls
and their modes), `details` (detail children of changed headers), the declarations in
`books` and `inventory`, and `custom_fields` (per-organization `cf_*` columns).
"""
