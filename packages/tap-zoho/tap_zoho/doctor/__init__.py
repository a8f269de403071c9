"""`tap-zoho doctor`: check the assumptions register on a real Zoho organization."""
