"""target_tsh_erp package."""
