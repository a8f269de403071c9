"""The tap's settings (names fixed by the project) and the seed's environment aliases."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from singer_sdk import typing as th

from tap_zoho.api.regions import REGIONS

if TYPE_CHECKING:
    from collections.abc import Mapping

PRODUCTS = ("books", "inventory", "crm")
DEFAULT_LOOKBACK_SECONDS = 300
"""Five minutes: Zoho stamps `last_modified_time` to the second in the org's zone and a
document saved while we list it can land just behind the bookmark."""

ENV_ALIASES = {
    "client_id": "ZOHO_CLIENT_ID",
    "client_secret": "ZOHO_CLIENT_SECRET",
    "refresh_token": "ZOHO_REFRESH_TOKEN",
}
ORGANIZATION_ENV = "ZOHO_ORGANIZATION_ID"

CONFIG_SCHEMA = th.PropertiesList(
    th.Property("client_id", th.StringType, title="Client ID",
                description="OAuth self-client id (fallback: env ZOHO_CLIENT_ID)."),
    th.Property("client_secret", th.StringType, secret=True, title="Client Secret",
                description="OAuth client secret (fallback: env ZOHO_CLIENT_SECRET)."),
    th.Property("refresh_token", th.StringType, secret=True, title="Refresh Token",
                description="OAuth refresh token (fallback: env ZOHO_REFRESH_TOKEN)."),
    th.Property("region", th.StringType, default="us", allowed_values=list(REGIONS),
                description="Data centre: picks the accounts server and default API domain "
                "(ca is accounts.zohocloud.ca / zohoapis.ca)."),
    th.Property("accounts_url", th.StringType,
                description="Override of the accounts server base URL (emulator, proxy)."),
    th.Property("api_domain", th.StringType,
                description="Override of the API base URL; default: the api_domain Zoho "
                "returns with the token."),
    th.Property("products", th.ArrayType(th.StringType), default=list(PRODUCTS),
                description="Products to sync: any of books, inventory, crm."),
    th.Property("organization_ids", th.ArrayType(th.StringType),
                description="Books/Inventory organizations to sync (default: every "
                "organization the token can see; fallback: env ZOHO_ORGANIZATION_ID)."),
    th.Property("start_date", th.DateTimeType,
                description="Earliest modification time to extract on a first run."),
    th.Property("requests_per_minute", th.IntegerType, default=100,
                description="Books/Inventory request pace per product and organization "
                "(Zoho allows 100); CRM has no per-minute limit and is not paced."),
    th.Property("daily_budget_reserve", th.IntegerType, default=0,
                description="Books/Inventory: requests of the daily quota to leave unused; "
                "when only the reserve is left the tap stops cleanly with resumable state "
                "(CRM: crm_daily_credits and crm_credit_reserve)."),
    th.Property("lookback_seconds", th.IntegerType, default=DEFAULT_LOOKBACK_SECONDS,
                description="Overlap on incremental filters (default 300 s)."),
    th.Property("emit_activate_version_messages", th.BooleanType, default=True,
                description="Emit ACTIVATE_VERSION for full-table streams so a target can "
                "soft-delete rows that vanished from Zoho."),
    th.Property("metadata_cache_dir", th.StringType,
                description="Folder where discovery keeps metadata between runs: CRM field "
                "metadata and Books/Inventory custom-field definitions, per organization "
                "(names and types only: no records, no secrets). Meltano rediscovers before "
                "every run; with the folder that costs 2 CRM credits plus changed modules "
                "and no Books/Inventory quota request, instead of one credit per CRM module "
                "and one request per product and organization. The folder also keeps the "
                "last complete discovery's catalog, which answers the next discoveries "
                "with no call while settings and metadata are unchanged. Unset: every "
                "discovery asks Zoho. With Meltano, e.g. "
                "${MELTANO_PROJECT_ROOT}/.meltano/run/tap-zoho/metadata."),
    th.Property("token_store", th.StringType, secret=True, title="Token Store",
                description="Where every process and job sharing a self-client keeps its "
                "access token, so they reuse one token until shortly before it expires "
                "(Zoho allows 10 mints per 10 minutes per refresh token): a folder (one "
                "0600 file per credential set, OS-locked so concurrent processes mint "
                "once), a postgresql:// URL for jobs on several machines (needs psycopg 3, "
                "not a dependency of tap-zoho), or 'memory' for none. Default: "
                "${MELTANO_PROJECT_ROOT}/.meltano/run/tap-zoho/tokens when run by "
                "Meltano, else memory. Secret because a URL may carry a password."),
    th.Property("doctor_findings", th.StringType, title="Doctor Findings",
                description="The file `tap-zoho doctor` wrote: where the doctor saw Zoho "
                "answer other than the tap assumes (docs/assumptions.md), the tap takes the "
                "safe path at once instead of finding out again on every run (for example "
                "no refused filter_by call per list). Every answer is still checked, so a "
                "stale file never makes the tap read less. Default: "
                "${MELTANO_PROJECT_ROOT}/.meltano/run/tap-zoho/tap-zoho-doctor.json when "
                "that file exists."),
    th.Property("metadata_cache_hours", th.NumberType, default=24,
                description="Ask Zoho again for cached metadata older than this many hours "
                "(the tap machine's clock), even if Zoho reports no change: a custom field "
                "added in Zoho shows within this long (0 turns the cache off)."),
).to_dict()  # fmt: skip


class SettingsError(ValueError):
    """A setting is missing or unusable; the message names it and its variable.

    The command line turns it into one line and exit 1 (no traceback): it is the first
    thing a new user meets, e.g. a production run before the credentials are set.
    """


def resolve(config: Mapping[str, Any]) -> dict[str, Any]:
    """Config with environment fallbacks and defaults applied; never logged.

    Raises:
        SettingsError: a credential is missing or a product is unknown.
    """
    settings = dict(config)
    for name, env in ENV_ALIASES.items():
        if not settings.get(name) and os.environ.get(env):
            settings[name] = os.environ[env]
    if not settings.get("organization_ids") and os.environ.get(ORGANIZATION_ENV):
        settings["organization_ids"] = [
            part.strip() for part in os.environ[ORGANIZATION_ENV].split(",") if part.strip()
        ]
    missing = [name for name in ENV_ALIASES if not settings.get(name)]
    if missing:
        names = ", ".join(f"{name} (env {ENV_ALIASES[name]})" for name in missing)
        msg = f"tap-zoho needs {names}"
        raise SettingsError(msg)
    settings.setdefault("products", list(PRODUCTS))
    unknown = set(settings["products"]) - set(PRODUCTS)
    if unknown:
        msg = f"unknown products {sorted(unknown)}; use any of {', '.join(PRODUCTS)}"
        raise SettingsError(msg)
    return settings
