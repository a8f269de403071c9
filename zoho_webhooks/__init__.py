"""zoho-webhooks: Zoho's pushes (Books/Inventory workflow webhooks, CRM notifications) into ERP rows."""
