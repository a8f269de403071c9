"""zoho_emulator package."""
