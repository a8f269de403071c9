"""The service reads the tap's Zoho settings and the target's names, not copies of them."""

from __future__ import annotations

from target_tsh_erp.settings import (
    DEFAULT_EMBEDDED_DATA_DIR,
    DEFAULT_ERP_SCHEMA,
    DEFAULT_NOTIFY_CHANNEL,
    DEFAULT_RAW_SCHEMA,
)
from zoho_webhooks.settings import ServiceSettings


def test_shares_the_batch_jobs_token_store() -> None:
    """With TAP_ZOHO_TOKEN_STORE the service reuses the jobs' access token (one mint)."""
    settings = ServiceSettings.from_env({
        "ZOHO_WEBHOOK_SECRET": "s", "TAP_ZOHO_CLIENT_ID": "1000.X",
        "TAP_ZOHO_TOKEN_STORE": "/srv/meltano/.meltano/run/tap-zoho/tokens",
    })  # fmt: skip
    assert settings.zoho["token_store"] == "/srv/meltano/.meltano/run/tap-zoho/tokens"
    assert "token_store" not in repr(settings)


def test_writes_where_the_target_writes_by_default() -> None:
    settings = ServiceSettings.from_env({"ZOHO_WEBHOOK_SECRET": "s"})
    assert settings.embedded_dir == DEFAULT_EMBEDDED_DATA_DIR
    assert (settings.erp_schema, settings.raw_schema, settings.notify_channel) == (
        DEFAULT_ERP_SCHEMA, DEFAULT_RAW_SCHEMA, DEFAULT_NOTIFY_CHANNEL,
    )  # fmt: skip
