"""zoho-webhooks: Zoho pushes (workflow webhooks, CRM notifications) turned into ERP rows."""
