"""`tap-zoho --test`: can these credentials read each product, organization and CRM module?

One line per thing checked, `OK` or `FAILED` with what to do about it in plain words.
Nothing here prints a token, a secret or a traceback: errors are reduced to Zoho's
code and message, and the accounts server's answer is already translated by the
token manager (revoked refresh token, unknown client in that region, ...).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tap_zoho.api.errors import ZohoAPIError, ZohoAuthError, ZohoError
from tap_zoho.crm import crm_api

if TYPE_CHECKING:
    from tap_zoho.run import ZohoRun

logger = logging.getLogger("tap_zoho")
FINANCE_PRODUCTS = ("books", "inventory")
HTTP_UNAUTHORIZED = 401
HTTP_FORBIDDEN = 403
ORG_NOT_ACCESSIBLE_CODES = frozenset({6041, 6024, 57})
"""Books/Inventory: 6041 not one of the user's organizations, 6024 no such
organization, 57 not authorized for this operation."""
SCOPES = {
    "books": "ZohoBooks.fullaccess.READ (or the READ scope of each Books entity)",
    "inventory": "ZohoInventory.FullAccess.READ (or the READ scope of each entity)",
    "crm": "ZohoCRM.org.READ, ZohoCRM.settings.READ and ZohoCRM.modules.READ",
}
TEST_LABEL = "connection_test"


def explain(product: str, error: ZohoError, *, module: str | None = None) -> str:
    """What an error means for the operator, then Zoho's own words."""
    if not isinstance(error, ZohoAPIError):
        return str(error)
    zoho = f"(HTTP {error.status}, Zoho code {error.code}: {error.zoho_message})"
    if module is not None:
        return _explain_module(module, error, zoho)
    if error.code in ORG_NOT_ACCESSIBLE_CODES:
        return (
            "this organization is not accessible to the Zoho user who made the refresh "
            f"token (wrong organization id, or the user is not a member) {zoho}"
        )
    if error.status == HTTP_UNAUTHORIZED:
        return (
            f"the refresh token lacks the {product} scope {SCOPES.get(product, '')}; "
            f"regenerate it with that scope {zoho}"
        )
    return zoho[1:-1]


def _explain_module(module: str, error: ZohoAPIError, zoho: str) -> str:
    if error.code == "OAUTH_SCOPE_MISMATCH":
        return (
            f"the refresh token lacks the scope for module {module} "
            f"(ZohoCRM.modules.{module.lower()}.READ or ZohoCRM.modules.READ); "
            f"regenerate it with that scope {zoho}"
        )
    if error.code == "NO_PERMISSION" or error.status == HTTP_FORBIDDEN:
        return f"the Zoho user's CRM profile may not read module {module} {zoho}"
    if error.code in {"FEATURE_NOT_ENABLED", "FEATURE_NOT_SUPPORTED"}:
        return f"module {module} is not enabled in this CRM edition {zoho}"
    return f"module {module} cannot be read {zoho}"


class AccessCheck:
    """Runs the checks of one `--test` and remembers whether any failed."""

    def __init__(self, run: ZohoRun) -> None:
        """Check through the run's own client, as a sync would."""
        self.zoho_run = run
        self.ok = True

    def failed(self, what: str, reason: str) -> None:
        """One failing check, in one line."""
        self.ok = False
        logger.error("%s: FAILED: %s", what, reason)

    def run(self) -> bool:
        """Credentials first (nothing else can work without them), then each product."""
        try:
            self.zoho_run.client.tokens.access_token()
        except ZohoAuthError as error:
            self.failed("Credentials", str(error))
            return False
        accounts = self.zoho_run.client.credentials.accounts_url
        logger.info("Credentials: OK (token minted at %s)", accounts)
        for product in self.zoho_run.products():
            if product in FINANCE_PRODUCTS:
                self.finance(product)
            elif product == "crm":
                self.crm()
        return self.ok

    def finance(self, product: str) -> None:
        """List the organizations, then read one user of each configured one."""
        try:
            visible = {
                str(org["organization_id"]) for org in self.zoho_run.visible_organizations(product)
            }
        except ZohoError as error:
            self.failed(f"{product} organizations", explain(product, error))
            return
        for org in self.zoho_run.organization_ids(product):
            try:
                self.zoho_run.client.get_json(
                    product, "/users", organization_id=org, params={"per_page": 1},
                    label=f"{product}_{TEST_LABEL}",
                )  # fmt: skip
            except ZohoError as error:
                self.failed(f"{product} organization {org}", explain(product, error))
                continue
            note = "" if org in visible else " (not listed in /organizations)"
            logger.info("%s organization %s: OK%s", product, org, note)

    def crm(self) -> None:
        """The CRM org, then each module's field metadata (what discovery reads)."""
        api = crm_api(self.zoho_run)
        try:
            org = api.organization_id(TEST_LABEL)
            listing = api.get("/settings/modules", stream=TEST_LABEL, call="metadata")
        except ZohoError as error:
            self.failed("crm", explain("crm", error))
            return
        except ValueError as error:
            self.failed("crm", str(error))
            return
        logger.info("crm organization %s: OK", org)
        modules = self._modules(listing)
        for name, named in modules:
            try:
                body = api.get(
                    "/settings/fields", stream=TEST_LABEL, params={"module": name},
                    call="metadata",
                )  # fmt: skip
            except ZohoAPIError as error:
                self.module_unreadable(name, explain("crm", error, module=name), named=named)
                continue
            except ZohoError as error:
                self.failed(f"crm module {name}", explain("crm", error))
                continue
            if not body.get("fields"):
                reason = f"Zoho has no field metadata for module {name} (HTTP 204)"
                self.module_unreadable(name, reason, named=named)
                continue
            logger.info("crm module %s: OK", name)

    def module_unreadable(self, name: str, reason: str, *, named: bool) -> None:
        """A module `crm_modules` names must work; others are skipped by discovery."""
        if named:
            self.failed(f"crm module {name}", reason)
        else:
            logger.warning("crm module %s: NOT READABLE, will be skipped: %s", name, reason)

    def _modules(self, listing: dict[str, Any]) -> list[tuple[str, bool]]:
        """(api name, named in `crm_modules`): a module the operator named must work."""
        supported = [
            str(entry["api_name"])
            for entry in listing.get("modules") or []
            if entry.get("api_supported") and entry.get("api_name")
        ]
        wanted = self.zoho_run.config.get("crm_modules")
        if not wanted:
            return [(name, False) for name in supported]
        by_lower = {name.lower(): name for name in supported}
        chosen = []
        for name in wanted:
            found = by_lower.get(str(name).lower())
            if found is None:
                self.failed(f"crm module {name}", "not an API-supported module of this CRM")
            else:
                chosen.append((found, True))
        return chosen
