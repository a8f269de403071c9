"""`tsh-erp reconcile`: Zoho settings, one run, the table, the outbox, the exit code.

Zoho settings are the tap's (names and meaning: docs/tap.md), from `--tap-config FILE`
(a tap-zoho config JSON) and the environment: `TAP_ZOHO_<SETTING>` (as Meltano sets
them for tap-zoho) and the seed's aliases `ZOHO_CLIENT_ID`, `ZOHO_CLIENT_SECRET`,
`ZOHO_REFRESH_TOKEN`, `ZOHO_ORGANIZATION_ID`. Secrets are read, never printed.

The doctor's findings are the tap's too: `doctor_findings` (file or
`TAP_ZOHO_DOCTOR_FINDINGS`), else the doctor's default place; without a file, every
list without a documented aggregate stays uncounted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap_zoho.api.client import UnifiedZohoClient
from tap_zoho.assumptions.findings import findings_for_run
from tap_zoho.settings import resolve
from target_tsh_erp.reconcile.plan import EXIT_DRIFT
from target_tsh_erp.reconcile.report import publish_report, render_text
from target_tsh_erp.reconcile.run import reconcile
from target_tsh_erp.reconcile.zoho import ZohoAggregates

if TYPE_CHECKING:
    import psycopg

    from target_tsh_erp.settings import WriterSettings

__all__ = ["EXIT_DRIFT", "run_command", "zoho_settings"]

TAP_ENV_PREFIX = "TAP_ZOHO_"
TAP_SETTINGS = (
    "client_id", "client_secret", "refresh_token", "region", "accounts_url", "api_domain",
    "products", "organization_ids", "requests_per_minute", "daily_budget_reserve",
    "token_store", "doctor_findings",
)  # fmt: skip
LISTS = frozenset({"products", "organization_ids"})


def _from_env(name: str, raw: str) -> Any:  # noqa: ANN401 - a setting's value
    if name in LISTS:
        if raw.lstrip().startswith("["):
            return json.loads(raw)
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def zoho_settings(tap_config: str | None) -> dict[str, Any]:
    """The tap settings reconcile needs: the file, then the environment, then aliases.

    Raises:
        ValueError: credentials missing (names the variables), unknown products.
    """
    config: dict[str, Any] = {}
    if tap_config:
        config.update(json.loads(Path(tap_config).read_text(encoding="utf-8")))
    for name in TAP_SETTINGS:
        raw = os.environ.get(f"{TAP_ENV_PREFIX}{name.upper()}")
        if raw and name not in config:
            config[name] = _from_env(name, raw)
    return resolve(config)


def run_command(
    connection: psycopg.Connection[Any],
    settings: WriterSettings,
    *,
    tap_config: str | None,
    fail_on_drift: bool,
) -> int:
    """Reconcile, store the result in the outbox, print the table; the exit code."""
    config = zoho_settings(tap_config)
    client = UnifiedZohoClient.from_config(config)
    products = list(config["products"])
    product = "books" if "books" in products else "inventory"
    try:
        report = reconcile(
            connection, settings, ZohoAggregates(client, product),
            products=products, organization_ids=config.get("organization_ids") or None,
            findings=findings_for_run(config.get("doctor_findings") or None),
        )  # fmt: skip
    finally:
        client.close()
    publish_report(connection, settings, report)
    print(render_text(report), end="")  # noqa: T201 - the command's output
    return EXIT_DRIFT if fail_on_drift and report.drift else 0
