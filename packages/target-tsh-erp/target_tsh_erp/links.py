"""Linking Books customers to CRM Accounts and Contacts.

Rule (in this order, per customer):
1. Books' own link: `zcrm_account_id` / `zcrm_contact_id` equal to a CRM record's id
   (rule `zcrm_id`). Zoho sets these when the Books-CRM integration is on.
2. Otherwise, by name: the customer's `company_name` (else its `name`), trimmed and
   case-folded, equal to exactly one live CRM Account's name (rule `name`); and for the
   contact, the customer's e-mail equal to exactly one live CRM Contact's e-mail. An
   ambiguous name or e-mail links nothing rather than guessing.
CRM ids are unique across organizations, so rule 1 does not compare organization ids;
rule 2 does not either, because a CRM organization is a different id from the Books one.
Only rows whose link actually changes are written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    import psycopg

__all__ = ["LINK_TABLES", "link_customers_to_crm"]

LINK_TABLES = frozenset({"customers", "crm_accounts", "crm_contacts"})
"""A batch touching one of these re-runs the link step."""

_STATEMENTS = (
    """UPDATE {e}.customers c SET crm_account_id = a.id, crm_link_rule = 'zcrm_id'
       FROM {e}.crm_accounts a
       WHERE a.zoho_id = c.zcrm_account_id AND a.deleted_at IS NULL
         AND c.crm_account_id IS DISTINCT FROM a.id""",
    """UPDATE {e}.customers c SET crm_account_id = m.id, crm_link_rule = 'name'
       FROM (SELECT lower(btrim(name)) AS k, min(id) AS id FROM {e}.crm_accounts
             WHERE deleted_at IS NULL AND name IS NOT NULL AND NOT is_placeholder
             GROUP BY 1 HAVING count(*) = 1) m
       WHERE c.zcrm_account_id IS NULL
         AND lower(btrim(coalesce(c.company_name, c.name))) = m.k
         AND c.crm_account_id IS DISTINCT FROM m.id""",
    """UPDATE {e}.customers c SET crm_contact_id = p.id
       FROM {e}.crm_contacts p
       WHERE p.zoho_id = c.zcrm_contact_id AND p.deleted_at IS NULL
         AND c.crm_contact_id IS DISTINCT FROM p.id""",
    """UPDATE {e}.customers c SET crm_contact_id = m.id
       FROM (SELECT lower(btrim(email)) AS k, min(id) AS id FROM {e}.crm_contacts
             WHERE deleted_at IS NULL AND email IS NOT NULL
             GROUP BY 1 HAVING count(*) = 1) m
       WHERE c.zcrm_contact_id IS NULL AND lower(btrim(c.email)) = m.k
         AND c.crm_contact_id IS DISTINCT FROM m.id""",
    """UPDATE {e}.customers c SET crm_account_id = NULL, crm_link_rule = NULL
       FROM {e}.crm_accounts a
       WHERE a.id = c.crm_account_id AND a.deleted_at IS NOT NULL""",
)


def link_customers_to_crm(connection: psycopg.Connection[Any], erp_schema: str) -> int:
    """Apply the link rule; return how many customer rows changed."""
    changed = 0
    for statement in _STATEMENTS:
        cursor = connection.execute(
            sql.SQL(statement).format(e=sql.Identifier(erp_schema))
        )
        changed += max(cursor.rowcount, 0)
    return changed
